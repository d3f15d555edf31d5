#include "libconfig_reader.hpp"

#include <libconfig.h++>

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
