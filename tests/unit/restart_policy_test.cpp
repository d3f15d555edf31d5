// The pure restart decision: OTP's do_restart clauses, the intensity
// window and backoff, with time passed in by hand.

#include <gtest/gtest.h>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "warden/actors/error.hpp"
#include "warden/supervisor/restart_policy.hpp"

namespace warden {
namespace {

using namespace std::chrono_literals;

time_point at(std::chrono::milliseconds ms) {
  return time_point{} + 1h + ms;
}

TEST(classify, maps_exit_reasons_to_kinds) {
  EXPECT_EQ(classify(caf::error{}), exit_kind::normal);
  EXPECT_EQ(classify(caf::exit_reason::user_shutdown), exit_kind::shutdown);
  EXPECT_EQ(classify(caf::exit_reason::kill), exit_kind::abnormal);
  EXPECT_EQ(classify(caf::sec::runtime_error), exit_kind::abnormal);
  EXPECT_EQ(classify(make_error(error::exception, "x")), exit_kind::abnormal);
}

TEST(wants_restart, follows_otp_restart_types) {
  struct row {
    restart_type type;
    bool normal, shutdown, abnormal;
  };
  for (auto r : {row{restart_type::permanent, true, true, true},
                 row{restart_type::transient, false, false, true},
                 row{restart_type::temporary, false, false, false}}) {
    EXPECT_EQ(wants_restart(r.type, exit_kind::normal), r.normal) << to_string(r.type);
    EXPECT_EQ(wants_restart(r.type, exit_kind::shutdown), r.shutdown)
        << to_string(r.type);
    EXPECT_EQ(wants_restart(r.type, exit_kind::abnormal), r.abnormal)
        << to_string(r.type);
  }
}

TEST(decide, ignores_without_touching_the_window) {
  intensity_window window{0, 5s};
  backoff_state state;
  auto d = decide(restart_type::temporary, {}, exit_kind::abnormal, window, state,
                  at(0ms), 0.5);
  EXPECT_TRUE(std::holds_alternative<ignore>(d));
  EXPECT_EQ(window.used(at(0ms)), 0u);
  d = decide(restart_type::transient, {}, exit_kind::normal, window, state, at(0ms), 0.5);
  EXPECT_TRUE(std::holds_alternative<ignore>(d));
}

TEST(decide, restarts_now_then_escalates_past_the_intensity) {
  intensity_window window{2, 10s};
  backoff_state state;
  auto next = [&](std::chrono::milliseconds t) {
    return decide(restart_type::permanent, {}, exit_kind::abnormal, window, state, at(t),
                  0.5);
  };
  EXPECT_TRUE(std::holds_alternative<restart_now>(next(0ms)));
  EXPECT_TRUE(std::holds_alternative<restart_now>(next(1000ms)));
  EXPECT_TRUE(std::holds_alternative<escalate>(next(2000ms)));
}

TEST(decide, uses_backoff_when_configured) {
  intensity_window window{10, 10s};
  backoff_state state;
  backoff_policy policy{100ms, 1s, 0.0, 10s};
  auto d = decide(restart_type::permanent, policy, exit_kind::abnormal, window, state,
                  at(0ms), 0.0);
  ASSERT_TRUE(std::holds_alternative<restart_after>(d));
  EXPECT_EQ(std::get<restart_after>(d).delay, 100ms);
}

TEST(intensity_window, counts_restarts_inside_the_period_only) {
  intensity_window w{3, 10s};
  EXPECT_FALSE(w.add(at(0s)));
  EXPECT_FALSE(w.add(at(1s)));
  EXPECT_FALSE(w.add(at(2s)));
  EXPECT_TRUE(w.add(at(3s))); // the 4th within 10 s
  EXPECT_EQ(w.used(at(3s)), 4u);
  EXPECT_EQ(w.used(at(10s)), 3u);     // the one at 0 s expired
  EXPECT_FALSE(w.add(at(12s) + 1ms)); // 0,1,2 expired: 3 s and 12 s count
  EXPECT_EQ(w.used(at(12s) + 1ms), 2u);
}

TEST(intensity_window, zero_intensity_escalates_on_the_first_restart) {
  intensity_window w{0, 1s};
  EXPECT_TRUE(w.add(at(0s)));
}

TEST(intensity_window, memory_stays_bounded_in_a_crash_loop) {
  intensity_window w{5, 1h};
  for (int i = 0; i < 100000; ++i)
    w.add(at(std::chrono::milliseconds{i}));
  EXPECT_EQ(w.used(at(100000ms)), 6u);
}

TEST(intensity_window, reconfigure_keeps_history) {
  intensity_window w{5, 10s};
  w.add(at(0s));
  w.add(at(1s));
  w.reconfigure(1, 10s);
  EXPECT_TRUE(w.add(at(2s)));
}

TEST(backoff, doubles_up_to_max_and_resets_after_a_healthy_period) {
  backoff_policy p{100ms, 1000ms, 0.0, 5s};
  backoff_state s;
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    s.last_start = at(std::chrono::milliseconds{i * 10});
    delays.push_back(
        next_backoff(p, s, at(std::chrono::milliseconds{i * 10 + 5}), 0.5).count());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000}));
  s.last_start = at(0ms);
  EXPECT_EQ(next_backoff(p, s, at(5s), 0.5), 100ms);
}

TEST(backoff, jitter_spreads_within_bounds) {
  backoff_policy p{1000ms, 10s, 0.2, 5s};
  backoff_state lo, hi, mid;
  EXPECT_EQ(next_backoff(p, lo, at(0ms), 0.0), 800ms);
  EXPECT_EQ(next_backoff(p, mid, at(0ms), 0.5), 1000ms);
  EXPECT_EQ(next_backoff(p, hi, at(0ms), 0.999999), 1200ms);
}

TEST(backoff, jitter_never_exceeds_max) {
  backoff_policy p{1000ms, 1000ms, 0.5, 5s};
  backoff_state s;
  EXPECT_EQ(next_backoff(p, s, at(0ms), 0.999), 1000ms);
}

TEST(backoff, disabled_policy_means_no_delay) {
  backoff_state s;
  EXPECT_EQ(next_backoff({}, s, at(0ms), 0.5), 0ms);
}

TEST(backoff, huge_failure_counts_do_not_overflow) {
  backoff_policy p{100ms, 30s, 0.0, 1h};
  backoff_state s;
  s.failures = 4000000000u;
  EXPECT_EQ(next_backoff(p, s, at(0ms), 0.5), 30s);
}

} // namespace
} // namespace warden
