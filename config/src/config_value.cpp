#include "warden/config/config_value.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace warden {

namespace {

bool all_digits(std::string_view x) {
  return !x.empty() && std::all_of(x.begin(), x.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool fail(std::string* why, std::string message) {
  if (why != nullptr)
    *why = std::move(message);
  return false;
}

// Reads "name", "name[1][2]", "[1]" or "12" into `out`.
bool parse_step(std::string_view piece, std::string_view path,
                std::vector<path_segment>& out, std::string* why) {
  auto bracket = piece.find('[');
  auto name = piece.substr(0, bracket);
  if (!name.empty()) {
    if (all_digits(name)) {
      // As for "[N]": beyond nine digits, std::stoull may throw.
      if (name.size() > 9)
        return fail(why, "bad index '" + std::string{name} + "' in path '" +
                             std::string{path} + "'");
      out.push_back({"", static_cast<size_t>(std::stoull(std::string{name}))});
    } else {
      out.push_back({std::string{name}, std::nullopt});
    }
  }
  while (bracket != std::string_view::npos) {
    auto close = piece.find(']', bracket);
    if (close == std::string_view::npos)
      return fail(why, "missing ']' in path '" + std::string{path} + "'");
    auto number = piece.substr(bracket + 1, close - bracket - 1);
    if (!all_digits(number) || number.size() > 9)
      return fail(why, "bad index '[" + std::string{number} + "]' in path '" +
                           std::string{path} + "'");
    out.push_back({"", static_cast<size_t>(std::stoull(std::string{number}))});
    bracket = close + 1;
    if (bracket == piece.size())
      break;
    if (piece[bracket] != '[')
      return fail(why, "unexpected '" + std::string{piece.substr(bracket)} +
                           "' in path '" + std::string{path} + "'");
  }
  return true;
}

template <class Value>
Value* find_item(Value& list, std::string_view name) {
  for (auto& item : list.items)
    if (item.type == config_value::kind::group)
      if (auto n = item.member("name");
          n != nullptr && n->type == config_value::kind::string && n->text == name)
        return &item;
  return nullptr;
}

template <class Value>
Value* lookup_impl(Value& root, std::string_view path) {
  auto steps = parse_path(path);
  if (!steps)
    return nullptr;
  Value* current = &root;
  for (auto& step : *steps) {
    if (step.index) {
      if (current->type != config_value::kind::list &&
          current->type != config_value::kind::array)
        return nullptr;
      if (*step.index >= current->items.size())
        return nullptr;
      current = &current->items[*step.index];
    } else if (current->type == config_value::kind::group) {
      current = current->member(step.name);
    } else if (current->type == config_value::kind::list) {
      current = find_item(*current, step.name);
    } else {
      return nullptr;
    }
    if (current == nullptr)
      return nullptr;
  }
  return current;
}

} // namespace

const config_value* config_value::member(std::string_view key) const {
  for (auto& item : items)
    if (item.name == key)
      return &item;
  return nullptr;
}

config_value* config_value::member(std::string_view key) {
  for (auto& item : items)
    if (item.name == key)
      return &item;
  return nullptr;
}

const char* to_string(config_value::kind x) noexcept {
  switch (x) {
    case config_value::kind::group:
      return "group";
    case config_value::kind::list:
      return "list";
    case config_value::kind::array:
      return "array";
    case config_value::kind::integer:
    case config_value::kind::integer64:
      return "integer";
    case config_value::kind::floating:
      return "float";
    case config_value::kind::string:
      return "string";
    case config_value::kind::boolean:
      return "boolean";
  }
  return "unknown";
}

std::optional<std::vector<path_segment>> parse_path(std::string_view path,
                                                    std::string* why) {
  std::vector<path_segment> result;
  auto rest = path;
  if (!rest.empty() && rest.front() == '.')
    rest.remove_prefix(1);
  if (rest.empty()) {
    fail(why, "empty setting path");
    return std::nullopt;
  }
  for (;;) {
    auto dot = rest.find('.');
    auto piece = rest.substr(0, dot);
    if (piece.empty()) {
      fail(why, "empty step in path '" + std::string{path} + "'");
      return std::nullopt;
    }
    if (!parse_step(piece, path, result, why))
      return std::nullopt;
    if (dot == std::string_view::npos)
      break;
    rest.remove_prefix(dot + 1);
  }
  return result;
}

const config_value* lookup(const config_value& root, std::string_view path) {
  return lookup_impl(root, path);
}

config_value* lookup(config_value& root, std::string_view path) {
  return lookup_impl(root, path);
}

std::vector<std::string> item_steps(const config_value& list) {
  std::vector<std::string> result;
  result.reserve(list.items.size());
  std::unordered_map<std::string_view, size_t> count;
  auto usable_name = [&](const config_value& item) -> const std::string* {
    if (list.type != config_value::kind::list || item.type != config_value::kind::group)
      return nullptr;
    auto name = item.member("name");
    if (name == nullptr || name->type != config_value::kind::string || name->secret ||
        name->text.empty() || all_digits(name->text))
      return nullptr;
    for (unsigned char c : name->text)
      if (!std::isalnum(c) && c != '_' && c != '-')
        return nullptr;
    return &name->text;
  };
  for (auto& item : list.items)
    if (auto name = usable_name(item))
      ++count[*name];
  for (size_t i = 0; i < list.items.size(); ++i) {
    auto name = usable_name(list.items[i]);
    if (name != nullptr && count[*name] == 1)
      result.push_back(*name);
    else
      result.push_back("[" + std::to_string(i) + "]");
  }
  return result;
}

std::string append_step(const std::string& path, const std::string& step) {
  if (path.empty())
    return step;
  if (!step.empty() && step.front() == '[')
    return path + step;
  return path + "." + step;
}

} // namespace warden
