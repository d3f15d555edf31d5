#include "warden/config/config_edit.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "libconfig_reader.hpp"
#include "text_scanner.hpp"
#include "value_text.hpp"
#include "warden/config/atomic_write.hpp"
#include "warden/config/config_error.hpp"
#include "warden/config/config_value.hpp"
#include "warden/config/load.hpp"

namespace warden {

namespace {

using detail::text_span;

edit_result failure(std::string message) {
  edit_result result;
  result.error = std::move(message);
  return result;
}

bool valid_setting_name(std::string_view x) {
  if (x.empty() ||
      !(std::isalpha(static_cast<unsigned char>(x.front())) || x.front() == '*'))
    return false;
  for (unsigned char c : x)
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '*')
      return false;
  return true;
}

// The item of list `x` that is a group with `name = "<name>"`.
const text_span* find_named(const text_span& x, std::string_view name) {
  for (auto& item : x.items)
    if (item.type == text_span::kind::group)
      if (auto n = item.member("name"); n != nullptr && n->is_string && n->text == name)
        return &item;
  return nullptr;
}

size_t line_start(std::string_view text, size_t offset) {
  auto nl = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  return nl == std::string_view::npos ? 0 : nl + 1;
}

std::string indentation(std::string_view text, size_t start) {
  auto end = start;
  while (end < text.size() && (text[end] == ' ' || text[end] == '\t'))
    ++end;
  return std::string{text.substr(start, end - start)};
}

// Inserts the setting `line` (without newline) at the end of group `g`.
std::string insert_into(std::string_view text, const text_span& g,
                        const std::string& line) {
  std::string result{text};
  if (g.open == std::string_view::npos) { // the top level: at the end of the file
    if (!result.empty() && result.back() != '\n')
      result += '\n';
    return result + line + "\n";
  }
  auto close_line = line_start(text, g.close);
  bool own_line = true;
  for (auto i = close_line; i < g.close; ++i)
    if (text[i] != ' ' && text[i] != '\t')
      own_line = false;
  if (own_line) {
    std::string indent;
    if (!g.items.empty() &&
        line_start(text, g.items.back().begin) != line_start(text, g.open))
      indent = indentation(text, line_start(text, g.items.back().begin));
    else
      indent = indentation(text, close_line) + "  ";
    return result.insert(close_line, indent + line + "\n");
  }
  bool spaced = g.close > 0 && (text[g.close - 1] == ' ' || text[g.close - 1] == '\t');
  return result.insert(g.close, (spaced ? "" : " ") + line + " ");
}

} // namespace

edit_result set_setting(std::string_view text, std::string_view key,
                        std::string_view value) {
  std::vector<config_error> errors;
  if (!detail::read_libconfig(std::string{text}, "config", "", errors)) {
    // An @include that cannot be found here is no reason to refuse the edit.
    if (errors.empty() || errors.front().message != "cannot open include file")
      return failure(errors.empty() ? "cannot read the file"
                                    : "line " + std::to_string(errors.front().line) +
                                          ": " + errors.front().message);
  }
  std::string why;
  auto steps = parse_path(key, &why);
  if (!steps)
    return failure(why);
  auto parsed = detail::parse_value_text(value, &why);
  if (!parsed)
    return failure(why);
  auto scan = detail::scan_config_text(text, &why);
  if (!scan)
    return failure(why);
  const text_span* current = &scan->root;
  std::string path;
  size_t i = 0;
  for (; i < steps->size(); ++i) {
    auto& step = (*steps)[i];
    const text_span* next = nullptr;
    if (step.index) {
      if (current->type != text_span::kind::list &&
          current->type != text_span::kind::array)
        return failure("'" + path + "' is not a list or array");
      if (*step.index >= current->items.size())
        return failure("'" + path + "' has no item [" + std::to_string(*step.index) +
                       "]");
      next = &current->items[*step.index];
    } else if (current->type == text_span::kind::group) {
      next = current->member(step.name);
      if (next == nullptr)
        break;
    } else if (current->type == text_span::kind::list) {
      next = find_named(*current, step.name);
      if (next == nullptr)
        return failure("'" + path + "' has no item named '" + step.name + "'");
    } else {
      return failure("'" + path + "' is not a group");
    }
    path = append_step(path,
                       step.index ? "[" + std::to_string(*step.index) + "]" : step.name);
    current = next;
  }
  auto rendered =
      detail::render_value(*parsed, detail::render_options{false, false, false});
  std::string result{text};
  if (i == steps->size()) // found: replace the value only
    return {result.replace(current->value_begin,
                           current->value_end - current->value_begin, rendered),
            {}};
  // Missing: add `a = { b = { c = value; }; };` for the missing steps.
  for (auto j = i; j < steps->size(); ++j)
    if ((*steps)[j].index || !valid_setting_name((*steps)[j].name))
      return failure("cannot add '" + std::string{key} + "': '" +
                     ((*steps)[j].index ? "[" + std::to_string(*(*steps)[j].index) + "]"
                                        : (*steps)[j].name) +
                     "' is not a setting name");
  std::string line = (*steps)[steps->size() - 1].name + " = " + rendered + ";";
  for (auto j = steps->size() - 1; j-- > i;)
    line = (*steps)[j].name + " = { " + line + " };";
  return {insert_into(text, *current, line), {}};
}

std::string set_setting_in_file(const std::string& path, std::string_view key,
                                std::string_view value, const load_options& opts) {
  std::ifstream in{path};
  if (!in)
    return path + ": cannot read the file";
  std::ostringstream buf;
  buf << in.rdbuf();
  auto edited = set_setting(buf.str(), key, value);
  if (!edited.text)
    return path + ": " + edited.error;
  auto check_opts = opts;
  check_opts.overrides.clear();
  check_opts.base_dir = std::filesystem::path{path}.parent_path().string();
  auto checked = load_text(*edited.text, path, check_opts);
  if (!checked.ok())
    return "not written: the result would not be valid\n" + to_string(checked.errors);
  std::string why;
  if (!write_file_atomically(path, *edited.text, &why))
    return path + ": " + why;
  return {};
}

} // namespace warden
