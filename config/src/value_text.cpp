#include "value_text.hpp"

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

#include "libconfig_reader.hpp"

namespace warden::detail {

namespace {

std::string_view trim(std::string_view x) {
  while (!x.empty() && std::isspace(static_cast<unsigned char>(x.front())))
    x.remove_prefix(1);
  while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back())))
    x.remove_suffix(1);
  return x;
}

bool iequals(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(x[i])) !=
        std::tolower(static_cast<unsigned char>(y[i])))
      return false;
  return true;
}

// Reads a libconfig integer: [+-]digits or [+-]0x hex digits, then L or LL.
std::optional<config_value> parse_integer(std::string_view x) {
  bool wide = false;
  if (x.size() >= 2 &&
      (x.substr(x.size() - 2) == "LL" || x.substr(x.size() - 2) == "ll")) {
    wide = true;
    x.remove_suffix(2);
  } else if (!x.empty() && (x.back() == 'L' || x.back() == 'l')) {
    wide = true;
    x.remove_suffix(1);
  }
  bool negative = false;
  if (!x.empty() && (x.front() == '+' || x.front() == '-')) {
    negative = x.front() == '-';
    x.remove_prefix(1);
  }
  int base = 10;
  if (x.size() > 2 && x[0] == '0' && (x[1] == 'x' || x[1] == 'X')) {
    base = 16;
    x.remove_prefix(2);
  }
  if (x.empty())
    return std::nullopt;
  for (unsigned char c : x)
    if (base == 10 ? !std::isdigit(c) : !std::isxdigit(c))
      return std::nullopt;
  std::string digits{x};
  errno = 0;
  auto magnitude = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE)
    return std::nullopt;
  constexpr auto max64 =
      static_cast<unsigned long long>(std::numeric_limits<int64_t>::max());
  if (magnitude > max64 + (negative ? 1 : 0))
    return std::nullopt;
  config_value result;
  result.integer =
      negative ? static_cast<int64_t>(0ULL - magnitude) : static_cast<int64_t>(magnitude);
  bool fits32 = result.integer >= std::numeric_limits<int32_t>::min() &&
                result.integer <= std::numeric_limits<int32_t>::max();
  result.type =
      wide || !fits32 ? config_value::kind::integer64 : config_value::kind::integer;
  return result;
}

std::optional<config_value> parse_float(std::string_view x) {
  if (x.empty() || x.find_first_of(".eE") == std::string_view::npos)
    return std::nullopt;
  for (unsigned char c : x)
    if (!std::isdigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
      return std::nullopt;
  std::string text{x};
  char* end = nullptr;
  errno = 0;
  auto value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE)
    return std::nullopt;
  config_value result;
  result.type = config_value::kind::floating;
  result.floating = value;
  return result;
}

} // namespace

std::string quote(std::string_view text, bool escape_dollar) {
  std::string result = "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        result += "\\\"";
        break;
      case '\\':
        result += "\\\\";
        break;
      case '\n':
        result += "\\n";
        break;
      case '\r':
        result += "\\r";
        break;
      case '\t':
        result += "\\t";
        break;
      case '\f':
        result += "\\f";
        break;
      case '$':
        result += escape_dollar ? "$$" : "$";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02X", c);
          result += buf;
        } else {
          result += ch;
        }
    }
  }
  result += '"';
  return result;
}

std::string float_text(double x) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  std::string result = buf;
  if (result.find_first_of(".eEn") == std::string::npos) // n: inf, nan
    result += ".0";
  return result;
}

std::string scalar_text(const config_value& x) {
  using kind = config_value::kind;
  switch (x.type) {
    case kind::integer:
    case kind::integer64:
      return std::to_string(x.integer);
    case kind::floating:
      return float_text(x.floating);
    case kind::boolean:
      return x.boolean ? "true" : "false";
    case kind::string:
      return x.text;
    default:
      return {};
  }
}

std::string render_value(const config_value& x, const render_options& opts,
                         size_t indent) {
  using kind = config_value::kind;
  if (x.secret && opts.redact)
    return "\"***\"";
  switch (x.type) {
    case kind::integer:
      return std::to_string(x.integer);
    case kind::integer64:
      return std::to_string(x.integer) + "L";
    case kind::floating:
      return float_text(x.floating);
    case kind::boolean:
      return x.boolean ? "true" : "false";
    case kind::string:
      return quote(x.text, opts.escape_dollar);
    case kind::array: {
      if (x.items.empty())
        return "[ ]";
      std::string result = "[ ";
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (i > 0)
          result += ", ";
        result += render_value(x.items[i], opts, indent);
      }
      return result + " ]";
    }
    case kind::list: {
      if (x.items.empty())
        return "( )";
      if (!opts.multiline) {
        std::string result = "( ";
        for (size_t i = 0; i < x.items.size(); ++i) {
          if (i > 0)
            result += ", ";
          result += render_value(x.items[i], opts, indent);
        }
        return result + " )";
      }
      std::string inner(indent + 2, ' ');
      std::string result = "(\n";
      for (size_t i = 0; i < x.items.size(); ++i) {
        result += inner + render_value(x.items[i], opts, indent + 2);
        result += i + 1 < x.items.size() ? ",\n" : "\n";
      }
      return result + std::string(indent, ' ') + ")";
    }
    case kind::group: {
      if (x.items.empty())
        return "{ }";
      if (!opts.multiline) {
        std::string result = "{ ";
        for (auto& item : x.items)
          result += item.name + " = " + render_value(item, opts, indent) + "; ";
        return result + "}";
      }
      return "{\n" + render_members(x, opts, indent + 2) + std::string(indent, ' ') + "}";
    }
  }
  return {};
}

std::string render_members(const config_value& x, const render_options& opts,
                           size_t indent) {
  std::string result;
  for (auto& item : x.items)
    result += std::string(indent, ' ') + item.name + " = " +
              render_value(item, opts, indent) + ";\n";
  return result;
}

std::optional<config_value> parse_value_text(std::string_view text, std::string* why) {
  auto x = trim(text);
  if (!x.empty() &&
      (x.front() == '"' || x.front() == '[' || x.front() == '(' || x.front() == '{')) {
    std::vector<config_error> errors;
    auto root = read_libconfig("value = " + std::string{x} + "\n;", "value", "", errors);
    if (!root || root->items.size() != 1) {
      if (why != nullptr)
        *why = "cannot read " + std::string{x} + " as a value" +
               (errors.empty() ? std::string{} : ": " + errors.front().message);
      return std::nullopt;
    }
    auto result = std::move(root->items.front());
    result.name.clear();
    return result;
  }
  config_value result;
  if (iequals(x, "true") || iequals(x, "false")) {
    result.type = config_value::kind::boolean;
    result.boolean = iequals(x, "true");
    return result;
  }
  if (auto number = parse_integer(x))
    return number;
  if (auto number = parse_float(x))
    return number;
  result.type = config_value::kind::string;
  result.text = std::string{text};
  return result;
}

} // namespace warden::detail
