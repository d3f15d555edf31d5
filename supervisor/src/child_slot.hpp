#pragma once

// One child of a supervisor as the supervisor keeps it: what restarts need
// of the spec, the running instance, and what the child is meant to do
// (`goal`). Everything else about a child is derived from these fields and
// its diagnostics' state: there are no flags that must agree with each
// other.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <nlohmann/json.hpp>

#include "warden/actors/diagnostics.hpp"
#include "warden/supervisor/backoff.hpp"
#include "warden/supervisor/child_spec.hpp"

namespace warden::detail {

/// What a child is meant to do. A stop ends in the state its goal names:
/// `run` starts it again (a strategy or operator restart), `hold` leaves it
/// `stopped`, `off` leaves it `disabled`, `remove` deletes the slot.
enum class goal : uint8_t { run, hold, off, remove };

/// One child slot, in one allocation with its diagnostics (handed out
/// through aliasing pointers, so the registry keeps the slot alive). A tree
/// may have a million of these, and each byte here is a megabyte there.
struct child {
  child(std::string path, std::string type)
    : diag(std::move(path), std::move(type)) {
    // nop
  }

  diagnostics diag;
  child_factory factory;
  nlohmann::json params;
  caf::actor instance;
  std::unique_ptr<backoff_policy> own_backoff; // null: the supervisor's
  std::vector<child*> deps;                    // depends_on, resolved
  backoff_state backoff;
  milliseconds shutdown{0};
  uint64_t settings_hash = 0;
  uint32_t index = 0;  // position in start order
  uint32_t serial = 0; // names the slot in messages
  uint32_t gen = 0;    // bumped to invalidate pending timers
  uint32_t run = 0;    // bumped per instance, to ignore stale messages
  restart_type restart = restart_type::permanent;
  goal target = goal::run;
  bool significant = false;
  bool one_shot = false;
  bool nested = false;
  bool queued = false; // in the start queue (kept by `start_queue` only)
  // Reporting only, never a decision: the `waiting` line was logged.
  bool reported_waiting = false;

  std::string_view name() const noexcept {
    std::string_view path = diag.path();
    return path.substr(path.rfind('/') + 1);
  }

  child_state state() const noexcept {
    return diag.state();
  }

  /// An instance exists and has not been asked to stop.
  bool live() const noexcept {
    auto st = state();
    return st == child_state::starting || st == child_state::running;
  }

  /// Satisfies a dependant's `depends_on`.
  bool ready() const noexcept {
    auto st = state();
    return st == child_state::running || st == child_state::done;
  }

  /// Will be ready without anybody's help: starting, queued, in backoff,
  /// or stopping for a restart.
  bool coming() const noexcept {
    auto st = state();
    return st == child_state::starting || st == child_state::backoff || queued ||
           (st == child_state::stopping && target == goal::run);
  }

  uint64_t key() const noexcept {
    return (static_cast<uint64_t>(index) << 32) | serial;
  }
};

using child_ptr = std::shared_ptr<child>;

} // namespace warden::detail
