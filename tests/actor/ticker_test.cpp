// The ticker on CAF's test coordinator: its clock follows the coordinator's
// virtual time, so every tick is due, delivered and checked without
// sleeping. Covers drift correction, at_start across restarts, overlap,
// catch-up from a previous run's last-fire file, hot reload and the
// diagnostics values.

#include "fixture.hpp"

#include <filesystem>
#include <memory>

#include <unistd.h>

#include "warden/cli/ticker.hpp"
#include "warden/schedule/last_fire_file.hpp"

namespace warden::test {
namespace {

namespace fs = std::filesystem;

using release_atom = caf::atom_constant<caf::atom("t_release")>;

/// The ticks a child received, in order (shared with the test: the
/// coordinator runs every actor on the test's thread).
using tick_log = std::shared_ptr<std::vector<tick>>;

/// Records its ticks; with `hold` it leaves them unanswered until
/// `release_atom`, like a service still busy with the previous tick.
class tick_probe : public service {
public:
  struct options {
    tick_log log;
    bool hold = false;
  };

  tick_probe(caf::actor_config& cfg, service_init init, options opts)
    : service(cfg, std::move(init))
    , opts_(std::move(opts)) {}

  caf::behavior make_service_behavior() override {
    return {
        [this](const tick& x) -> caf::result<bool> {
          opts_.log->push_back(x);
          if (!opts_.hold)
            return true;
          held_.push_back(make_response_promise<bool>());
          return held_.back();
        },
        [this](release_atom) {
          for (auto& promise : held_)
            promise.deliver(true);
          held_.clear();
        },
        [this](crash_atom, const std::string& why) { fail(why); },
    };
  }

  /// A held promise names this actor: kept past the stop, it would keep
  /// the actor (and the ticker it answers) alive for good.
  void on_stop() override {
    held_.clear();
  }

private:
  options opts_;
  std::vector<caf::typed_response_promise<bool>> held_;
};

child_spec tick_child(std::string name, tick_log log, bool hold = false) {
  auto spec =
      worker(std::move(name), make_factory<tick_probe>(tick_probe::options{log, hold}));
  spec.type = "tick_probe";
  return spec;
}

schedule_config every(std::string tick_name, std::chrono::milliseconds interval) {
  schedule_config x;
  x.tick = std::move(tick_name);
  x.every = interval;
  return x;
}

schedule_config cron(std::string tick_name, std::string expr, std::string zone = "UTC") {
  schedule_config x;
  x.tick = std::move(tick_name);
  x.cron = std::move(expr);
  x.timezone = std::move(zone);
  return x;
}

/// 2026-03-02T00:00:00Z, a Monday: virtual time 0.
const auto epoch =
    std::chrono::system_clock::time_point{std::chrono::seconds{1772409600}};

class ticker_test : public actor_fixture {
public:
  ticker_test()
    : t0(sched.clock().now())
    , dir(fs::temp_directory_path() /
          ("warden-ticker-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fresh_tree();
    fs::remove_all(dir);
    fs::create_directories(dir);
    state_file = (dir / "state" / "last_fire").string();
  }

  ~ticker_test() override {
    stop_ticker();
    fs::remove_all(dir);
  }

  /// The ticker's clock: the coordinator's virtual time, from `epoch`.
  std::chrono::system_clock::time_point now() const {
    return epoch + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       sched.clock().now() - t0);
  }

  /// Microseconds since the Unix epoch of `epoch + since_epoch`, as in
  /// `tick::due_us`.
  static int64_t at_us(std::chrono::microseconds since_epoch) {
    return std::chrono::duration_cast<std::chrono::microseconds>(epoch.time_since_epoch())
               .count() +
           since_epoch.count();
  }

  /// A new registry and lifecycle bus (a new warden process).
  void fresh_tree() {
    ctx.registry = std::make_shared<path_registry>();
    ctx.events = std::make_shared<lifecycle_bus>();
  }

  /// The ticker first (it must see the children's first start), then the
  /// tree; at_start ticks are due at once and arrive with `advance(0s)`.
  void start_all(schedule_set set, supervisor_spec spec) {
    tk = spawn_ticker(sys, std::move(set), ctx.registry, ctx.events, state_file,
                      [this] { return now(); });
    run();
    start(std::move(spec));
  }

  void stop_ticker() {
    if (!tk)
      return;
    self->send_exit(tk, caf::exit_reason::user_shutdown);
    run();
    tk = nullptr;
  }

  void stop_tree() {
    if (!root)
      return;
    self->send_exit(root, caf::exit_reason::user_shutdown);
    run();
    root = nullptr;
  }

  void reload(schedule_set set) {
    self->send(tk, std::move(set));
    run();
  }

  void release(const std::string& path) {
    send_to(path, caf::make_message(release_atom::value));
  }

  std::string value(const std::string& path, const std::string& key) {
    auto values = snap(path).values;
    auto i = values.find(key);
    return i == values.end() ? std::string{"(none)"} : i->second;
  }

  static std::vector<std::string> kinds(const tick_log& log) {
    std::vector<std::string> result;
    for (auto& t : *log)
      result.push_back(t.kind);
    return result;
  }

  static std::vector<int64_t> dues(const tick_log& log) {
    std::vector<int64_t> result;
    for (auto& t : *log)
      result.push_back(t.due_us);
    return result;
  }

  caf::actor_clock::time_point t0;
  fs::path dir;
  std::string state_file;
  caf::actor tk;
  tick_log log = std::make_shared<std::vector<tick>>();
};

supervisor_spec one_child(child_spec c) {
  supervisor_spec spec;
  spec.flags.intensity = 100;
  spec.children.push_back(std::move(c));
  return spec;
}

schedule_set for_child(const std::string& path, std::vector<schedule_config> xs) {
  schedule_set result;
  result.by_child.emplace(path, std::move(xs));
  return result;
}

// -- drift correction ----------------------------------------------------------

TEST_F(ticker_test, the_nth_tick_is_due_at_start_plus_n_intervals_even_when_late) {
  start_all(for_child("root/w", {every("scan", 1s)}), one_child(tick_child("w", log)));
  advance(0s);
  EXPECT_TRUE(log->empty()) << "no at_start tick";
  advance(1700ms); // the first tick (due at 1 s) is handled 700 ms late
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].due_us, at_us(1000ms));
  EXPECT_EQ((*log)[0].lateness_us, 700'000);
  advance(300ms); // the second is due at 2 s, not at 1.7 s + 1 s
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[1].due_us, at_us(2000ms));
  EXPECT_EQ((*log)[1].lateness_us, 0);
  advance(2500ms); // 4.5 s: the tick due at 3 s, the one at 4 s passed over
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[2].due_us, at_us(3000ms));
  EXPECT_EQ((*log)[2].lateness_us, 1'500'000);
  EXPECT_EQ((*log)[2].missed, 1u);
  advance(500ms); // back on the grid
  ASSERT_EQ(log->size(), 4u);
  EXPECT_EQ((*log)[3].due_us, at_us(5000ms));
  EXPECT_EQ((*log)[3].lateness_us, 0);
  EXPECT_EQ(kinds(log), (std::vector<std::string>(4, "regular")));
  EXPECT_EQ(value("root/w", "schedule.scan.late"), "2");
  EXPECT_EQ(value("root/w", "schedule.scan.missed"), "1");
  EXPECT_EQ(value("root/w", "schedule.scan.worst_late_ms"), "1500.000");
}

TEST_F(ticker_test, nothing_fires_before_its_time) {
  start_all(for_child("root/w", {every("scan", 1s)}), one_child(tick_child("w", log)));
  advance(999ms);
  EXPECT_TRUE(log->empty());
  advance(1ms);
  EXPECT_EQ(log->size(), 1u);
}

// -- at_start ----------------------------------------------------------------

TEST_F(ticker_test, at_start_fires_on_start_and_after_each_restart) {
  auto s = every("scan", 1h);
  s.at_start = at_start_mode::always;
  start_all(for_child("root/w", {s}), one_child(tick_child("w", log)));
  advance(0s);
  ASSERT_EQ(kinds(log), (std::vector<std::string>{"at_start"}));
  EXPECT_EQ(log->front().due_us, at_us(0ms));
  advance(10s);
  auto first = at("root/w");
  crash("root/w");
  advance(0s);
  ASSERT_EQ(restarts("root/w"), 1u);
  EXPECT_NE(at("root/w"), first);
  EXPECT_EQ(kinds(log), (std::vector<std::string>{"at_start", "at_start"}));
  EXPECT_EQ(log->back().due_us, at_us(10s));
  crash("root/w");
  advance(0s);
  EXPECT_EQ(log->size(), 3u);
}

TEST_F(ticker_test, at_start_once_fires_only_on_the_first_start) {
  auto s = every("scan", 1s);
  s.at_start = at_start_mode::once;
  start_all(for_child("root/w", {s}), one_child(tick_child("w", log)));
  advance(0s);
  ASSERT_EQ(kinds(log), (std::vector<std::string>{"at_start"}));
  advance(500ms);
  crash("root/w");
  advance(0s);
  ASSERT_EQ(restarts("root/w"), 1u);
  EXPECT_EQ(log->size(), 1u) << "no at_start tick after a restart";
  // The restart begins a new grid: regular ticks 1 s after it.
  advance(1s);
  EXPECT_EQ(kinds(log), (std::vector<std::string>{"at_start", "regular"}));
  EXPECT_EQ(log->back().due_us, at_us(1500ms));
}

TEST_F(ticker_test, no_ticks_while_the_child_waits_in_backoff) {
  auto s = every("scan", 1s);
  s.catch_up = catch_up_mode::one;
  auto spec = one_child(tick_child("w", log));
  spec.flags.backoff = {5000ms, 10000ms, 0.0, 60000ms};
  start_all(for_child("root/w", {s}), std::move(spec));
  advance(1s);
  ASSERT_EQ(log->size(), 1u);
  advance(500ms);
  crash("root/w"); // at 1.5 s; restarted at 6.5 s
  ASSERT_EQ(state("root/w"), child_state::backoff);
  advance(4s);
  EXPECT_EQ(log->size(), 1u);
  advance(1s);
  ASSERT_EQ(state("root/w"), child_state::running);
  advance(0s);
  // The missed runs come as one catch-up tick when the child is back.
  ASSERT_EQ(kinds(log), (std::vector<std::string>{"regular", "catch_up"}));
  EXPECT_EQ(log->back().due_us, at_us(6500ms));
}

// -- overlap -----------------------------------------------------------------

TEST_F(ticker_test, overlap_skip_counts_a_tick_due_while_the_previous_is_unanswered) {
  start_all(for_child("root/w", {every("scan", 1s)}),
            one_child(tick_child("w", log, /*hold*/ true)));
  advance(1s);
  ASSERT_EQ(log->size(), 1u);
  advance(1s); // the tick of 1 s is still unanswered: skipped
  EXPECT_EQ(log->size(), 1u);
  EXPECT_EQ(value("root/w", "schedule.scan.skipped"), "1");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "1");
  release("root/w");
  advance(1s);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[1].due_us, at_us(3000ms));
  EXPECT_EQ(value("root/w", "schedule.scan.skipped"), "1");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "2");
}

TEST_F(ticker_test, overlap_queue_delivers_while_the_previous_is_unanswered) {
  auto s = every("scan", 1s);
  s.overlap = overlap_mode::queue;
  start_all(for_child("root/w", {s}), one_child(tick_child("w", log, /*hold*/ true)));
  advance(1s);
  advance(1s);
  advance(1s);
  EXPECT_EQ(dues(log), (std::vector<int64_t>{at_us(1s), at_us(2s), at_us(3s)}));
  EXPECT_EQ(value("root/w", "schedule.scan.skipped"), "0");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "3");
}

TEST_F(ticker_test, a_restart_drops_the_unanswered_tick) {
  // The tick held by the crashed instance does not make the new one skip.
  start_all(for_child("root/w", {every("scan", 1s)}),
            one_child(tick_child("w", log, /*hold*/ true)));
  advance(1s);
  ASSERT_EQ(log->size(), 1u);
  crash("root/w");
  advance(1s);
  EXPECT_EQ(log->size(), 2u);
  EXPECT_EQ(value("root/w", "schedule.scan.skipped"), "0");
}

// -- catch-up across a warden restart ---------------------------------------------

class ticker_catch_up : public ticker_test {
public:
  /// Warden runs from Monday 00:00 to 03:30 (the nightly tick fires at
  /// 03:00 and its time goes to the last-fire file), is down until
  /// Wednesday 02:00, and starts again with the same file.
  void previous_run_then_restart(catch_up_mode mode) {
    auto s = cron("nightly", "0 3 * * *");
    s.catch_up = mode;
    start_all(for_child("root/w", {s}), one_child(tick_child("w", log)));
    advance(3h + 30min);
    ASSERT_EQ(kinds(log), (std::vector<std::string>{"regular"}));
    stop_ticker();
    stop_tree();
    ASSERT_TRUE(fs::exists(state_file));
    advance(24h + 22h + 30min); // Wednesday 02:00
    log->clear();
    fresh_tree();
    start_all(for_child("root/w", {s}), one_child(tick_child("w", log)));
    advance(0s);
  }
};

TEST_F(ticker_catch_up, one_fires_once_at_start_for_the_missed_nights) {
  previous_run_then_restart(catch_up_mode::one);
  ASSERT_EQ(kinds(log), (std::vector<std::string>{"catch_up"}));
  EXPECT_EQ(log->front().due_us, at_us(48h + 2h));
  advance(1h); // then the regular time, Wednesday 03:00
  EXPECT_EQ(kinds(log), (std::vector<std::string>{"catch_up", "regular"}));
  EXPECT_EQ(log->back().due_us, at_us(48h + 3h));
}

TEST_F(ticker_catch_up, none_waits_for_the_next_regular_time) {
  previous_run_then_restart(catch_up_mode::none);
  EXPECT_TRUE(log->empty());
  advance(1h);
  ASSERT_EQ(kinds(log), (std::vector<std::string>{"regular"}));
  EXPECT_EQ(log->back().due_us, at_us(48h + 3h));
}

TEST_F(ticker_catch_up, one_without_a_previous_run_waits_too) {
  auto s = cron("nightly", "0 3 * * *");
  s.catch_up = catch_up_mode::one;
  start_all(for_child("root/w", {s}), one_child(tick_child("w", log)));
  advance(0s);
  EXPECT_TRUE(log->empty());
  advance(3h);
  EXPECT_EQ(kinds(log), (std::vector<std::string>{"regular"}));
}

// -- hot reload ----------------------------------------------------------------

TEST_F(ticker_test, a_reload_replaces_a_schedule_without_restarting_the_child) {
  start_all(for_child("root/w", {every("scan", 1s)}), one_child(tick_child("w", log)));
  auto instance = at("root/w");
  advance(1s);
  ASSERT_EQ(log->size(), 1u);
  advance(200ms);
  reload(for_child("root/w", {every("scan", 500ms)})); // at 1.2 s
  advance(500ms);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[1].due_us, at_us(1700ms)) << "a new grid from the reload";
  advance(500ms);
  EXPECT_EQ(log->size(), 3u);
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "3") << "counters are kept";
  EXPECT_EQ(at("root/w"), instance);
  EXPECT_EQ(restarts("root/w"), 0u);
}

TEST_F(ticker_test, a_reload_renames_adds_and_removes_schedules) {
  start_all(for_child("root/w", {every("scan", 1s)}), one_child(tick_child("w", log)));
  auto instance = at("root/w");
  advance(1s);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "1");
  reload(for_child("root/w", {every("sweep", 1s)}));
  advance(1s);
  advance(1s);
  std::vector<std::string> names;
  for (auto& t : *log)
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"scan", "sweep", "sweep"}));
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "(none)") << "the old one is gone";
  EXPECT_EQ(value("root/w", "schedule.sweep.fired"), "2");
  reload(schedule_set{});
  advance(5s);
  EXPECT_EQ(log->size(), 3u);
  EXPECT_EQ(value("root/w", "schedule.sweep.fired"), "(none)");
  EXPECT_EQ(at("root/w"), instance);
  EXPECT_EQ(restarts("root/w"), 0u);
}

TEST_F(ticker_test, a_reload_with_an_invalid_schedule_leaves_the_others_running) {
  start_all(for_child("root/w", {every("scan", 1s)}), one_child(tick_child("w", log)));
  reload(for_child("root/w", {every("scan", 1s), cron("bad", "0 25 * * *")}));
  advance(1s);
  EXPECT_EQ(log->size(), 1u);
}

// -- diagnostics -----------------------------------------------------------------

TEST_F(ticker_test, diagnostics_show_next_last_fired_and_skipped) {
  start_all(for_child("root/w", {every("scan", 1s), cron("nightly", "0 3 * * *")}),
            one_child(tick_child("w", log)));
  EXPECT_EQ(value("root/w", "schedule.scan.next"), "2026-03-02T00:00:01Z");
  EXPECT_EQ(value("root/w", "schedule.nightly.next"), "2026-03-02T03:00:00Z");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "0");
  advance(1s);
  EXPECT_EQ(value("root/w", "schedule.scan.next"), "2026-03-02T00:00:02Z");
  EXPECT_EQ(value("root/w", "schedule.scan.last"), "2026-03-02T00:00:01Z");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "1");
  EXPECT_EQ(value("root/w", "schedule.scan.skipped"), "0");
  EXPECT_EQ(value("root/w", "schedule.scan.late"), "0");
  EXPECT_EQ(value("root/w", "schedule.nightly.last"), "(none)");
  advance(3h - 1s); // one late scan tick for all the missed seconds, and the nightly one
  EXPECT_EQ(value("root/w", "schedule.nightly.last"), "2026-03-02T03:00:00Z");
  EXPECT_EQ(value("root/w", "schedule.nightly.next"), "2026-03-03T03:00:00Z");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "2");
  EXPECT_EQ(value("root/w", "schedule.scan.late"), "1");
  EXPECT_EQ(value("root/w", "schedule.scan.next"), "2026-03-02T03:00:01Z");
  // A stopped child has no next fire time.
  ASSERT_TRUE(ask<caf::ok_atom>(stop_child_atom::value, std::string{"w"}));
  EXPECT_EQ(value("root/w", "schedule.scan.next"), "(none)");
  EXPECT_EQ(value("root/w", "schedule.scan.fired"), "2");
}

TEST_F(ticker_test, diagnostics_of_a_burst_arrive_without_another_fire) {
  // Updates come at most every 250 ms: `b` fires 100 ms after `a` was
  // shown, and is shown 150 ms later although nothing fires until 2 s.
  start_all(for_child("root/w", {every("a", 1s), every("b", 1100ms)}),
            one_child(tick_child("w", log)));
  advance(1s);
  EXPECT_EQ(value("root/w", "schedule.a.fired"), "1");
  advance(100ms);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ(value("root/w", "schedule.b.fired"), "0");
  advance(150ms);
  EXPECT_EQ(value("root/w", "schedule.b.fired"), "1");
  EXPECT_EQ(value("root/w", "schedule.b.last"), "2026-03-02T00:00:01Z");
}

TEST_F(ticker_test, last_fire_times_reach_the_file_within_a_second) {
  // Saved at most every second: `b` fires 100 ms after `a` was saved and
  // reaches the file one second after that save, not at the next fire.
  start_all(for_child("root/w", {every("a", 10s), every("b", 10100ms)}),
            one_child(tick_child("w", log)));
  advance(10s);
  EXPECT_EQ(load_last_fires(state_file).times.size(), 1u);
  advance(100ms);
  EXPECT_EQ(load_last_fires(state_file).times.size(), 1u);
  advance(900ms);
  auto saved = load_last_fires(state_file);
  EXPECT_TRUE(saved.problems.empty());
  EXPECT_EQ(saved.times.size(), 2u);
}

} // namespace
} // namespace warden::test
