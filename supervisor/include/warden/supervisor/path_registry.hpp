#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "warden/actors/diagnostics.hpp"

namespace warden {

/// Stable handles: maps a child's path ("root/workers/parser") to its
/// diagnostics block, which outlives restarts and always knows the current
/// instance. CAF's registry only takes 10-character atoms, hence our own.
/// Thread-safe; supervisors add a child when it joins and remove it when it
/// is deleted, never on restarts.
class path_registry {
public:
  void put(const diagnostics_ptr& diag);

  /// Removes `path` if it still maps to `diag`.
  void erase(const diagnostics* diag);

  /// The diagnostics of `path`, or null.
  diagnostics_ptr find(std::string_view path) const;

  /// The current instance at `path`, or an invalid handle.
  caf::actor whereis(std::string_view path) const;

  size_t size() const;

  /// All paths with the given prefix (a subtree: "root/workers").
  std::vector<diagnostics_ptr> subtree(std::string_view prefix) const;

private:
  mutable std::mutex mtx_;
  // Keys view into the path string owned by the mapped diagnostics.
  std::unordered_map<std::string_view, diagnostics_ptr> entries_;
};

using path_registry_ptr = std::shared_ptr<path_registry>;

/// The registry of the tree running in `sys`: how services that report on
/// the whole tree (the `health` type) find it. `spawn_supervisor` sets it
/// for every root it spawns (the last one wins); null when `sys` has none.
/// Kept by the system's address, as a weak reference: the tree owns it.
path_registry_ptr registry_of(const caf::actor_system& sys);

/// Sets the registry of `sys` (`spawn_supervisor` does).
void set_registry_of(const caf::actor_system& sys, const path_registry_ptr& registry);

} // namespace warden
