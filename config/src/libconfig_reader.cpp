#include "libconfig_reader.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <libconfig.h++>
#include <sys/stat.h>

namespace warden::detail {

namespace {

// Where libconfig read a setting: null for the text itself, else the path
// of an @include as written, which libconfig opened below `include_dir`.
std::string file_of(const char* file, const std::string& name,
                    const std::string& include_dir) {
  if (file == nullptr)
    return name;
  std::string path{file};
  if (path.empty() || path.front() == '/' || include_dir.empty() || include_dir == ".")
    return path;
  return include_dir + (include_dir.back() == '/' ? "" : "/") + path;
}

// libconfig 1.5 fopen()s what an `@include` names (below the include
// directory, even when absolute, as it does); if that is a directory, its
// scanner fails at the first read and calls exit(2), and a FIFO or a device
// may block or never end. So every `@include` that libconfig will open, also
// in included files (as deep as libconfig goes), must name a regular file
// (or nothing: libconfig reports that one itself). The scan follows
// libconfig's scanner: `@include "FILE"` at the start of a line, outside
// comments and strings.
// Errors name the file `shown` (the text's display name, or an included
// file's); `seen` keeps the shallowest depth at which each file was checked.
std::optional<config_error> check_includes(const std::string& text,
                                           const std::string& shown,
                                           const std::string& include_dir, int depth,
                                           std::map<std::string, int>& seen) {
  constexpr int max_depth = 10; // libconfig's MAX_INCLUDE_DEPTH
  unsigned line = 1;
  bool line_start = true;
  auto n = text.size();
  for (size_t i = 0; i < n;) {
    auto c = text[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      ++i;
    } else if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '#' || text.compare(i, 2, "//") == 0) {
      while (i < n && text[i] != '\n')
        ++i;
    } else if (text.compare(i, 2, "/*") == 0) {
      auto end = text.find("*/", i + 2);
      end = end == std::string::npos ? n : end + 2;
      for (; i < end; ++i)
        line += text[i] == '\n' ? 1 : 0;
      line_start = false;
    } else if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i) {
        line += text[i] == '\n' ? 1 : 0;
        if (text[i] == '\\' && i + 1 < n)
          ++i;
      }
      ++i;
      line_start = false;
    } else if (line_start && text.compare(i, 8, "@include") == 0 && i + 8 < n &&
               (text[i + 8] == ' ' || text[i + 8] == '\t')) {
      i += 8;
      while (i < n && (text[i] == ' ' || text[i] == '\t'))
        ++i;
      line_start = false;
      if (i >= n || text[i] != '"')
        continue;
      std::string file;
      for (++i; i < n && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < n)
          ++i;
        file += text[i];
      }
      auto path = include_dir.empty() ? file : include_dir + "/" + file;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0 || depth >= max_depth)
        continue; // libconfig says "cannot open include file" or "too deep"
      if (!S_ISREG(st.st_mode))
        return config_error{shown, line, "",
                            "cannot include '" + file + "': not a regular file"};
      if (auto j = seen.find(path); j != seen.end() && j->second <= depth + 1)
        continue;
      seen[path] = depth + 1;
      std::ifstream in{path, std::ios::binary};
      std::ostringstream buf;
      buf << in.rdbuf();
      if (auto e = check_includes(buf.str(), file_of(file.c_str(), "", include_dir),
                                  include_dir, depth + 1, seen))
        return e;
    } else {
      line_start = false;
      ++i;
    }
  }
  return std::nullopt;
}

config_value convert(const libconfig::Setting& s, const std::string& name,
                     const std::string& include_dir) {
  config_value result;
  if (auto n = s.getName())
    result.name = n;
  result.file = file_of(s.getSourceFile(), name, include_dir);
  result.line = s.getSourceLine();
  using kind = config_value::kind;
  switch (s.getType()) {
    case libconfig::Setting::TypeInt:
      result.type = kind::integer;
      result.integer = static_cast<int>(s);
      break;
    case libconfig::Setting::TypeInt64:
      result.type = kind::integer64;
      result.integer = static_cast<long long>(s);
      break;
    case libconfig::Setting::TypeFloat:
      result.type = kind::floating;
      result.floating = static_cast<double>(s);
      break;
    case libconfig::Setting::TypeString:
      result.type = kind::string;
      result.text = static_cast<const char*>(s);
      break;
    case libconfig::Setting::TypeBoolean:
      result.type = kind::boolean;
      result.boolean = static_cast<bool>(s);
      break;
    case libconfig::Setting::TypeArray:
    case libconfig::Setting::TypeList:
    case libconfig::Setting::TypeGroup:
    default:
      result.type = s.isArray() ? kind::array : s.isList() ? kind::list : kind::group;
      result.items.reserve(static_cast<size_t>(s.getLength()));
      for (int i = 0; i < s.getLength(); ++i)
        result.items.push_back(convert(s[i], name, include_dir));
      break;
  }
  return result;
}

} // namespace

std::optional<config_value> read_libconfig(const std::string& text,
                                           const std::string& name,
                                           const std::string& include_dir,
                                           std::vector<config_error>& errors) {
  std::map<std::string, int> seen;
  // libconfig reads the text up to its first NUL.
  if (auto e =
          check_includes(text.substr(0, text.find('\0')), name, include_dir, 0, seen)) {
    errors.push_back(std::move(*e));
    return std::nullopt;
  }
  libconfig::Config cfg;
  if (!include_dir.empty())
    cfg.setIncludeDir(include_dir.c_str());
  try {
    cfg.readString(text);
  } catch (const libconfig::ParseException& e) {
    errors.push_back({file_of(e.getFile(), name, include_dir),
                      static_cast<unsigned>(e.getLine()), "", e.getError()});
    return std::nullopt;
  } catch (const libconfig::ConfigException& e) {
    errors.push_back({name, 0, "", e.what()});
    return std::nullopt;
  }
  auto root = convert(cfg.getRoot(), name, include_dir);
  root.line = 0;
  return root;
}

} // namespace warden::detail
