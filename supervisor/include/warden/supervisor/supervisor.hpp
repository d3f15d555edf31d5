#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "warden/actors/lifecycle.hpp"
#include "warden/supervisor/child_spec.hpp"
#include "warden/supervisor/path_registry.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace warden {

/// A new spec for a running supervisor (a config reload), applied by
/// difference as `plan_reload` decides: children missing from `spec` are
/// stopped and removed, new ones are started, children whose params changed
/// get them as a message (`service::on_params`) and are restarted if they
/// decline, children whose type or `settings_hash` changed are restarted with
/// their new factory, and every other child is not touched. Supervisor flags
/// (strategy, intensity, backoff) apply at once. Nested supervisors receive
/// their part and plan it themselves.
struct reload_plan {
  supervisor_spec spec;
};

/// What `inspect` shows of a supervisor beyond its diagnostics.
struct supervisor_info {
  std::string strategy;
  uint32_t intensity = 0;
  int64_t period_ms = 0;
  /// Restarts within the current intensity window.
  uint32_t restarts_in_window = 0;
  /// The children, in start order.
  std::vector<diagnostics_snapshot> children;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_info& x) {
  return f(caf::meta::type_name("warden::supervisor_info"), x.strategy, x.intensity,
           x.period_ms, x.restarts_in_window, x.children);
}

/// What all supervisors of one tree share.
struct supervisor_context {
  /// Path → diagnostics of every child of the tree.
  path_registry_ptr registry;
  /// Lifecycle events of the whole tree.
  lifecycle_bus_ptr events;
  /// Lifecycle log lines go here (fields: supervisor, child, event, reason).
  /// Null: a logger named "supervisor" from spdlog's registry, or one
  /// writing to the console when none exists.
  std::shared_ptr<spdlog::logger> log;
};

/// Validates `spec` and spawns the root supervisor of a tree; its path is
/// `name`. The supervisor starts its children left to right (dependencies
/// first), each after its `depends_on` siblings are ready, and reports ready
/// itself once all have. Fills in missing parts of `ctx`.
///
/// The supervisor's protocol (all replies are `caf::error` on failure):
/// | request                                 | reply                                   |
/// |-----------------------------------------|-----------------------------------------|
/// | `start_child_atom, child_spec`          | `ok_atom` once spawned                  |
/// | `stop_child_atom, name`                 | `ok_atom` once stopped (stays stopped)  |
/// | `restart_child_atom, name`              | `ok_atom` (also starts a stopped child) |
/// | `delete_child_atom, name`               | `ok_atom` once stopped and removed      |
/// | `which_children_atom`                   | `std::vector<diagnostics_snapshot>`     |
/// | `info_atom`                             | `supervisor_info`                       |
/// | `shutdown_atom`                         | `std::vector<std::string>` stragglers,
/// then it quits | | `reload_atom, reload_plan`              | `ok_atom` once applied
/// (stops and params replies may follow) |
///
/// Sending it an exit message (e.g. `exit_reason::user_shutdown`) stops the
/// children right to left within their deadlines and then exits with that
/// reason. If the restart intensity is exceeded it does the same and exits
/// with `error::intensity_exceeded`, whose context names the child and its
/// original exit reason.
caf::expected<caf::actor> spawn_supervisor(caf::actor_system& sys, std::string name,
                                           supervisor_spec spec, supervisor_context& ctx);

} // namespace warden

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(warden::reload_plan)
