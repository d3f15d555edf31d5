// next_fire: the next time of a cron expression in a time zone, with month
// ends, leap years, daylight saving changes (Europe/Oslo, 2026) and
// impossible expressions. All times are virtual.
#include "warden/schedule/find_zone.hpp"
#include "warden/schedule/next_fire.hpp"

#include <vector>

#include <date/date.h>
#include <gtest/gtest.h>

using namespace warden;
using namespace std::chrono;

namespace {

schedule_time utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  auto t = date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} +
           minutes{mi} + seconds{s};
  return schedule_time{duration_cast<schedule_duration>(t.time_since_epoch())};
}

std::string show(std::optional<schedule_time> t) {
  if (!t)
    return "never";
  return date::format("%FT%TZ", floor<seconds>(*t));
}

cron_expr cron(const char* text) {
  std::string why;
  auto e = cron_expr::parse(text, &why);
  EXPECT_TRUE(e) << why;
  return *e;
}

const date::time_zone* oslo() {
  std::string why;
  auto z = find_zone("Europe/Oslo", &why);
  EXPECT_NE(z, nullptr) << why;
  return z;
}

const date::time_zone* utc_zone() {
  return find_zone("UTC");
}

/// The first `n` fire times after `after`.
std::vector<std::string> sequence(const char* text, schedule_time after,
                                  const date::time_zone* zone, size_t n) {
  auto e = cron(text);
  std::vector<std::string> result;
  std::optional<schedule_time> t = after;
  for (size_t i = 0; i < n && t; ++i) {
    t = next_fire(e, *t, zone);
    result.push_back(show(t));
  }
  return result;
}

/// Minute by minute in UTC: the reference for zones without changes.
std::optional<schedule_time> brute_force(const cron_expr& e, schedule_time after,
                                         minutes limit) {
  auto t = ceil<minutes>(after + nanoseconds{1});
  for (auto end = t + limit; t < end; t += minutes{1}) {
    auto day = floor<date::days>(t);
    date::year_month_day ymd{day};
    date::hh_mm_ss<minutes> tod{t - day};
    if (e.has_minute(static_cast<unsigned>(tod.minutes().count())) &&
        e.has_hour(static_cast<unsigned>(tod.hours().count())) &&
        e.has_month(static_cast<unsigned>(ymd.month())) &&
        e.matches_day(static_cast<unsigned>(ymd.day()), date::weekday{day}.c_encoding()))
      return t;
  }
  return std::nullopt;
}

} // namespace

TEST(cron_next_fire, strictly_after) {
  auto e = cron("*/15 * * * *");
  auto z = utc_zone();
  EXPECT_EQ(show(next_fire(e, utc(2026, 5, 1, 10, 7), z)), "2026-05-01T10:15:00Z");
  EXPECT_EQ(show(next_fire(e, utc(2026, 5, 1, 10, 15), z)), "2026-05-01T10:30:00Z");
  EXPECT_EQ(show(next_fire(e, utc(2026, 5, 1, 10, 15) - nanoseconds{1}, z)),
            "2026-05-01T10:15:00Z");
  EXPECT_EQ(show(next_fire(e, utc(2026, 5, 1, 23, 59, 30), z)), "2026-05-02T00:00:00Z");
  EXPECT_EQ(show(next_fire(e, utc(2026, 12, 31, 23, 50), z)), "2027-01-01T00:00:00Z");
}

TEST(cron_next_fire, month_ends_skip_short_months) {
  EXPECT_EQ(sequence("0 0 31 * *", utc(2026, 1, 1), utc_zone(), 5),
            (std::vector<std::string>{"2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z",
                                      "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                                      "2026-08-31T00:00:00Z"}));
  EXPECT_EQ(sequence("0 6 30 * *", utc(2026, 1, 30, 7), utc_zone(), 2),
            (std::vector<std::string>{"2026-03-30T06:00:00Z", "2026-04-30T06:00:00Z"}));
}

TEST(cron_next_fire, leap_day) {
  EXPECT_EQ(sequence("0 12 29 2 *", utc(2026, 1, 1), utc_zone(), 3),
            (std::vector<std::string>{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z",
                                      "2036-02-29T12:00:00Z"}));
  // 2100 is no leap year: from 2097 the next 29 February is in 2104, within
  // the eight-year horizon.
  EXPECT_EQ(show(next_fire(cron("0 0 29 2 *"), utc(2097, 1, 1), utc_zone())),
            "2104-02-29T00:00:00Z");
}

TEST(cron_next_fire, impossible_expressions_give_nothing) {
  for (auto text : {"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"})
    EXPECT_EQ(next_fire(cron(text), utc(2026, 1, 1), utc_zone()), std::nullopt) << text;
  // With the OR rule the Mondays of February still fire.
  EXPECT_EQ(show(next_fire(cron("0 0 31 2 1"), utc(2026, 11, 1), utc_zone())),
            "2027-02-01T00:00:00Z");
}

TEST(cron_next_fire, names_lists_ranges_and_macros) {
  auto z = utc_zone();
  // 2026-11-20 is a Friday.
  EXPECT_EQ(sequence("0 9 * * mon-fri", utc(2026, 11, 20, 10), z, 2),
            (std::vector<std::string>{"2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z"}));
  EXPECT_EQ(sequence("0 8,17 * * sat,sun", utc(2026, 11, 20), z, 3),
            (std::vector<std::string>{"2026-11-21T08:00:00Z", "2026-11-21T17:00:00Z",
                                      "2026-11-22T08:00:00Z"}));
  EXPECT_EQ(sequence("30 4 1 jan,jul *", utc(2026, 2, 1), z, 2),
            (std::vector<std::string>{"2026-07-01T04:30:00Z", "2027-01-01T04:30:00Z"}));
  EXPECT_EQ(show(next_fire(cron("@weekly"), utc(2026, 11, 18, 12), z)),
            "2026-11-22T00:00:00Z");
  EXPECT_EQ(show(next_fire(cron("@yearly"), utc(2026, 11, 18), z)),
            "2027-01-01T00:00:00Z");
  EXPECT_EQ(show(next_fire(cron("@monthly"), utc(2026, 11, 18), z)),
            "2026-12-01T00:00:00Z");
  EXPECT_EQ(show(next_fire(cron("@daily"), utc(2026, 11, 18, 0, 0, 1), z)),
            "2026-11-19T00:00:00Z");
  EXPECT_EQ(show(next_fire(cron("@hourly"), utc(2026, 11, 18, 5, 0), z)),
            "2026-11-18T06:00:00Z");
  EXPECT_EQ(sequence("10-50/20 1 * * *", utc(2026, 11, 18), z, 4),
            (std::vector<std::string>{"2026-11-18T01:10:00Z", "2026-11-18T01:30:00Z",
                                      "2026-11-18T01:50:00Z", "2026-11-19T01:10:00Z"}));
}

TEST(cron_next_fire, day_of_month_or_day_of_week) {
  // The 13th or a Friday: 2026-11-06, 13 (both), 20, 27, then 2026-12-04,
  // 11, 13 (a Sunday).
  EXPECT_EQ(sequence("0 0 13 * fri", utc(2026, 11, 1), utc_zone(), 7),
            (std::vector<std::string>{"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z",
                                      "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z",
                                      "2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z",
                                      "2026-12-13T00:00:00Z"}));
}

TEST(cron_next_fire, agrees_with_brute_force_in_utc) {
  const char* exprs[] = {"*/7 * * * *",    "0 */5 * * *",  "15 3 * * 1",
                         "0 0 1,15 * *",   "0 0 13 * 5",   "5/20 2-4 * feb-apr *",
                         "59 23 31 * *",   "0 12 * * 0,6", "*/30 9-17 * * mon-fri",
                         "0 0 */10 */2 *", "1 1 1 1 1"};
  auto z = utc_zone();
  for (auto text : exprs) {
    auto e = cron(text);
    for (auto start :
         {utc(2026, 1, 1), utc(2026, 2, 27, 23, 59, 59), utc(2027, 12, 31, 23, 0)}) {
      auto t = start;
      for (int i = 0; i < 20; ++i) {
        auto expected = brute_force(e, t, minutes{60 * 24 * 366 * 2});
        auto got = next_fire(e, t, z);
        ASSERT_EQ(show(got), show(expected)) << text << " after " << show(t);
        if (!got)
          break;
        t = *got;
      }
    }
  }
}

// Europe/Oslo 2026: clocks go from 02:00 CET to 03:00 CEST on 29 March
// (01:00 UTC) and from 03:00 CEST back to 02:00 CET on 25 October (01:00
// UTC). A daily job at 02:30 fires exactly once on both days.
TEST(cron_next_fire, oslo_spring_forward_fixed_time_fires_once_after_the_gap) {
  EXPECT_EQ(sequence("30 2 * * *", utc(2026, 3, 27, 12), oslo(), 3),
            (std::vector<std::string>{"2026-03-28T01:30:00Z", // 02:30 CET
                                      "2026-03-29T01:00:00Z", // 02:30 missing: 03:00 CEST
                                      "2026-03-30T00:30:00Z"})); // 02:30 CEST
  // Two fixed times in the gap still fire once.
  EXPECT_EQ(sequence("0,30 2 * * *", utc(2026, 3, 29, 0), oslo(), 2),
            (std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}));
  // Just before the change and exactly at it.
  EXPECT_EQ(show(next_fire(cron("30 2 * * *"), utc(2026, 3, 29, 0, 59, 59), oslo())),
            "2026-03-29T01:00:00Z");
  EXPECT_EQ(show(next_fire(cron("30 2 * * *"), utc(2026, 3, 29, 1), oslo())),
            "2026-03-30T00:30:00Z");
}

TEST(cron_next_fire, oslo_spring_forward_wild_follows_the_clock) {
  // `30 * * * *` is wild (hour `*`): 02:30 does not exist that night.
  EXPECT_EQ(sequence("30 * * * *", utc(2026, 3, 29, 0, 15), oslo(), 2),
            (std::vector<std::string>{"2026-03-29T00:30:00Z",    // 01:30 CET
                                      "2026-03-29T01:30:00Z"})); // 03:30 CEST
  EXPECT_EQ(sequence("*/30 * * * *", utc(2026, 3, 29, 0, 15), oslo(), 3),
            (std::vector<std::string>{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z",
                                      "2026-03-29T01:30:00Z"}));
}

TEST(cron_next_fire, oslo_fall_back_fixed_time_fires_at_the_first_occurrence_only) {
  EXPECT_EQ(sequence("30 2 * * *", utc(2026, 10, 23, 12), oslo(), 3),
            (std::vector<std::string>{"2026-10-24T00:30:00Z",    // 02:30 CEST
                                      "2026-10-25T00:30:00Z",    // 02:30 CEST, first
                                      "2026-10-26T01:30:00Z"})); // 02:30 CET
  // Asked during the repeated hour (02:10 CET): not again that day.
  EXPECT_EQ(show(next_fire(cron("30 2 * * *"), utc(2026, 10, 25, 1, 10), oslo())),
            "2026-10-26T01:30:00Z");
}

TEST(cron_next_fire, oslo_fall_back_wild_fires_on_both_occurrences) {
  EXPECT_EQ(sequence("*/30 * * * *", utc(2026, 10, 25, 0), oslo(), 4),
            (std::vector<std::string>{"2026-10-25T00:30:00Z",    // 02:30 CEST
                                      "2026-10-25T01:00:00Z",    // 02:00 CET
                                      "2026-10-25T01:30:00Z",    // 02:30 CET
                                      "2026-10-25T02:00:00Z"})); // 03:00 CET
  // From the first 02:20 the next 02:15 (the repeated one) comes first.
  EXPECT_EQ(show(next_fire(cron("15 * * * *"), utc(2026, 10, 25, 0, 20), oslo())),
            "2026-10-25T01:15:00Z");
}

TEST(cron_next_fire, named_zone_shifts_local_times) {
  // Midnight in Oslo is 23:00 UTC in winter and 22:00 UTC in summer.
  EXPECT_EQ(show(next_fire(cron("@daily"), utc(2026, 1, 10, 12), oslo())),
            "2026-01-10T23:00:00Z");
  EXPECT_EQ(show(next_fire(cron("@daily"), utc(2026, 7, 10, 12), oslo())),
            "2026-07-10T22:00:00Z");
}

TEST(cron_next_fire, null_zone_is_the_local_zone) {
  auto e = cron("17 3 * * *");
  auto t = utc(2026, 6, 1);
  EXPECT_EQ(next_fire(e, t, nullptr), next_fire(e, t, local_zone()));
}

TEST(find_zone, unknown_zone_is_an_error) {
  std::string why;
  EXPECT_EQ(find_zone("Europe/Olso", &why), nullptr);
  EXPECT_EQ(why, R"(unknown time zone "Europe/Olso")");
  EXPECT_EQ(find_zone(""), local_zone());
  EXPECT_EQ(zone_name(find_zone("Europe/Oslo")), "Europe/Oslo");
}
