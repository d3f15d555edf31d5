#pragma once

#include <string>
#include <vector>

#include "warden/supervisor/child_spec.hpp"

namespace warden {

/// One problem found in a spec: where (a child path such as
/// "root/workers/parser", or the supervisor's own path) and what.
struct spec_error {
  std::string where;
  std::string message;
};

/// Checks a supervisor spec and all nested ones before anything starts:
/// names (non-empty, unique, no '/'), factories, restart/significant
/// combinations, deadlines, intensity and period, backoff ranges, and
/// `depends_on` (existing siblings, no self-reference, no cycle). Returns
/// every problem, not just the first.
std::vector<spec_error> validate(const supervisor_spec& spec, const std::string& path);

/// Checks one child about to join running siblings (dynamic start).
std::vector<spec_error> validate_child(const child_spec& child,
                                       const std::vector<std::string>& sibling_names,
                                       const supervisor_flags& flags,
                                       const std::string& parent_path);

/// The start order of `children`: a stable topological order by
/// `depends_on` (dependencies first, otherwise left to right). Requires a
/// spec that passed `validate`.
std::vector<size_t> start_order(const std::vector<child_spec>& children);

/// "a; b; c" of all messages, each prefixed with its place.
std::string to_string(const std::vector<spec_error>& errors);

} // namespace warden
