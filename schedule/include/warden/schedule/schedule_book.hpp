#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "warden/schedule/deadline_heap.hpp"
#include "warden/schedule/schedule_info.hpp"
#include "warden/schedule/schedule_spec.hpp"
#include "warden/schedule/schedule_tick.hpp"
#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// Settings of a schedule book.
struct schedule_book_options {
  /// A delivered tick later than this counts as late.
  schedule_duration late_threshold = std::chrono::milliseconds{1};
  /// `due(now)` also delivers ticks due up to this much after `now` (a timer
  /// that wakes a little early); they count as early.
  schedule_duration early_tolerance{0};
  /// The random source for jitter; empty: a deterministic splitmix64 seeded
  /// with `seed`.
  std::function<uint64_t()> random;
  uint64_t seed = 0;
};

/// All schedules of a warden, pure and driven by a manual clock: every call
/// that depends on time takes `now`, nothing reads a clock or sleeps.
///
/// Schedules are named by a unique key (e.g. "root/watcher/scan") and belong
/// to a group (their child, e.g. "root/watcher"). A schedule fires only while
/// its group runs: `on_child_start` and `on_child_stop`.
///
/// One deadline heap serves all schedules: `next_deadline()` is when the
/// caller's single timer should wake, `due(now)` returns the ticks to deliver
/// and moves each schedule to its next fire time. Each operation costs
/// O(log n) in the number of schedules.
///
/// ```
///   stopped --on_child_start--> running --due(now)--> tick (regular)
///      ^                          |  at_start / catch_up tick at once
///      +-------on_child_stop------+
/// ```
///
/// - `every`: drift corrected, the n-th tick after a start is due at start +
///   n x interval; fire times already over when a late tick is delivered are
///   passed over (counted as missed), the grid stays.
/// - `cron`: `next_fire` in the spec's zone.
/// - overlap: a tick stays outstanding until `handled(key)`. With `skip` a
///   tick due while one is outstanding is counted as skipped and not
///   delivered; with `queue` it is delivered and counted as overlapped.
/// - at_start: `always` fires at every start, `once` at the first start only.
/// - catch_up: at start, when the last fire time (kept across stops, restored
///   from the file with `restore_last_fire`) shows that a regular run was
///   missed, `one` fires a single tick at once; `none` waits for the next
///   regular time. An at_start tick covers a catch-up.
class schedule_book {
public:
  explicit schedule_book(schedule_book_options options = {});

  /// Adds a stopped schedule. Fails (false, `why`) on a duplicate or empty
  /// key, a key with a control character, or an invalid spec.
  bool add(const std::string& key, const std::string& group, schedule_spec spec,
           std::string* why = nullptr);

  /// Hot reload: replaces the spec of `key`, keeping its counters, its last
  /// fire time and its outstanding ticks; a running schedule moves to its
  /// next fire time after `now` (an `every` grid restarts at `now`). An
  /// unchanged spec changes nothing. Other schedules are not touched.
  bool replace(const std::string& key, schedule_spec spec, schedule_time now,
               std::string* why = nullptr);

  /// Removes a schedule; false when there is none.
  bool remove(const std::string& key);

  /// Sets the last fire time from before a warden restart (for catch-up).
  bool restore_last_fire(const std::string& key, schedule_time when);

  /// The group's child started; `first_start` is false for restarts.
  void on_child_start(const std::string& group, bool first_start, schedule_time now);

  /// The group's child stopped: its schedules stop firing and their
  /// outstanding ticks are dropped.
  void on_child_stop(const std::string& group);

  /// One schedule started or stopped (`on_child_start` for one key).
  bool start(const std::string& key, bool first_start, schedule_time now);
  bool stop(const std::string& key);

  /// The earliest deadline of all running schedules: when to call `due`.
  std::optional<schedule_time> next_deadline() const;

  /// The ticks due at `now` (within the early tolerance), in deadline order;
  /// moves each schedule to its next fire time.
  std::vector<schedule_tick> due(schedule_time now);

  /// Appends the ticks due at `now` to `out` (no allocation when `out` has
  /// room).
  void due(schedule_time now, std::vector<schedule_tick>& out);

  /// The service handled one tick of `key`; false when none was outstanding.
  bool handled(const std::string& key);

  bool contains(const std::string& key) const;

  size_t size() const noexcept {
    return by_key_.size();
  }

  std::optional<schedule_info> info(const std::string& key) const;

  /// Every schedule, ordered by key.
  std::vector<schedule_info> snapshot() const;

  /// The last fire time of every schedule that has one, for the file.
  std::map<std::string, schedule_time> last_fires() const;

  /// The spec of `key`, nullptr when there is none.
  const schedule_spec* spec(const std::string& key) const;

private:
  struct entry {
    std::string key;
    std::string group;
    schedule_spec spec;
    bool used = false;
    bool running = false;
    /// `every`: the grid's start and the index of the next slot.
    schedule_time anchor;
    uint64_t index = 0;
    /// The next regular fire time without jitter; nothing: never again.
    std::optional<schedule_time> nominal;
    /// The next deadline (jitter included, or the pending start tick's).
    schedule_time deadline;
    /// A pending at_start or catch_up tick (regular: none pending).
    tick_kind pending = tick_kind::regular;
    uint64_t order = 0;
    std::optional<schedule_time> last_fire;
    schedule_info counters;
  };

  uint32_t find(const std::string& key) const;
  void start_entry(uint32_t id, bool first_start, schedule_time now);
  void stop_entry(uint32_t id);
  void plan_regular(entry& e, schedule_time after);
  void arm(uint32_t id);
  bool missed_since_last_fire(const entry& e, schedule_time now) const;
  void fire(uint32_t id, schedule_time now, std::vector<schedule_tick>& out);
  schedule_info make_info(const entry& e) const;
  uint64_t next_random();

  schedule_book_options options_;
  uint64_t random_state_;
  uint64_t next_order_ = 0;
  std::vector<entry> entries_;
  std::vector<uint32_t> free_;
  std::unordered_map<std::string, uint32_t> by_key_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_group_;
  deadline_heap heap_;
};

} // namespace warden
