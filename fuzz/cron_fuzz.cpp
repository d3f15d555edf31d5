// libFuzzer target: cron expressions through `cron_expr::parse`, and the next
// fire times of those that parse (`next_fire`) in UTC, Europe/Oslo (one-hour
// daylight saving changes) and Australia/Lord_Howe (half-hour changes).
//
// Input: the expression on the first line; optionally a second line with the
// start time in seconds since the epoch (clamped to 1970..2200); without it,
// one of several start times around daylight saving changes and year ends.
//
// Invariants (a violation traps):
// - parsing returns (no exception escapes), keeps the text, and parsing the
//   text again gives an equal expression;
// - a next fire time lies after the start, within the horizon, on a whole
//   minute, and the fire time after it lies after it; asking again from just
//   before it or from half-way gives the same time;
// - it is a time the expression matches in the zone's local time (or, for a
//   fixed-time expression, the end of a daylight saving gap), and no minute
//   between the start and it (the first day checked) is one at which
//   the expression fires;
// - in UTC, no fire time means that no day of the horizon matches.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <date/tz.h>

#include "fuzz_support.hpp"
#include "warden/schedule/cron_expr.hpp"
#include "warden/schedule/find_zone.hpp"
#include "warden/schedule/next_fire.hpp"

namespace {

using namespace warden;
using namespace std::chrono;

constexpr int64_t min_start = 0;          // 1970-01-01
constexpr int64_t max_start = 7258118400; // 2200-01-01

// Around the DST changes of 2024 in Oslo (31 Mar, 27 Oct at 01:00 UTC) and
// Lord Howe (6 Apr 15:00 UTC, 5 Oct 15:30 UTC), year ends, a non-leap
// century, and the epoch that `warden check` starts from.
constexpr int64_t default_starts[] = {
    0,          1711846800 - 90, 1729990800 - 1800, 1712415600 - 60,
    1728142200, 1735689599,      4107456000,        1700000000,
};

schedule_time at(int64_t seconds) {
  return schedule_time{duration_cast<schedule_duration>(std::chrono::seconds{seconds})};
}

std::string show(schedule_time t) {
  return date::format("%FT%TZ", floor<seconds>(t));
}

// Whether `expr` matches the local minute `lt`.
bool matches_local(const cron_expr& expr, date::local_seconds lt) {
  auto day = floor<date::days>(lt);
  date::year_month_day ymd{day};
  auto tod = lt - day;
  auto h = static_cast<unsigned>(duration_cast<hours>(tod).count());
  auto m = static_cast<unsigned>(duration_cast<minutes>(tod % hours{1}).count());
  return expr.has_month(static_cast<unsigned>(ymd.month())) &&
         expr.matches_day(static_cast<unsigned>(ymd.day()),
                          date::weekday{day}.c_encoding()) &&
         expr.has_hour(h) && expr.has_minute(m);
}

// Whether `expr` fires at the instant `u` (a whole minute) by the rules of
// `next_fire`, not counting the end of a gap.
bool fires_at(const cron_expr& expr, const date::time_zone* zone, date::sys_seconds u) {
  auto info = zone->get_info(u);
  auto lt = date::local_seconds{u.time_since_epoch() + info.offset};
  if (!matches_local(expr, lt))
    return false;
  auto li = zone->get_info(lt);
  if (li.result == date::local_info::ambiguous && !expr.wild())
    // A fixed-time job runs at the first occurrence only.
    return u == date::sys_seconds{lt.time_since_epoch() - li.first.offset};
  return true;
}

// Whether `u` ends a spring-forward gap in which `expr` matches a minute.
bool ends_matching_gap(const cron_expr& expr, const date::time_zone* zone,
                       date::sys_seconds u) {
  auto info = zone->get_info(u);
  if (info.begin != u)
    return false;
  auto before = zone->get_info(u - seconds{1});
  if (before.offset >= info.offset)
    return false;
  auto gap_begin = date::local_seconds{u.time_since_epoch() + before.offset};
  auto gap_end = date::local_seconds{u.time_since_epoch() + info.offset};
  for (auto lt = gap_begin; lt < gap_end; lt += minutes{1})
    if (matches_local(expr, lt))
      return true;
  return false;
}

// Whether some day of the horizon after `start` matches, in UTC.
bool any_day_matches(const cron_expr& expr, schedule_time start) {
  auto first = floor<date::days>(start);
  for (auto day = first; day < first + date::days{366 * next_fire_horizon_years};
       day += date::days{1}) {
    date::year_month_day ymd{day};
    if (expr.has_month(static_cast<unsigned>(ymd.month())) &&
        expr.matches_day(static_cast<unsigned>(ymd.day()),
                         date::weekday{day}.c_encoding()))
      return true;
  }
  return false;
}

void check_next(const cron_expr& expr, const date::time_zone* zone, int64_t start) {
  auto after = at(start);
  auto next = next_fire(expr, after, zone);
  auto where = expr.text() + " in " + zone_name(zone) + " after " + show(after);
  if (!next) {
    if (zone_name(zone) == "UTC")
      fuzz::check(!any_day_matches(expr, after),
                  "no next fire time in UTC, but a day matches", where);
    return;
  }
  auto t = *next;
  where += ": " + show(t);
  fuzz::check(t > after, "the next fire time is not after the start", where);
  fuzz::check(t - after <= date::days{366 * next_fire_horizon_years + 3},
              "the next fire time lies beyond the horizon", where);
  fuzz::check(t.time_since_epoch() % minutes{1} == schedule_duration::zero(),
              "the next fire time is not a whole minute", where);
  auto u = floor<seconds>(t);
  fuzz::check(fires_at(expr, zone, u) ||
                  (!expr.wild() && ends_matching_gap(expr, zone, u)),
              "the expression does not fire at its next fire time", where);
  // Nothing earlier: every minute of the first day, checked one by one.
  date::sys_seconds start_s = floor<seconds>(after);
  auto limit = std::min(u, date::sys_seconds{ceil<minutes>(start_s) + date::days{1}});
  for (date::sys_seconds m = floor<minutes>(start_s) + minutes{1}; m < limit;
       m += minutes{1})
    fuzz::check(!fires_at(expr, zone, m),
                "the expression fires before its next fire time",
                where + " (at " + date::format("%FT%TZ", m) + ")");
  auto again = next_fire(expr, t - seconds{1}, zone);
  fuzz::check(again == next || t - seconds{1} < after,
              "asked again from just before, another time", where);
  auto half = after + (t - after) / 2;
  fuzz::check(next_fire(expr, half, zone) == next,
              "asked again from half-way, another time", where);
  auto later = next_fire(expr, t, zone);
  fuzz::check(!later || *later > t, "the fire time after the next is not after it",
              where);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto newline = input.find('\n');
  auto text = input.substr(0, newline);
  std::vector<int64_t> starts;
  if (newline != std::string_view::npos) {
    int64_t n = 0;
    bool digits = false;
    for (auto c : input.substr(newline + 1)) {
      if (c < '0' || c > '9')
        break;
      digits = true;
      n = std::min<int64_t>(n * 10 + (c - '0'), max_start);
    }
    if (digits)
      starts.push_back(std::clamp(n, min_start, max_start));
  }
  if (starts.empty()) {
    // One of the default starts, chosen by the text (all of them would make
    // each run eight times slower).
    size_t hash = 0;
    for (auto c : text)
      hash = hash * 31 + static_cast<unsigned char>(c);
    starts.push_back(default_starts[hash % std::size(default_starts)]);
  }
  std::string why;
  auto expr = cron_expr::parse(text, &why);
  if (!expr) {
    fuzz::check(!why.empty(), "a refused expression without a reason");
    return 0;
  }
  fuzz::check(expr->text() == text, "the expression does not keep its text");
  auto again = cron_expr::parse(expr->text());
  fuzz::check(again && *again == *expr, "the text parses to another expression");
  static const date::time_zone* zones[] = {find_zone("UTC"), find_zone("Europe/Oslo"),
                                           find_zone("Australia/Lord_Howe")};
  for (auto zone : zones) {
    fuzz::check(zone != nullptr, "a time zone is missing (tzdata)");
    for (auto start : starts)
      check_next(*expr, zone, start);
  }
  return 0;
}
