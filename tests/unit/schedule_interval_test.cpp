// Fixed-rate intervals with drift correction, the jitter offset and the
// deadline heap.
#include "warden/schedule/deadline_heap.hpp"
#include "warden/schedule/interval.hpp"
#include "warden/schedule/jitter.hpp"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

using namespace warden;
using namespace std::chrono_literals;

namespace {

const schedule_time t0 = schedule_time{} + 1000h;

} // namespace

TEST(interval, slots_are_start_plus_n_intervals) {
  auto s = next_interval_slot(t0, 10s, t0);
  EXPECT_EQ(s.index, 1u);
  EXPECT_EQ(s.due, t0 + 10s);
  EXPECT_EQ(s.missed, 0u);
  s = next_interval_slot(t0, 10s, t0 + 10s, 1);
  EXPECT_EQ(s.index, 2u);
  EXPECT_EQ(s.due, t0 + 20s);
}

TEST(interval, a_late_tick_does_not_shift_later_ones) {
  // Slot 1 delivered 3 s late: slot 2 stays at 20 s, not 23 s.
  auto s = next_interval_slot(t0, 10s, t0 + 13s, 1);
  EXPECT_EQ(s.index, 2u);
  EXPECT_EQ(s.due, t0 + 20s);
  EXPECT_EQ(s.missed, 0u);
  // Delivered 25 s late: slots 2 and 3 are over and passed over.
  s = next_interval_slot(t0, 10s, t0 + 35s, 1);
  EXPECT_EQ(s.index, 4u);
  EXPECT_EQ(s.due, t0 + 40s);
  EXPECT_EQ(s.missed, 2u);
  // Exactly on a slot boundary the slot counts as over.
  s = next_interval_slot(t0, 10s, t0 + 30s, 1);
  EXPECT_EQ(s.index, 4u);
  EXPECT_EQ(s.missed, 2u);
}

TEST(interval, an_early_tick_still_moves_one_slot) {
  auto s = next_interval_slot(t0, 10s, t0 + 9999ms, 1);
  EXPECT_EQ(s.index, 2u);
  EXPECT_EQ(s.due, t0 + 20s);
  EXPECT_EQ(s.missed, 0u);
}

TEST(interval, a_thousand_late_ticks_keep_the_grid) {
  uint64_t index = 1;
  for (int i = 1; i <= 1000; ++i) {
    // Slot i delivered 0..99 ms late: slot i + 1 stays on the grid.
    auto now = t0 + i * 250ms + std::chrono::milliseconds{(i * 37) % 100};
    auto s = next_interval_slot(t0, 250ms, now, index);
    ASSERT_EQ(s.index, index + 1);
    index = s.index;
    EXPECT_EQ(s.due, t0 + (i + 1) * 250ms);
    EXPECT_EQ(s.missed, 0u);
  }
}

TEST(interval, slots_between) {
  EXPECT_EQ(interval_slots_between(t0, 10s, t0, t0 + 9s), 0u);
  EXPECT_EQ(interval_slots_between(t0, 10s, t0, t0 + 10s), 1u);
  EXPECT_EQ(interval_slots_between(t0, 10s, t0 + 5s, t0 + 45s), 4u);
  EXPECT_EQ(interval_slots_between(t0, 10s, t0 + 45s, t0 + 5s), 0u);
}

TEST(jitter, offsets_stay_in_bounds) {
  EXPECT_EQ(jitter_offset(0s, 12345), schedule_duration{0});
  EXPECT_EQ(jitter_offset(-1s, 12345), schedule_duration{0});
  uint64_t state = 42;
  auto low = schedule_duration::max();
  auto high = schedule_duration::min();
  for (int i = 0; i < 10000; ++i) {
    auto x = jitter_offset(2s, splitmix64_next(state));
    ASSERT_GE(x, schedule_duration{0});
    ASSERT_LT(x, schedule_duration{2s});
    low = std::min(low, x);
    high = std::max(high, x);
  }
  // Spread over the range.
  EXPECT_LT(low, schedule_duration{100ms});
  EXPECT_GT(high, schedule_duration{1900ms});
  EXPECT_EQ(jitter_offset(2s, 2'000'000'000ull + 7), schedule_duration{7});
}

TEST(jitter, splitmix64_is_deterministic) {
  uint64_t a = 1, b = 1;
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(splitmix64_next(a), splitmix64_next(b));
}

TEST(deadline_heap, orders_ten_thousand_entries) {
  deadline_heap h;
  uint64_t state = 7;
  std::vector<schedule_time> deadlines;
  for (uint32_t id = 0; id < 10000; ++id) {
    auto d = t0 + std::chrono::milliseconds{splitmix64_next(state) % 10000};
    deadlines.push_back(d);
    h.set(id, d, id);
  }
  ASSERT_TRUE(h.valid());
  // Move some, erase some.
  for (uint32_t id = 0; id < 10000; id += 3) {
    deadlines[id] = t0 + std::chrono::milliseconds{splitmix64_next(state) % 10000};
    h.set(id, deadlines[id], id);
  }
  for (uint32_t id = 1; id < 10000; id += 7) {
    h.erase(id);
    deadlines[id] = schedule_time::max();
  }
  ASSERT_TRUE(h.valid());
  std::vector<std::pair<schedule_time, uint32_t>> expected;
  for (uint32_t id = 0; id < 10000; ++id)
    if (deadlines[id] != schedule_time::max())
      expected.emplace_back(deadlines[id], id);
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(h.size(), expected.size());
  for (auto& [d, id] : expected) {
    ASSERT_EQ(h.top_deadline(), d);
    ASSERT_EQ(h.top_id(), id);
    h.pop();
  }
  EXPECT_TRUE(h.empty());
}

TEST(deadline_heap, ties_go_to_the_lower_order) {
  deadline_heap h;
  h.set(5, t0, 2);
  h.set(6, t0, 1);
  h.set(7, t0, 3);
  EXPECT_EQ(h.top_id(), 6u);
  h.erase(6);
  EXPECT_EQ(h.top_id(), 5u);
  EXPECT_FALSE(h.contains(6));
  h.erase(6); // absent: nothing happens
  EXPECT_EQ(h.size(), 2u);
}
