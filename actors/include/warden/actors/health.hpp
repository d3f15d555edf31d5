#pragma once

#include <vector>

#include "warden/actors/diagnostics.hpp"

namespace warden {

/// How a tree is doing (SPEC.md section 5), the one rule every reporter
/// (`status`, Health.Response, systemd's STATUS, the metrics) uses.
enum class health_level : uint8_t {
  ok,       ///< every child that should run is running or done
  degraded, ///< some child that should run is not: backoff, waiting, failed
  failing,  ///< the root supervisor is giving up
};

const char* to_string(health_level x) noexcept;

/// The level of a tree from the diagnostics of all its nodes (the root is
/// the one whose path has no '/').
health_level health_of(const std::vector<diagnostics_ptr>& nodes);

} // namespace warden
