#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace warden {

/// A parsed five-field cron expression: `minute hour day-of-month month
/// day-of-week`, as in vixie cron and cronie.
///
/// Each field is `*`, a number, a range `1-5`, a list `1,3,5` of those, and
/// any of them with a step (`*/15`, `10-50/5`; `5/15` means `5-max/15`).
/// `month` takes `jan`..`dec` and `day-of-week` takes `sun`..`sat` (any case,
/// also in ranges); day-of-week 0 and 7 are both Sunday. The macros
/// `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight` and
/// `@hourly` stand for their usual five fields.
///
/// Day matching follows cron: when both day-of-month and day-of-week are
/// restricted (their text does not start with `*`), a day matches when
/// either matches; otherwise both must match.
///
/// An expression whose minute or hour field starts with `*` is *wild* (cron's
/// MIN_STAR/HR_STAR): across daylight saving changes it follows the wall
/// clock, while a fixed-time expression is moved out of a skipped hour and
/// runs only once in a repeated hour (see `next_fire`).
class cron_expr {
public:
  /// Parses `text`. On error returns nothing and, when `why` is given, sets
  /// it to a message that quotes the expression and names the field and the
  /// problem, e.g. `cron "0 25 * * *": hour 25 out of range 0-23`.
  static std::optional<cron_expr> parse(std::string_view text,
                                        std::string* why = nullptr);

  /// The expression as written.
  const std::string& text() const noexcept {
    return text_;
  }

  bool has_minute(unsigned minute) const noexcept {
    return minute < 60 && minutes_.test(minute);
  }

  bool has_hour(unsigned hour) const noexcept {
    return hour < 24 && hours_.test(hour);
  }

  /// `month` in 1..12.
  bool has_month(unsigned month) const noexcept {
    return month >= 1 && month <= 12 && months_.test(month);
  }

  /// Whether a day matches, given its day of the month (1..31) and its day
  /// of the week (0 = Sunday .. 6 = Saturday), with cron's OR rule.
  bool matches_day(unsigned day_of_month, unsigned day_of_week) const noexcept;

  /// True when the minute or the hour field starts with `*`.
  bool wild() const noexcept {
    return wild_;
  }

  bool day_of_month_restricted() const noexcept {
    return dom_restricted_;
  }

  bool day_of_week_restricted() const noexcept {
    return dow_restricted_;
  }

  friend bool operator==(const cron_expr& x, const cron_expr& y) noexcept;

  friend bool operator!=(const cron_expr& x, const cron_expr& y) noexcept {
    return !(x == y);
  }

private:
  cron_expr() = default;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_; // 0..6, 7 folded into 0
  bool dom_restricted_ = false;
  bool dow_restricted_ = false;
  bool wild_ = false;
};

} // namespace warden
