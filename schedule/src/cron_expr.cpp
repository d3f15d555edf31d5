#include "warden/schedule/cron_expr.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace warden {

namespace {

/// What one field accepts.
struct field_def {
  const char* name;
  unsigned min;
  unsigned max;
  const char* const* names; // nullptr or three-letter names for min..
  unsigned names_base;      // the value of names[0]
  unsigned names_count;
};

constexpr const char* month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr field_def fields[] = {
    {"minute", 0, 59, nullptr, 0, 0},           {"hour", 0, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, nullptr, 0, 0},     {"month", 1, 12, month_names, 1, 12},
    {"day-of-week", 0, 7, weekday_names, 0, 7},
};

struct macro_def {
  const char* name;
  const char* fields;
};

constexpr macro_def macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

std::string lower(std::string_view x) {
  std::string result{x};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::string quoted(std::string_view x) {
  std::string result = "\"";
  result.append(x.data(), x.size());
  result += '"';
  return result;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> result;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start)
      result.push_back(text.substr(start, i - start));
  }
  return result;
}

/// Parses one field into `bits` (indexed by value); returns an error message
/// without the `cron "...": ` prefix, or an empty string.
class field_parser {
public:
  field_parser(const field_def& def, std::string_view text)
    : def_(def)
    , text_(text) {}

  std::string run(std::vector<bool>& bits) {
    bits.assign(def_.max + 1, false);
    size_t start = 0;
    for (;;) {
      auto comma = text_.find(',', start);
      auto item =
          text_.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                              : comma - start);
      if (item.empty())
        return std::string{def_.name} + " list " + quoted(text_) + " has an empty item";
      if (auto err = item_into(item, bits); !err.empty())
        return err;
      if (comma == std::string_view::npos)
        return {};
      start = comma + 1;
    }
  }

private:
  std::string value(std::string_view x, unsigned& result) {
    if (x.empty())
      return std::string{def_.name} + " " + quoted(text_) + " is missing a value";
    if (std::isdigit(static_cast<unsigned char>(x[0]))) {
      unsigned long n = 0;
      for (auto c : x) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return not_a_value(x);
        n = n * 10 + static_cast<unsigned>(c - '0');
        if (n > 1000000)
          break;
      }
      if (n < def_.min || n > def_.max)
        return std::string{def_.name} + " " + std::string{x} + " out of range " +
               std::to_string(def_.min) + "-" + std::to_string(def_.max);
      result = static_cast<unsigned>(n);
      return {};
    }
    if (def_.names != nullptr) {
      auto name = lower(x);
      for (unsigned i = 0; i < def_.names_count; ++i)
        if (name == def_.names[i]) {
          result = def_.names_base + i;
          return {};
        }
    }
    return not_a_value(x);
  }

  std::string not_a_value(std::string_view x) {
    if (def_.names != nullptr)
      return std::string{def_.name} + " " + quoted(x) + " is not a number or a name";
    return std::string{def_.name} + " " + quoted(x) + " is not a number";
  }

  std::string item_into(std::string_view item, std::vector<bool>& bits) {
    unsigned low = def_.min;
    unsigned high = def_.max;
    unsigned step = 1;
    auto slash = item.find('/');
    auto range = item.substr(0, slash);
    if (slash != std::string_view::npos) {
      auto step_text = item.substr(slash + 1);
      if (step_text.empty())
        return std::string{def_.name} + " " + quoted(item) + " is missing its step";
      unsigned long n = 0;
      for (auto c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return std::string{def_.name} + " step " + quoted(step_text) +
                 " is not a number";
        n = n * 10 + static_cast<unsigned>(c - '0');
        if (n > 1000000)
          break;
      }
      if (n == 0)
        return std::string{def_.name} + " step 0 must be at least 1";
      if (n > def_.max)
        return std::string{def_.name} + " step " + std::string{step_text} +
               " out of range 1-" + std::to_string(def_.max);
      step = static_cast<unsigned>(n);
    }
    if (range != "*") {
      auto dash = range.find('-');
      if (auto err = value(range.substr(0, dash), low); !err.empty())
        return err;
      if (dash != std::string_view::npos) {
        if (auto err = value(range.substr(dash + 1), high); !err.empty())
          return err;
        if (high < low)
          return std::string{def_.name} + " range " + quoted(range) +
                 " ends before it starts";
      } else if (slash == std::string_view::npos) {
        high = low;
      }
    }
    for (unsigned i = low; i <= high; i += step)
      bits[i] = true;
    return {};
  }

  const field_def& def_;
  std::string_view text_;
};

} // namespace

std::optional<cron_expr> cron_expr::parse(std::string_view text, std::string* why) {
  auto fail = [&](const std::string& what) -> std::optional<cron_expr> {
    if (why != nullptr)
      *why = "cron " + quoted(text) + ": " + what;
    return std::nullopt;
  };
  auto parts = split_fields(text);
  if (parts.empty())
    return fail("empty expression");
  std::string expanded;
  if (parts[0][0] == '@') {
    if (parts.size() > 1)
      return fail("macro " + quoted(parts[0]) + " takes no fields");
    auto name = lower(parts[0]);
    for (auto& m : macros)
      if (name == m.name)
        expanded = m.fields;
    if (expanded.empty())
      return fail("unknown macro " + quoted(parts[0]) +
                  " (known: @yearly, @annually, @monthly, @weekly, @daily, "
                  "@midnight, @hourly)");
    parts = split_fields(expanded);
  }
  if (parts.size() != 5)
    return fail("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                std::to_string(parts.size()));
  cron_expr result;
  result.text_ = std::string{text};
  std::vector<bool> bits;
  for (size_t f = 0; f < 5; ++f) {
    field_parser parser{fields[f], parts[f]};
    if (auto err = parser.run(bits); !err.empty())
      return fail(err);
    for (unsigned i = 0; i < bits.size(); ++i) {
      if (!bits[i])
        continue;
      switch (f) {
        case 0:
          result.minutes_.set(i);
          break;
        case 1:
          result.hours_.set(i);
          break;
        case 2:
          result.days_.set(i);
          break;
        case 3:
          result.months_.set(i);
          break;
        default:
          result.weekdays_.set(i % 7);
      }
    }
  }
  result.wild_ = parts[0][0] == '*' || parts[1][0] == '*';
  result.dom_restricted_ = parts[2][0] != '*';
  result.dow_restricted_ = parts[4][0] != '*';
  return result;
}

bool cron_expr::matches_day(unsigned day_of_month, unsigned day_of_week) const noexcept {
  bool dom = day_of_month >= 1 && day_of_month <= 31 && days_.test(day_of_month);
  bool dow = day_of_week < 7 && weekdays_.test(day_of_week);
  if (dom_restricted_ && dow_restricted_)
    return dom || dow;
  return dom && dow;
}

bool operator==(const cron_expr& x, const cron_expr& y) noexcept {
  return x.minutes_ == y.minutes_ && x.hours_ == y.hours_ && x.days_ == y.days_ &&
         x.months_ == y.months_ && x.weekdays_ == y.weekdays_ &&
         x.dom_restricted_ == y.dom_restricted_ &&
         x.dow_restricted_ == y.dow_restricted_ && x.wild_ == y.wild_;
}

} // namespace warden
