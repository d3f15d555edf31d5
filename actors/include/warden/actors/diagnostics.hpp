#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "warden/actors/child_state.hpp"

namespace warden {

/// Monotonic time as actors see it (`self->clock().now()`), so that tests on
/// CAF's test coordinator drive it by hand.
using time_point = std::chrono::steady_clock::time_point;

/// A one-byte lock for the rarely contended parts of `diagnostics`: it is
/// held only for copies, and a mutex would cost 40 bytes per child.
class spin_mutex {
public:
  void lock() noexcept {
    while (flag_.test_and_set(std::memory_order_acquire))
      std::this_thread::yield();
  }

  void unlock() noexcept {
    flag_.clear(std::memory_order_release);
  }

private:
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

/// One exit of a child: why and when (wall clock, ms since the Unix epoch).
struct exit_record {
  std::string reason;
  int64_t time_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exit_record& x) {
  return f(caf::meta::type_name("warden::exit_record"), x.reason, x.time_ms);
}

/// A copy of a child's diagnostics at one moment, safe to send anywhere.
struct diagnostics_snapshot {
  std::string path;
  std::string type;
  child_state state = child_state::stopped;
  uint32_t restarts = 0;
  /// Up to the last 10 exits, oldest first.
  std::vector<exit_record> exits;
  /// Time since the current instance started; 0 when not running.
  int64_t uptime_ms = 0;
  /// Delay until the pending restart; -1 when none is pending.
  int64_t next_restart_ms = -1;
  uint64_t mailbox = 0;
  uint64_t handled = 0;
  std::vector<std::string> flags;
  std::map<std::string, std::string> values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, diagnostics_snapshot& x) {
  return f(caf::meta::type_name("warden::diagnostics_snapshot"), x.path, x.type, x.state,
           x.restarts, x.exits, x.uptime_ms, x.next_restart_ms, x.mailbox, x.handled,
           x.flags, x.values);
}

/// The diagnostic block of one supervised child. The supervisor writes the
/// lifecycle fields, the running service writes its flags, values and message
/// counters, and anyone may read a snapshot at any time without sending the
/// child a message. Counters are atomics; the rest sits behind a mutex that is
/// only held for a copy. Lives as long as the child's slot in its supervisor,
/// across restarts, and is what the path registry hands out. Kept small: one
/// exists per child, and a tree may have a million.
class diagnostics {
public:
  static constexpr size_t max_exits = 10;

  diagnostics(std::string path, std::string type);

  const std::string& path() const noexcept {
    return path_;
  }

  const std::string& type() const noexcept {
    return *type_;
  }

  // -- written by the supervisor ---------------------------------------------

  child_state state() const noexcept {
    return state_.load(std::memory_order_acquire);
  }

  void state(child_state x) noexcept {
    state_.store(x, std::memory_order_release);
  }

  uint32_t restarts() const noexcept {
    return restarts_.load(std::memory_order_relaxed);
  }

  void count_restart() noexcept {
    restarts_.fetch_add(1, std::memory_order_relaxed);
  }

  /// A new instance runs: remember its handle and start time.
  void started(caf::actor instance, time_point now);

  /// The current instance exited with `reason` (see `describe`).
  void exited(std::string reason, time_point now);

  /// When the pending restart is due, or `time_point{}` for none.
  void next_restart(time_point when) noexcept {
    next_restart_.store(when.time_since_epoch().count(), std::memory_order_relaxed);
  }

  /// The current instance, or an invalid handle when none runs.
  caf::actor current() const;

  // -- written by the service -------------------------------------------------

  /// Called by the service for each message it takes, with the number still
  /// waiting (`SIZE_MAX`: not counted this time, keep the last count). Only
  /// the service's own thread writes these: no atomic RMW.
  void count_handled(size_t mailbox) noexcept {
    handled_.store(handled_.load(std::memory_order_relaxed) + 1,
                   std::memory_order_relaxed);
    if (mailbox != SIZE_MAX)
      mailbox_.store(mailbox, std::memory_order_relaxed);
  }

  void set_flag(const std::string& flag);
  void clear_flag(const std::string& flag);
  bool has_flag(const std::string& flag) const;
  void set_value(const std::string& key, std::string value);
  void clear_value(const std::string& key);

  // -- read by anyone ---------------------------------------------------------

  diagnostics_snapshot snapshot(time_point now) const;

private:
  struct details {
    std::vector<std::string> flags;
    std::map<std::string, std::string> values;
    std::vector<exit_record> exits; // ring of max_exits, oldest at exits_head
    size_t exits_head = 0;
  };

  details& get_details(); // requires mtx_

  const std::string path_;
  const std::string* type_; // interned: few distinct types, many children
  std::atomic<child_state> state_{child_state::stopped};
  mutable spin_mutex mtx_;
  std::atomic<uint32_t> restarts_{0};
  std::atomic<int64_t> started_{0};      // steady ticks; 0: not running
  std::atomic<int64_t> next_restart_{0}; // steady ticks; 0: none
  std::atomic<uint64_t> handled_{0};
  std::atomic<uint64_t> mailbox_{0};
  caf::actor current_;
  std::unique_ptr<details> details_; // allocated on first use
};

using diagnostics_ptr = std::shared_ptr<diagnostics>;

} // namespace warden
