#include "warden/config/load.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "builder.hpp"
#include "interpolator.hpp"
#include "libconfig_reader.hpp"
#include "text_scanner.hpp"
#include "value_text.hpp"

namespace warden {

namespace {

constexpr const char* override_file = "--set";

void mark_override(config_value& x) {
  x.file = override_file;
  x.line = 0;
  for (auto& item : x.items)
    mark_override(item);
}

std::string shown_path(const std::vector<path_segment>& steps, size_t n) {
  std::string result;
  for (size_t i = 0; i < n; ++i)
    result =
        append_step(result, steps[i].index ? "[" + std::to_string(*steps[i].index) + "]"
                                           : steps[i].name);
  return result;
}

// Whether libconfig would read `x` as a setting name: an override must not
// add a setting that the file could not hold (or that dumps as garbage).
bool setting_name(const std::string& x) {
  auto name_char = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '*' ||
           (!first &&
            (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
  };
  if (x.empty() || !name_char(x.front(), true))
    return false;
  return std::all_of(x.begin() + 1, x.end(), [&](char c) { return name_char(c, false); });
}

// Puts one "KEY=VALUE" into `root`.
void apply_override(config_value& root, const std::string& entry,
                    std::vector<config_error>& errors) {
  auto eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) {
    errors.push_back({override_file, 0, entry, "expected KEY=VALUE"});
    return;
  }
  auto key = entry.substr(0, eq);
  std::string why;
  auto steps = parse_path(key, &why);
  if (!steps) {
    errors.push_back({override_file, 0, key, why});
    return;
  }
  auto value = detail::parse_value_text(std::string_view{entry}.substr(eq + 1), &why);
  if (!value) {
    errors.push_back({override_file, 0, key, why});
    return;
  }
  mark_override(*value);
  auto fail = [&](size_t n, const std::string& message) {
    errors.push_back(
        {override_file, 0, key, "'" + shown_path(*steps, n) + "' " + message});
  };
  config_value* current = &root;
  for (size_t i = 0; i < steps->size(); ++i) {
    auto& step = (*steps)[i];
    bool last = i + 1 == steps->size();
    config_value* next = nullptr;
    if (step.index) {
      if (current->type != config_value::kind::list &&
          current->type != config_value::kind::array)
        return fail(i, "is not a list or array");
      if (*step.index >= current->items.size())
        return fail(i + 1, "does not exist");
      next = &current->items[*step.index];
    } else if (current->type == config_value::kind::group) {
      next = current->member(step.name);
      if (next == nullptr && !setting_name(step.name))
        return fail(i + 1, "is not a setting name (a letter or '*', then letters, "
                           "digits, '-', '_' or '*')");
      if (next == nullptr) {
        config_value fresh;
        fresh.type = config_value::kind::group;
        fresh.name = step.name;
        mark_override(fresh);
        current->items.push_back(std::move(fresh));
        next = &current->items.back();
      }
    } else if (current->type == config_value::kind::list) {
      next = lookup(*current, step.name);
      if (next == nullptr)
        return fail(i + 1, "does not exist");
    } else {
      return fail(i, "is not a group");
    }
    if (last) {
      auto name = std::move(next->name);
      *next = std::move(*value);
      next->name = std::move(name);
    }
    current = next;
  }
}

// libconfig 1.5 dates some values to the line of the token after them (a
// list item at the end of a line gets the next line): take the lines from
// where the scanner found each setting of the text itself.
void fix_lines(config_value& x, const detail::text_span& span,
               const detail::line_index& lines, const std::string& name) {
  if (x.type == config_value::kind::group) {
    for (auto& item : x.items)
      if (item.file == name)
        if (auto s = span.member(item.name)) {
          item.line = lines.line(s->begin);
          fix_lines(item, *s, lines, name);
        }
  } else if (x.is_aggregate()) {
    for (size_t i = 0; i < x.items.size() && i < span.items.size(); ++i) {
      x.items[i].line = lines.line(span.items[i].value_begin);
      fix_lines(x.items[i], span.items[i], lines, name);
    }
  }
}

bool before(const config_error& x, const config_error& y, const std::string& main) {
  auto rank = [&](const config_error& e) {
    return e.file == main ? 0 : e.file == override_file ? 2 : 1;
  };
  if (rank(x) != rank(y))
    return rank(x) < rank(y);
  if (x.file != y.file)
    return x.file < y.file;
  return x.line < y.line;
}

} // namespace

load_result load_text(const std::string& text, const std::string& name,
                      const load_options& opts) {
  load_result result;
  auto base_dir = opts.base_dir.empty() ? std::string{"."} : opts.base_dir;
  auto root = detail::read_libconfig(text, name, base_dir, result.errors);
  if (!root)
    return result;
  if (auto scan = detail::scan_config_text(text)) {
    fix_lines(*root, scan->root, detail::line_index{text}, name);
    // libconfig 1.5 silently wraps integers beyond 32 bits.
    for (auto& w : scan->wrapped)
      result.errors.push_back(
          {name, w.line, "",
           "integer " + w.literal +
               " is out of range (64-bit integers need an L suffix)"});
  }
  for (auto& entry : opts.overrides)
    apply_override(*root, entry, result.errors);
  auto env = opts.env ? opts.env : process_environment();
  auto failed = detail::interpolate(*root, env, base_dir, result.errors);
  warden_config cfg;
  cfg.source = name;
  cfg.base_dir = base_dir;
  std::vector<detail::retyped_value> retyped;
  detail::build_config(*root, failed, opts.types, cfg, result.errors, retyped);
  if (!result.errors.empty()) {
    std::stable_sort(result.errors.begin(), result.errors.end(),
                     [&](auto& x, auto& y) { return before(x, y, name); });
    return result;
  }
  // `port = "${PORT}"` is 4711 in the effective settings, not "4711": what
  // `dump` prints must load again.
  for (auto& [at, typed] : retyped) {
    auto& x = const_cast<config_value&>(*at); // a node of `*root`
    x.type = typed.type;
    x.integer = typed.integer;
    x.floating = typed.floating;
    x.boolean = typed.boolean;
    x.text.clear();
  }
  detail::fill_defaults(*root, cfg);
  result.config = loaded_config{std::move(cfg), std::move(*root)};
  return result;
}

load_result load_file(const std::string& path, const load_options& opts) {
  std::ifstream in{path, std::ios::binary};
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    auto err = in ? EISDIR : errno;
    load_result result;
    result.errors.push_back(
        {path, 0, "", std::string{"cannot read: "} + std::strerror(err)});
    return result;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  auto dir = std::filesystem::path{path}.parent_path().string();
  auto file_opts = opts;
  file_opts.base_dir = dir.empty() ? std::string{"."} : dir;
  return load_text(buf.str(), path, file_opts);
}

} // namespace warden
