#include "text_scanner.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>

namespace warden::detail {

namespace {

bool is_punct(char c) {
  switch (c) {
    case '=':
    case ':':
    case ';':
    case ',':
    case '{':
    case '}':
    case '(':
    case ')':
    case '[':
    case ']':
    case '"':
      return true;
    default:
      return false;
  }
}

class scanner {
public:
  explicit scanner(std::string_view text)
    : text_(text) {}

  bool run(scan_result& out) {
    out.root.type = text_span::kind::group;
    out.root.value_begin = 0;
    out.root.value_end = text_.size();
    out.root.close = text_.size();
    if (!members(out.root, '\0'))
      return false;
    out.wrapped = std::move(wrapped_);
    return true;
  }

  const std::string& error() const {
    return error_;
  }

private:
  bool fail(std::string message) {
    error_ = "line " + std::to_string(line_of(text_, pos_)) + ": " + message;
    return false;
  }

  bool at_comment() const {
    if (pos_ >= text_.size())
      return false;
    if (text_[pos_] == '#')
      return true;
    return text_[pos_] == '/' && pos_ + 1 < text_.size() &&
           (text_[pos_ + 1] == '/' || text_[pos_ + 1] == '*');
  }

  void skip() {
    while (pos_ < text_.size()) {
      auto c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#' ||
                 (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        auto end = text_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? text_.size() : end + 2;
      } else {
        return;
      }
    }
  }

  char peek() const {
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  std::string_view word() {
    auto begin = pos_;
    while (pos_ < text_.size() && !is_punct(text_[pos_]) &&
           !std::isspace(static_cast<unsigned char>(text_[pos_])) && !at_comment())
      ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

  // One "..." literal, decoded into `out`.
  bool string_literal(std::string& out) {
    ++pos_; // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      auto c = text_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size())
        break;
      auto e = text_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'f':
          out += '\f';
          break;
        case 'x':
          if (pos_ + 2 <= text_.size()) {
            out += static_cast<char>(
                std::strtol(std::string{text_.substr(pos_, 2)}.c_str(), nullptr, 16));
            pos_ += 2;
          }
          break;
        default:
          out += e;
      }
    }
    if (pos_ >= text_.size())
      return fail("unterminated string");
    ++pos_; // closing quote
    return true;
  }

  void check_integer(std::string_view literal, size_t at) {
    auto x = literal;
    if (x.empty() || x.back() == 'L' || x.back() == 'l')
      return;
    bool negative = false;
    if (x.front() == '-' || x.front() == '+') {
      negative = x.front() == '-';
      x.remove_prefix(1);
    }
    int base = 10;
    if (x.size() > 2 && x[0] == '0' && (x[1] == 'x' || x[1] == 'X')) {
      base = 16;
      x.remove_prefix(2);
    }
    if (x.empty())
      return;
    for (unsigned char c : x)
      if (base == 10 ? !std::isdigit(c) : !std::isxdigit(c))
        return;
    errno = 0;
    auto magnitude = std::strtoull(std::string{x}.c_str(), nullptr, base);
    unsigned long long limit = base == 16 ? 0xFFFFFFFFULL
                               : negative ? 2147483648ULL
                                          : 2147483647ULL;
    if (errno == ERANGE || magnitude > limit)
      wrapped_.push_back({line_of(text_, at), std::string{literal}});
  }

  bool value(text_span& v) {
    skip();
    v.value_begin = pos_;
    auto c = peek();
    if (c == '{') {
      v.type = text_span::kind::group;
      v.open = pos_++;
      if (!members(v, '}'))
        return false;
      v.close = pos_++;
    } else if (c == '(' || c == '[') {
      v.type = c == '(' ? text_span::kind::list : text_span::kind::array;
      auto closing = c == '(' ? ')' : ']';
      v.open = pos_++;
      skip();
      if (peek() != closing) {
        for (;;) {
          text_span item;
          if (!value(item))
            return false;
          item.begin = item.value_begin;
          v.items.push_back(std::move(item));
          skip();
          if (peek() == ',') {
            ++pos_;
            skip();
            continue;
          }
          break;
        }
      }
      if (peek() != closing)
        return fail(std::string{"expected '"} + closing + "'");
      v.close = pos_++;
    } else if (c == '"') {
      v.type = text_span::kind::scalar;
      v.is_string = true;
      for (;;) {
        if (!string_literal(v.text))
          return false;
        v.value_end = pos_;
        skip();
        if (peek() != '"')
          break;
      }
      pos_ = v.value_end;
      return true;
    } else {
      v.type = text_span::kind::scalar;
      auto w = word();
      if (w.empty())
        return fail("expected a value");
      check_integer(w, v.value_begin);
    }
    v.value_end = pos_;
    return true;
  }

  // Settings up to `closing` ('\0': end of text).
  bool members(text_span& group, char closing) {
    for (;;) {
      skip();
      if (pos_ >= text_.size()) {
        if (closing != '\0')
          return fail(std::string{"expected '"} + closing + "'");
        return true;
      }
      if (peek() == closing)
        return true;
      if (peek() == '@') { // @include "file"
        word();
        skip();
        std::string ignored;
        if (peek() == '"' && !string_literal(ignored))
          return false;
        continue;
      }
      text_span s;
      s.begin = pos_;
      auto name = word();
      if (name.empty())
        return fail("expected a setting name");
      s.name = std::string{name};
      skip();
      if (peek() != '=' && peek() != ':')
        return fail("expected '=' after '" + s.name + "'");
      ++pos_;
      if (!value(s))
        return false;
      skip();
      if (peek() == ';' || peek() == ',')
        ++pos_;
      group.items.push_back(std::move(s));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
  std::vector<wrapped_integer> wrapped_;
};

} // namespace

const text_span* text_span::member(std::string_view key) const {
  for (auto& item : items)
    if (item.name == key)
      return &item;
  return nullptr;
}

std::optional<scan_result> scan_config_text(std::string_view text, std::string* why) {
  scan_result result;
  scanner s{text};
  if (!s.run(result)) {
    if (why != nullptr)
      *why = s.error();
    return std::nullopt;
  }
  return result;
}

unsigned line_of(std::string_view text, size_t offset) {
  unsigned line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n')
      ++line;
  return line;
}

line_index::line_index(std::string_view text) {
  starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      starts_.push_back(i + 1);
}

unsigned line_index::line(size_t offset) const {
  auto i = std::upper_bound(starts_.begin(), starts_.end(), offset);
  return static_cast<unsigned>(i - starts_.begin());
}

} // namespace warden::detail
