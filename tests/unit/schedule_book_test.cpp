// schedule_book: many schedules on one deadline heap, driven by a manual
// clock: drift correction, counters, overlap, at_start across restarts,
// catch-up, jitter, hot reload and 10k schedules in order.
#include "warden/schedule/schedule_book.hpp"

#include "warden/schedule/find_zone.hpp"
#include "warden/schedule/last_fire_file.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <unistd.h>

#include <date/date.h>
#include <gtest/gtest.h>

using namespace warden;
using namespace std::chrono_literals;

namespace {

schedule_time utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  auto t = date::sys_days{date::year{y} / date::month{mo} / date::day{d}} +
           std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
  return schedule_time{
      std::chrono::duration_cast<schedule_duration>(t.time_since_epoch())};
}

const schedule_time t0 = utc(2026, 5, 1, 12);

schedule_spec every(schedule_duration interval, const char* tick = "tick") {
  schedule_spec s;
  s.tick = tick;
  s.every = interval;
  return s;
}

schedule_spec cron(const char* text, const char* zone = "UTC") {
  schedule_spec s;
  std::string why;
  s.cron = cron_expr::parse(text, &why);
  EXPECT_TRUE(s.cron) << why;
  s.zone = find_zone(zone, &why);
  EXPECT_NE(s.zone, nullptr) << why;
  return s;
}

schedule_info info_of(const schedule_book& b, const std::string& key) {
  auto i = b.info(key);
  EXPECT_TRUE(i) << key;
  return i ? *i : schedule_info{};
}

} // namespace

TEST(schedule_book, every_is_drift_corrected) {
  schedule_book b;
  ASSERT_TRUE(b.add("w/scan", "w", every(10s, "scan")));
  EXPECT_EQ(b.next_deadline(), std::nullopt); // not started
  b.on_child_start("w", true, t0);
  EXPECT_EQ(b.next_deadline(), t0 + 10s);
  EXPECT_TRUE(b.due(t0 + 9s).empty());

  auto ticks = b.due(t0 + 13s); // 3 s late
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].key, "w/scan");
  EXPECT_EQ(ticks[0].group, "w");
  EXPECT_EQ(ticks[0].tick, "scan");
  EXPECT_EQ(ticks[0].kind, tick_kind::regular);
  EXPECT_EQ(ticks[0].due, t0 + 10s);
  EXPECT_EQ(ticks[0].lateness, schedule_duration{3s});
  EXPECT_EQ(ticks[0].sequence, 1u);
  EXPECT_TRUE(b.handled("w/scan"));
  // The late tick did not move the grid.
  EXPECT_EQ(b.next_deadline(), t0 + 20s);
  ticks = b.due(t0 + 20s);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].lateness, schedule_duration{0});
  b.handled("w/scan");

  // Stalled for 3.5 intervals: one tick for slot 3, slots 4 and 5 passed over.
  ticks = b.due(t0 + 55s);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].due, t0 + 30s);
  EXPECT_EQ(ticks[0].missed, 2u);
  EXPECT_EQ(b.next_deadline(), t0 + 60s);

  auto i = info_of(b, "w/scan");
  EXPECT_EQ(i.fired, 3u);
  EXPECT_EQ(i.late, 2u);
  EXPECT_EQ(i.missed, 2u);
  EXPECT_EQ(i.worst_lateness, schedule_duration{25s});
  EXPECT_EQ(i.last_fire, t0 + 55s);
  EXPECT_EQ(i.next_fire, t0 + 60s);
  EXPECT_TRUE(i.running);
  EXPECT_EQ(i.outstanding, 1u);
}

TEST(schedule_book, late_threshold_is_a_parameter) {
  schedule_book_options opts;
  opts.late_threshold = 1ms;
  schedule_book b{opts};
  b.add("a", "g", every(1s));
  b.on_child_start("g", true, t0);
  b.due(t0 + 1s + 1ms); // exactly at the threshold: not late
  b.handled("a");
  b.due(t0 + 2s + 1ms + 1us);
  EXPECT_EQ(info_of(b, "a").late, 1u);
  EXPECT_EQ(info_of(b, "a").worst_lateness, schedule_duration{1ms + 1us});

  schedule_book_options lax;
  lax.late_threshold = 100ms;
  schedule_book c{lax};
  c.add("a", "g", every(1s));
  c.on_child_start("g", true, t0);
  c.due(t0 + 1s + 50ms);
  EXPECT_EQ(info_of(c, "a").late, 0u);
}

TEST(schedule_book, early_tolerance_delivers_early_ticks) {
  schedule_book_options opts;
  opts.early_tolerance = 2ms;
  schedule_book b{opts};
  b.add("a", "g", every(1s));
  b.on_child_start("g", true, t0);
  EXPECT_TRUE(b.due(t0 + 1s - 3ms).empty());
  auto ticks = b.due(t0 + 1s - 1ms);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].lateness, -schedule_duration{1ms});
  EXPECT_EQ(info_of(b, "a").early, 1u);
  EXPECT_EQ(b.next_deadline(), t0 + 2s);
}

TEST(schedule_book, overlap_skip_counts_and_drops) {
  schedule_book b;
  b.add("a", "g", every(1s)); // skip is the default
  b.on_child_start("g", true, t0);
  ASSERT_EQ(b.due(t0 + 1s).size(), 1u);
  EXPECT_TRUE(b.due(t0 + 2s).empty()); // the first one is still unhandled
  EXPECT_TRUE(b.due(t0 + 3s).empty());
  EXPECT_TRUE(b.handled("a"));
  EXPECT_FALSE(b.handled("a")); // nothing outstanding
  ASSERT_EQ(b.due(t0 + 4s).size(), 1u);
  auto i = info_of(b, "a");
  EXPECT_EQ(i.fired, 2u);
  EXPECT_EQ(i.skipped, 2u);
  EXPECT_EQ(i.overlapped, 0u);
  EXPECT_EQ(i.last_fire, t0 + 4s);
}

TEST(schedule_book, overlap_queue_delivers_anyway) {
  schedule_book b;
  auto s = every(1s);
  s.overlap = overlap_policy::queue;
  b.add("a", "g", s);
  b.on_child_start("g", true, t0);
  EXPECT_EQ(b.due(t0 + 1s).size(), 1u);
  EXPECT_EQ(b.due(t0 + 2s).size(), 1u);
  EXPECT_EQ(b.due(t0 + 3s).size(), 1u);
  auto i = info_of(b, "a");
  EXPECT_EQ(i.fired, 3u);
  EXPECT_EQ(i.skipped, 0u);
  EXPECT_EQ(i.overlapped, 2u);
  EXPECT_EQ(i.outstanding, 3u);
}

TEST(schedule_book, at_start_always_fires_at_every_start) {
  schedule_book b;
  auto s = cron("0 0 * * *");
  s.at_start = start_policy::always;
  b.add("a", "g", s);
  b.on_child_start("g", true, t0);
  EXPECT_EQ(b.next_deadline(), t0);
  auto ticks = b.due(t0 + 1ms);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].kind, tick_kind::at_start);
  EXPECT_EQ(ticks[0].due, t0);
  EXPECT_EQ(ticks[0].lateness, schedule_duration{1ms});
  EXPECT_EQ(b.next_deadline(), utc(2026, 5, 2));
  // The child crashes and restarts: at_start again, outstanding ticks dropped.
  b.on_child_stop("g");
  EXPECT_EQ(b.next_deadline(), std::nullopt);
  EXPECT_EQ(info_of(b, "a").outstanding, 0u);
  b.on_child_start("g", false, t0 + 1h);
  ticks = b.due(t0 + 1h);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].kind, tick_kind::at_start);
  EXPECT_EQ(info_of(b, "a").fired, 2u);
}

TEST(schedule_book, at_start_once_fires_at_the_first_start_only) {
  schedule_book b;
  auto s = every(1h);
  s.at_start = start_policy::once;
  b.add("a", "g", s);
  b.add("b", "g", every(1h)); // at_start none
  b.on_child_start("g", true, t0);
  auto ticks = b.due(t0);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].key, "a");
  EXPECT_EQ(ticks[0].kind, tick_kind::at_start);
  b.on_child_stop("g");
  b.on_child_start("g", false, t0 + 10s);
  EXPECT_TRUE(b.due(t0 + 10s).empty());
  // The grid restarts with the child.
  EXPECT_EQ(b.next_deadline(), t0 + 10s + 1h);
  ticks = b.due(t0 + 10s + 1h);
  EXPECT_EQ(ticks.size(), 2u);
}

TEST(schedule_book, catch_up_one_fires_once_for_missed_cron_runs) {
  schedule_book b;
  auto s = cron("0 3 * * *");
  s.catch_up = catch_up_policy::one;
  b.add("a", "g", s);
  b.restore_last_fire("a", utc(2026, 5, 1, 3)); // then down for two days
  b.on_child_start("g", true, utc(2026, 5, 3, 10));
  auto ticks = b.due(utc(2026, 5, 3, 10));
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].kind, tick_kind::catch_up);
  EXPECT_EQ(ticks[0].due, utc(2026, 5, 3, 10));
  b.handled("a");
  EXPECT_EQ(b.next_deadline(), utc(2026, 5, 4, 3));
  EXPECT_EQ(info_of(b, "a").last_fire, utc(2026, 5, 3, 10));
}

TEST(schedule_book, catch_up_one_needs_a_missed_run) {
  schedule_book b;
  auto s = cron("0 3 * * *");
  s.catch_up = catch_up_policy::one;
  b.add("a", "g", s);
  b.add("never", "g", s); // no last fire: nothing to catch up
  b.restore_last_fire("a", utc(2026, 5, 3, 3));
  b.on_child_start("g", true, utc(2026, 5, 3, 10));
  EXPECT_TRUE(b.due(utc(2026, 5, 3, 10)).empty());
  EXPECT_EQ(b.next_deadline(), utc(2026, 5, 4, 3));
}

TEST(schedule_book, catch_up_none_waits_for_the_next_regular_time) {
  schedule_book b;
  b.add("a", "g", cron("0 3 * * *")); // catch_up none is the default
  b.restore_last_fire("a", utc(2026, 5, 1, 3));
  b.on_child_start("g", true, utc(2026, 5, 3, 10));
  EXPECT_TRUE(b.due(utc(2026, 5, 3, 10)).empty());
  EXPECT_EQ(b.next_deadline(), utc(2026, 5, 4, 3));
}

TEST(schedule_book, catch_up_after_backoff_for_every) {
  schedule_book b;
  auto s = every(10s);
  s.catch_up = catch_up_policy::one;
  b.add("a", "g", s);
  b.on_child_start("g", true, t0);
  ASSERT_EQ(b.due(t0 + 10s).size(), 1u);
  // Crash at 12 s, back after a short backoff: no run was missed.
  b.on_child_stop("g");
  b.on_child_start("g", false, t0 + 15s);
  EXPECT_TRUE(b.due(t0 + 15s).empty());
  EXPECT_EQ(b.next_deadline(), t0 + 25s);
  // Crash again, back after a long backoff: one catch-up tick.
  b.on_child_stop("g");
  b.on_child_start("g", false, t0 + 60s);
  auto ticks = b.due(t0 + 60s);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].kind, tick_kind::catch_up);
  EXPECT_EQ(b.next_deadline(), t0 + 70s);
}

TEST(schedule_book, at_start_covers_a_catch_up) {
  schedule_book b;
  auto s = every(10s);
  s.catch_up = catch_up_policy::one;
  s.at_start = start_policy::always;
  b.add("a", "g", s);
  b.restore_last_fire("a", t0 - 1h);
  b.on_child_start("g", true, t0);
  auto ticks = b.due(t0);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].kind, tick_kind::at_start);
}

TEST(schedule_book, catch_up_across_a_warden_restart) {
  auto path = (std::filesystem::temp_directory_path() /
               ("warden_schedule_book_" + std::to_string(::getpid()) + ".state"))
                  .string();
  {
    schedule_book b;
    auto s = cron("*/5 * * * *");
    s.catch_up = catch_up_policy::one;
    b.add("root/w/scan", "root/w", s);
    b.on_child_start("root/w", true, utc(2026, 5, 1, 10, 1));
    ASSERT_EQ(b.due(utc(2026, 5, 1, 10, 5)).size(), 1u);
    std::string why;
    ASSERT_TRUE(save_last_fires(path, b.last_fires(), &why)) << why;
  } // warden stops; it is back twenty minutes later
  schedule_book b;
  auto s = cron("*/5 * * * *");
  s.catch_up = catch_up_policy::one;
  b.add("root/w/scan", "root/w", s);
  auto loaded = load_last_fires(path);
  EXPECT_TRUE(loaded.problems.empty());
  for (auto& [key, when] : loaded.times)
    b.restore_last_fire(key, when);
  b.on_child_start("root/w", true, utc(2026, 5, 1, 10, 27));
  auto ticks = b.due(utc(2026, 5, 1, 10, 27));
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].kind, tick_kind::catch_up);
  EXPECT_EQ(b.next_deadline(), utc(2026, 5, 1, 10, 30));
  std::filesystem::remove(path);
}

TEST(schedule_book, cron_ticks_count_passed_over_times) {
  schedule_book b;
  b.add("a", "g", cron("* * * * *"));
  b.on_child_start("g", true, utc(2026, 5, 1, 9, 59, 30));
  auto ticks = b.due(utc(2026, 5, 1, 10, 3, 30));
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].due, utc(2026, 5, 1, 10));
  EXPECT_EQ(ticks[0].missed, 3u); // 10:01, 10:02, 10:03
  EXPECT_EQ(b.next_deadline(), utc(2026, 5, 1, 10, 4));
}

TEST(schedule_book, cron_in_a_named_zone_across_daylight_saving) {
  schedule_book b;
  b.add("a", "g", cron("30 2 * * *", "Europe/Oslo"));
  b.on_child_start("g", true, utc(2026, 3, 28, 12));
  std::vector<schedule_time> fires;
  for (int i = 0; i < 3; ++i) {
    auto d = *b.next_deadline();
    auto ticks = b.due(d);
    ASSERT_EQ(ticks.size(), 1u);
    b.handled("a");
    fires.push_back(ticks[0].due);
  }
  EXPECT_EQ(fires,
            (std::vector<schedule_time>{utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30),
                                        utc(2026, 3, 31, 0, 30)}));
}

TEST(schedule_book, jitter_comes_from_the_callers_source) {
  schedule_book_options opts;
  uint64_t calls = 0;
  opts.random = [&calls] { return 1'500'000'000ull + calls++; }; // 1.5 s (+ n ns)
  schedule_book b{opts};
  auto s = every(10s);
  s.jitter = 2s;
  b.add("a", "g", s);
  b.on_child_start("g", true, t0);
  EXPECT_EQ(b.next_deadline(), t0 + 10s + 1500ms);
  auto ticks = b.due(t0 + 10s + 1500ms);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].due, t0 + 10s + 1500ms);
  EXPECT_EQ(ticks[0].lateness, schedule_duration{0});
  b.handled("a");
  // The grid is not moved by the jitter.
  EXPECT_EQ(b.next_deadline(), t0 + 20s + 1500ms + 1ns);
}

TEST(schedule_book, jitter_stays_in_bounds) {
  schedule_book_options opts;
  opts.seed = 99;
  schedule_book b{opts};
  for (int i = 0; i < 200; ++i) {
    auto s = every(10s);
    s.jitter = 2s;
    b.add("s" + std::to_string(i), "g", s);
  }
  b.on_child_start("g", true, t0);
  std::map<std::string, int> seen;
  auto now = t0;
  while (now < t0 + 100s) {
    now = *b.next_deadline();
    for (auto& t : b.due(now)) {
      auto offset = (t.due - t0) % 10s;
      ASSERT_GE(offset, schedule_duration{0});
      ASSERT_LT(offset, schedule_duration{2s});
      ++seen[t.key];
      b.handled(t.key);
    }
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_TRUE(b.add("x", "g", [] {
    auto s = every(10s);
    s.jitter = 9s;
    return s;
  }()));
  std::string why;
  auto bad = every(10s);
  bad.jitter = 10s;
  EXPECT_FALSE(b.add("y", "g", bad, &why));
  EXPECT_EQ(why, R"(schedule "y": jitter must be shorter than the interval)");
}

TEST(schedule_book, ten_thousand_schedules_fire_in_order) {
  schedule_book b;
  for (int i = 0; i < 10000; ++i) {
    auto interval = std::chrono::seconds{1 + i % 10};
    b.add("c" + std::to_string(i / 10) + "/t" + std::to_string(i % 10),
          "c" + std::to_string(i / 10), every(interval));
  }
  ASSERT_EQ(b.size(), 10000u);
  for (int c = 0; c < 1000; ++c)
    b.on_child_start("c" + std::to_string(c), true, t0);
  std::map<std::string, uint64_t> fired;
  schedule_time last = t0;
  size_t total = 0;
  std::vector<schedule_tick> ticks;
  while (b.next_deadline() && *b.next_deadline() <= t0 + 60s) {
    auto now = *b.next_deadline();
    ASSERT_GE(now, last);
    last = now;
    ticks.clear();
    b.due(now, ticks);
    ASSERT_FALSE(ticks.empty());
    for (auto& t : ticks) {
      ASSERT_EQ(t.due, now);
      ASSERT_EQ(t.lateness, schedule_duration{0});
      ++fired[t.key];
      b.handled(t.key);
    }
    total += ticks.size();
  }
  // Every schedule fired 60 / interval times, none late, none skipped.
  for (int i = 0; i < 10000; ++i) {
    auto key = "c" + std::to_string(i / 10) + "/t" + std::to_string(i % 10);
    ASSERT_EQ(fired[key], static_cast<uint64_t>(60 / (1 + i % 10))) << key;
  }
  EXPECT_EQ(total, 1000u * (60 + 30 + 20 + 15 + 12 + 10 + 8 + 7 + 6 + 6));
  for (auto& i : b.snapshot()) {
    ASSERT_EQ(i.late, 0u);
    ASSERT_EQ(i.skipped, 0u);
  }
}

TEST(schedule_book, remove_and_replace_leave_others_alone) {
  schedule_book b;
  b.add("a", "g", every(10s));
  b.add("b", "g", every(7s));
  b.add("c", "h", cron("0 * * * *"));
  b.on_child_start("g", true, t0);
  b.on_child_start("h", true, t0);
  EXPECT_EQ(b.next_deadline(), t0 + 7s);
  EXPECT_TRUE(b.remove("b"));
  EXPECT_FALSE(b.remove("b"));
  EXPECT_FALSE(b.contains("b"));
  EXPECT_EQ(b.next_deadline(), t0 + 10s);
  EXPECT_EQ(info_of(b, "c").next_fire, utc(2026, 5, 1, 13));

  ASSERT_EQ(b.due(t0 + 10s).size(), 1u);
  b.handled("a");
  // An unchanged spec changes nothing (the grid stays).
  EXPECT_TRUE(b.replace("a", every(10s), t0 + 15s));
  EXPECT_EQ(info_of(b, "a").next_fire, t0 + 20s);
  // A new interval restarts the grid at the reload; counters stay.
  EXPECT_TRUE(b.replace("a", every(3s, "fast"), t0 + 15s));
  auto i = info_of(b, "a");
  EXPECT_EQ(i.next_fire, t0 + 18s);
  EXPECT_EQ(i.fired, 1u);
  EXPECT_EQ(i.tick, "fast");
  EXPECT_EQ(info_of(b, "c").next_fire, utc(2026, 5, 1, 13));
  // From every to cron.
  EXPECT_TRUE(b.replace("a", cron("30 12 * * *"), t0 + 15s));
  EXPECT_EQ(info_of(b, "a").next_fire, utc(2026, 5, 1, 12, 30));
  // A slot freed by remove is reused without confusion.
  EXPECT_TRUE(b.add("d", "g", every(1s)));
  b.start("d", true, t0 + 15s);
  EXPECT_EQ(b.next_deadline(), t0 + 16s);
  auto ticks = b.due(t0 + 16s);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].key, "d");
  std::string why;
  EXPECT_FALSE(b.replace("zzz", every(1s), t0, &why));
  EXPECT_EQ(why, R"(no schedule "zzz")");
  EXPECT_FALSE(b.replace("a", schedule_spec{}, t0, &why));
  EXPECT_EQ(why, R"(schedule "a": neither every nor cron is set)");
}

TEST(schedule_book, stopped_schedules_do_not_fire) {
  schedule_book b;
  b.add("a", "g", every(1s));
  b.add("b", "h", every(1s));
  b.on_child_start("g", true, t0);
  b.on_child_start("h", true, t0);
  b.stop("a");
  auto ticks = b.due(t0 + 5s);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].key, "b");
  auto i = info_of(b, "a");
  EXPECT_FALSE(i.running);
  EXPECT_EQ(i.next_fire, std::nullopt);
  b.on_child_stop("h");
  EXPECT_EQ(b.next_deadline(), std::nullopt);
}

TEST(schedule_book, add_rejects_bad_keys_and_specs) {
  schedule_book b;
  std::string why;
  EXPECT_TRUE(b.add("a", "g", every(1s)));
  EXPECT_FALSE(b.add("a", "g", every(1s), &why));
  EXPECT_EQ(why, R"(duplicate schedule key "a")");
  EXPECT_FALSE(b.add("", "g", every(1s), &why));
  EXPECT_EQ(why, "empty schedule key");
  EXPECT_FALSE(b.add("x\ny", "g", every(1s), &why));
  EXPECT_EQ(why, "schedule key \"x\ny\" contains a control character");
  auto both = every(1s);
  both.cron = cron_expr::parse("@daily");
  EXPECT_FALSE(b.add("b", "g", both, &why));
  EXPECT_EQ(why, R"(schedule "b": both every and cron are set)");
  EXPECT_FALSE(b.add("b", "g", every(0s), &why));
  EXPECT_EQ(why, R"(schedule "b": every must be positive)");
  auto unnamed = every(1s);
  unnamed.tick.clear();
  EXPECT_FALSE(b.add("b", "g", unnamed, &why));
  EXPECT_EQ(why, R"(schedule "b": the tick name is empty)");
  EXPECT_EQ(b.size(), 1u);
}

TEST(schedule_book, impossible_cron_never_fires) {
  schedule_book b;
  b.add("a", "g", cron("0 0 31 2 *"));
  b.on_child_start("g", true, t0);
  EXPECT_EQ(b.next_deadline(), std::nullopt);
  EXPECT_TRUE(info_of(b, "a").running);
}

TEST(schedule_book, snapshot_is_ordered_by_key) {
  schedule_book b;
  b.add("b", "g", every(1s));
  b.add("a", "g", every(2s));
  b.on_child_start("g", true, t0);
  b.due(t0 + 1s);
  auto all = b.snapshot();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "a");
  EXPECT_EQ(all[0].next_fire, t0 + 2s);
  EXPECT_EQ(all[0].last_fire, std::nullopt);
  EXPECT_EQ(all[1].key, "b");
  EXPECT_EQ(all[1].last_fire, t0 + 1s);
  EXPECT_EQ(b.last_fires(), (std::map<std::string, schedule_time>{{"b", t0 + 1s}}));
}

TEST(schedule_book, names_of_policies_and_kinds) {
  EXPECT_STREQ(to_string(start_policy::once), "once");
  EXPECT_STREQ(to_string(catch_up_policy::one), "one");
  EXPECT_STREQ(to_string(overlap_policy::queue), "queue");
  EXPECT_STREQ(to_string(tick_kind::catch_up), "catch_up");
}
