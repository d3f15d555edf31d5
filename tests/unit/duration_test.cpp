#include <gtest/gtest.h>

#include "warden/config/duration.hpp"

namespace warden {
namespace {

using namespace std::chrono_literals;

TEST(duration, parses_units_and_sums) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("1s500ms"), 1500ms);
}

TEST(duration, rejects_bad_text_with_a_reason) {
  std::string why;
  EXPECT_FALSE(parse_duration("5", &why));
  EXPECT_EQ(why, "bad duration \"5\": a unit (ms, s, m, h, d) must follow each number");
  EXPECT_FALSE(parse_duration("", &why));
  EXPECT_EQ(why, "empty duration");
  EXPECT_FALSE(parse_duration("5 s", &why));
  EXPECT_FALSE(parse_duration("-5s", &why));
  EXPECT_EQ(why, "bad duration \"-5s\": expected a number at '-5s'");
  EXPECT_FALSE(parse_duration("5x", &why));
  EXPECT_FALSE(parse_duration("99999999999999999999s", &why));
  EXPECT_EQ(why, "duration \"99999999999999999999s\" is too large");
}

TEST(duration, formats_back) {
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_duration(0ms), "0s");
}

} // namespace
} // namespace warden
