#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "warden/supervisor/child_spec.hpp"

namespace warden {

/// What a reload compares of one child: taken from a spec (the config
/// diff) or from a running supervisor's slot (the supervisor itself), so
/// both sides decide with the one function below.
struct child_facts {
  std::string name;
  std::string type;
  uint64_t settings_hash = 0;
  bool nested = false;
  const nlohmann::json* params = nullptr; // never null once filled in
  bool enabled = true;
  restart_type restart = restart_type::permanent;
  milliseconds shutdown{0};
  std::vector<std::string> depends_on;
  bool significant = false;
  bool one_shot = false;
  std::optional<backoff_policy> backoff;
};

/// The facts of `spec` (which must outlive them: `params` points into it).
child_facts facts_of(const child_spec& spec);

/// What a reload does to one supervisor's children. Indexes name children
/// of the new spec; removed children are named.
struct reload_steps {
  /// Not in the new spec: stopped (right to left) and deleted.
  std::vector<std::string> removed;
  /// New: started in their place.
  std::vector<size_t> added;
  /// Type, type-specific settings or nesting changed: restarted with the
  /// new factory (unless disabled now).
  std::vector<size_t> restarted;
  /// Params changed: offered to the running instance (`service::on_params`),
  /// restarted if it declines.
  std::vector<size_t> offered;
  /// Fields applied in place changed: `enabled`, `restart`, `shutdown_ms`,
  /// `depends_on`, `significant`, `ready`, own `backoff`.
  std::vector<size_t> reconfigured;
  /// Kept nested supervisors (not restarted): they get their part of the
  /// new spec and plan it themselves.
  std::vector<size_t> nested;
  /// The supervisor's own flags changed (applied at once).
  bool flags_changed = false;

  bool empty() const noexcept {
    return removed.empty() && added.empty() && restarted.empty() && offered.empty() &&
           reconfigured.empty() && !flags_changed;
  }
};

bool same_flags(const supervisor_flags& x, const supervisor_flags& y) noexcept;

/// Compares a supervisor's children now (`current`, any order) and its
/// flags with the spec it is to have. Pure: decides, changes nothing.
reload_steps plan_reload(const std::vector<child_facts>& current,
                         const supervisor_flags& current_flags,
                         const supervisor_spec& next);

} // namespace warden
