// cron_expr: parsing five-field cron expressions, names, macros, the
// day-of-month/day-of-week OR rule and the messages of invalid expressions.
#include "warden/schedule/cron_expr.hpp"

#include <gtest/gtest.h>

using namespace warden;

namespace {

cron_expr parse_ok(const char* text) {
  std::string why;
  auto result = cron_expr::parse(text, &why);
  EXPECT_TRUE(result) << text << ": " << why;
  return *result;
}

std::string error_of(const char* text) {
  std::string why;
  auto result = cron_expr::parse(text, &why);
  EXPECT_FALSE(result) << text;
  return why;
}

} // namespace

TEST(cron_expr, star_matches_everything) {
  auto e = parse_ok("* * * * *");
  for (unsigned m = 0; m < 60; ++m)
    EXPECT_TRUE(e.has_minute(m));
  for (unsigned h = 0; h < 24; ++h)
    EXPECT_TRUE(e.has_hour(h));
  for (unsigned mo = 1; mo <= 12; ++mo)
    EXPECT_TRUE(e.has_month(mo));
  EXPECT_TRUE(e.matches_day(31, 6));
  EXPECT_TRUE(e.wild());
  EXPECT_FALSE(e.day_of_month_restricted());
  EXPECT_FALSE(e.day_of_week_restricted());
  EXPECT_EQ(e.text(), "* * * * *");
}

TEST(cron_expr, steps) {
  auto e = parse_ok("*/15 * * * *");
  for (unsigned m = 0; m < 60; ++m)
    EXPECT_EQ(e.has_minute(m), m % 15 == 0) << m;
  auto r = parse_ok("10-50/5 * * * *");
  for (unsigned m = 0; m < 60; ++m)
    EXPECT_EQ(r.has_minute(m), m >= 10 && m <= 50 && m % 5 == 0) << m;
  auto f = parse_ok("0 10-20/5 * * *");
  for (unsigned h = 0; h < 24; ++h)
    EXPECT_EQ(f.has_hour(h), h == 10 || h == 15 || h == 20) << h;
  // `N/step` runs from N to the field's maximum.
  auto g = parse_ok("5/20 * * * *");
  for (unsigned m = 0; m < 60; ++m)
    EXPECT_EQ(g.has_minute(m), m == 5 || m == 25 || m == 45) << m;
}

TEST(cron_expr, lists_and_ranges) {
  auto e = parse_ok("1,3,5 8-10,22 * * *");
  for (unsigned m = 0; m < 60; ++m)
    EXPECT_EQ(e.has_minute(m), m == 1 || m == 3 || m == 5) << m;
  for (unsigned h = 0; h < 24; ++h)
    EXPECT_EQ(e.has_hour(h), (h >= 8 && h <= 10) || h == 22) << h;
  EXPECT_FALSE(e.wild());
}

TEST(cron_expr, month_and_weekday_names_in_any_case) {
  auto e = parse_ok("0 0 * JAN,mar-May Mon-fri");
  EXPECT_TRUE(e.has_month(1));
  EXPECT_FALSE(e.has_month(2));
  EXPECT_TRUE(e.has_month(3));
  EXPECT_TRUE(e.has_month(4));
  EXPECT_TRUE(e.has_month(5));
  EXPECT_FALSE(e.has_month(6));
  EXPECT_FALSE(e.matches_day(1, 0)); // Sunday
  for (unsigned d = 1; d <= 5; ++d)
    EXPECT_TRUE(e.matches_day(1, d));
  EXPECT_FALSE(e.matches_day(1, 6));
  EXPECT_EQ(parse_ok("0 0 * * sun"), parse_ok("0 0 * * 0"));
  EXPECT_EQ(parse_ok("0 0 * dec *"), parse_ok("0 0 * 12 *"));
}

TEST(cron_expr, sunday_is_zero_and_seven) {
  auto seven = parse_ok("0 0 * * 7");
  EXPECT_TRUE(seven.matches_day(10, 0));
  EXPECT_FALSE(seven.matches_day(10, 6));
  EXPECT_EQ(seven, parse_ok("0 0 * * 0"));
  auto fri_to_sun = parse_ok("0 0 * * 5-7");
  EXPECT_TRUE(fri_to_sun.matches_day(1, 5));
  EXPECT_TRUE(fri_to_sun.matches_day(1, 6));
  EXPECT_TRUE(fri_to_sun.matches_day(1, 0));
  EXPECT_FALSE(fri_to_sun.matches_day(1, 1));
}

TEST(cron_expr, macros) {
  EXPECT_EQ(parse_ok("@yearly"), parse_ok("0 0 1 1 *"));
  EXPECT_EQ(parse_ok("@annually"), parse_ok("0 0 1 1 *"));
  EXPECT_EQ(parse_ok("@monthly"), parse_ok("0 0 1 * *"));
  EXPECT_EQ(parse_ok("@weekly"), parse_ok("0 0 * * 0"));
  EXPECT_EQ(parse_ok("@daily"), parse_ok("0 0 * * *"));
  EXPECT_EQ(parse_ok("@midnight"), parse_ok("0 0 * * *"));
  EXPECT_EQ(parse_ok("@hourly"), parse_ok("0 * * * *"));
  EXPECT_EQ(parse_ok("  @Daily "), parse_ok("0 0 * * *"));
  EXPECT_EQ(parse_ok("@daily").text(), "@daily");
}

TEST(cron_expr, day_of_month_or_day_of_week_when_both_restricted) {
  // The 13th or any Friday.
  auto e = parse_ok("0 0 13 * 5");
  EXPECT_TRUE(e.day_of_month_restricted());
  EXPECT_TRUE(e.day_of_week_restricted());
  EXPECT_TRUE(e.matches_day(13, 2));
  EXPECT_TRUE(e.matches_day(20, 5));
  EXPECT_FALSE(e.matches_day(20, 4));
  // One side `*`: both must match (the `*` side always does).
  auto f = parse_ok("0 0 13 * *");
  EXPECT_TRUE(f.matches_day(13, 2));
  EXPECT_FALSE(f.matches_day(14, 5));
  auto g = parse_ok("0 0 * * 5");
  EXPECT_TRUE(g.matches_day(14, 5));
  EXPECT_FALSE(g.matches_day(13, 2));
  // As in vixie cron, a field starting with `*` counts as unrestricted.
  auto h = parse_ok("0 0 */2 * 5");
  EXPECT_FALSE(h.day_of_month_restricted());
  EXPECT_TRUE(h.matches_day(3, 5));
  EXPECT_FALSE(h.matches_day(4, 5));
  EXPECT_FALSE(h.matches_day(3, 4));
}

TEST(cron_expr, whitespace_between_fields) {
  EXPECT_EQ(parse_ok("  0\t0  *  * *  "), parse_ok("0 0 * * *"));
}

TEST(cron_expr, invalid_expressions_name_the_field_and_the_problem) {
  EXPECT_EQ(error_of("0 25 * * *"), R"(cron "0 25 * * *": hour 25 out of range 0-23)");
  EXPECT_EQ(error_of("60 * * * *"), R"(cron "60 * * * *": minute 60 out of range 0-59)");
  EXPECT_EQ(error_of("0 0 0 * *"),
            R"(cron "0 0 0 * *": day-of-month 0 out of range 1-31)");
  EXPECT_EQ(error_of("0 0 32 * *"),
            R"(cron "0 0 32 * *": day-of-month 32 out of range 1-31)");
  EXPECT_EQ(error_of("0 0 * 13 *"), R"(cron "0 0 * 13 *": month 13 out of range 1-12)");
  EXPECT_EQ(error_of("0 0 * * 8"), R"(cron "0 0 * * 8": day-of-week 8 out of range 0-7)");
  EXPECT_EQ(
      error_of("0 0 * *"),
      R"(cron "0 0 * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4)");
  EXPECT_EQ(
      error_of("0 0 * * * *"),
      R"(cron "0 0 * * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 6)");
  EXPECT_EQ(error_of(""), R"(cron "": empty expression)");
  EXPECT_EQ(error_of("   "), R"(cron "   ": empty expression)");
  EXPECT_EQ(error_of("x * * * *"), R"(cron "x * * * *": minute "x" is not a number)");
  EXPECT_EQ(error_of("0 0 * foo *"),
            R"(cron "0 0 * foo *": month "foo" is not a number or a name)");
  EXPECT_EQ(error_of("0 0 * * jan"),
            R"(cron "0 0 * * jan": day-of-week "jan" is not a number or a name)");
  EXPECT_EQ(error_of("0 mon * * *"), R"(cron "0 mon * * *": hour "mon" is not a number)");
  EXPECT_EQ(error_of("*/0 * * * *"),
            R"(cron "*/0 * * * *": minute step 0 must be at least 1)");
  EXPECT_EQ(error_of("*/x * * * *"),
            R"(cron "*/x * * * *": minute step "x" is not a number)");
  EXPECT_EQ(error_of("*/ * * * *"),
            R"(cron "*/ * * * *": minute "*/" is missing its step)");
  EXPECT_EQ(error_of("0 */99 * * *"),
            R"(cron "0 */99 * * *": hour step 99 out of range 1-23)");
  EXPECT_EQ(error_of("0 20-5 * * *"),
            R"(cron "0 20-5 * * *": hour range "20-5" ends before it starts)");
  EXPECT_EQ(error_of("1,,2 * * * *"),
            R"(cron "1,,2 * * * *": minute list "1,,2" has an empty item)");
  EXPECT_EQ(error_of("1- * * * *"),
            R"(cron "1- * * * *": minute "1-" is missing a value)");
  EXPECT_EQ(error_of("-1 * * * *"),
            R"(cron "-1 * * * *": minute "-1" is missing a value)");
  EXPECT_EQ(
      error_of("@reboot"),
      R"(cron "@reboot": unknown macro "@reboot" (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly))");
  EXPECT_EQ(error_of("@daily 5"), R"(cron "@daily 5": macro "@daily" takes no fields)");
  EXPECT_EQ(
      error_of("99999999999999999999 * * * *"),
      R"(cron "99999999999999999999 * * * *": minute 99999999999999999999 out of range 0-59)");
}

TEST(cron_expr, parse_without_a_message_buffer) {
  EXPECT_FALSE(cron_expr::parse("bad"));
  EXPECT_TRUE(cron_expr::parse("@hourly"));
}
