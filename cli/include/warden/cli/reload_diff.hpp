#pragma once

#include <string>
#include <vector>

#include "warden/config/warden_config.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden {

/// What a config reload changes, child by child (paths such as
/// "root/workers/parser").
struct reload_diff {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  /// Params changed: offered live, restarted only if the service declines.
  std::vector<std::string> changed;
  /// Type or type-specific settings changed: restarted with the new factory.
  std::vector<std::string> restarted;
  /// Supervisors whose flags changed, and children whose `enabled`,
  /// `restart`, `shutdown_ms`, `depends_on`, `significant` or own `backoff`
  /// changed (applied without restarts; a disabled child stops, an enabled
  /// one starts).
  std::vector<std::string> reconfigured;

  bool empty() const noexcept {
    return added.empty() && removed.empty() && changed.empty() && restarted.empty() &&
           reconfigured.empty();
  }
};

/// Compares two validated configs. Pure: each level is the `plan_reload`
/// its supervisor makes of it, so the log line says what the tree does.
reload_diff diff_configs(const warden_config& before, const warden_config& after);

/// The plan for the root supervisor that applies `after`.
reload_plan make_reload_plan(const warden_config& after, const reload_diff& diff);

/// "reload: added=[a] removed=[] changed=[b] restarted=[] reconfigured=[]".
std::string summary(const reload_diff& diff);

} // namespace warden
