// The diagnostics block, read without the child's help.

#include <gtest/gtest.h>

#include "warden/actors/diagnostics.hpp"

namespace warden {
namespace {

using namespace std::chrono_literals;

TEST(diagnostics, snapshot_reports_uptime_counters_flags_and_values) {
  diagnostics d{"root/w", "probe"};
  auto t0 = time_point{} + 1h;
  d.started(caf::actor{}, t0);
  d.state(child_state::running);
  d.count_handled(4);
  d.count_handled(2);
  d.set_flag("degraded");
  d.set_flag("degraded");
  d.set_value("queue", "17");
  auto s = d.snapshot(t0 + 1500ms);
  EXPECT_EQ(s.path, "root/w");
  EXPECT_EQ(s.type, "probe");
  EXPECT_EQ(s.state, child_state::running);
  EXPECT_EQ(s.uptime_ms, 1500);
  EXPECT_EQ(s.handled, 2u);
  EXPECT_EQ(s.mailbox, 2u);
  EXPECT_EQ(s.flags, std::vector<std::string>{"degraded"});
  EXPECT_EQ(s.values.at("queue"), "17");
  d.clear_flag("degraded");
  d.clear_value("queue");
  s = d.snapshot(t0);
  EXPECT_TRUE(s.flags.empty());
  EXPECT_TRUE(s.values.empty());
}

TEST(diagnostics, keeps_the_last_ten_exits_oldest_first) {
  diagnostics d{"root/w", "probe"};
  for (int i = 0; i < 13; ++i)
    d.exited("crash " + std::to_string(i), time_point{});
  auto s = d.snapshot(time_point{});
  ASSERT_EQ(s.exits.size(), 10u);
  EXPECT_EQ(s.exits.front().reason, "crash 3");
  EXPECT_EQ(s.exits.back().reason, "crash 12");
  EXPECT_EQ(s.uptime_ms, 0);
}

TEST(diagnostics, next_restart_counts_down) {
  diagnostics d{"root/w", "probe"};
  auto t0 = time_point{} + 1h;
  EXPECT_EQ(d.snapshot(t0).next_restart_ms, -1);
  d.next_restart(t0 + 250ms);
  EXPECT_EQ(d.snapshot(t0 + 50ms).next_restart_ms, 200);
  EXPECT_EQ(d.snapshot(t0 + 300ms).next_restart_ms, 0);
}

} // namespace
} // namespace warden
