#pragma once

#include <chrono>
#include <cstdint>

#include "warden/actors/diagnostics.hpp"
#include "warden/supervisor/child_spec.hpp"

namespace warden {

/// Per-child restart history for the backoff policy.
struct backoff_state {
  /// Consecutive crashes without a healthy period in between.
  uint32_t failures = 0;
  /// When the current instance started (`time_point{}`: never).
  time_point last_start{};
};

/// The delay before restarting a child that crashed at `now`, updating
/// `state`. `jitter_sample` is a uniform random number in [0, 1) supplied by
/// the caller, so the function stays pure. Zero when `policy` is disabled.
std::chrono::milliseconds next_backoff(const backoff_policy& policy, backoff_state& state,
                                       time_point now, double jitter_sample);

} // namespace warden
