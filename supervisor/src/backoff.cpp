#include "warden/supervisor/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace warden {

std::chrono::milliseconds next_backoff(const backoff_policy& policy, backoff_state& state,
                                       time_point now, double jitter_sample) {
  using std::chrono::milliseconds;
  if (state.last_start != time_point{} && now - state.last_start >= policy.reset_after)
    state.failures = 0;
  ++state.failures;
  if (!policy.enabled())
    return milliseconds{0};
  // min × 2^(failures-1), computed in double to avoid overflow, capped at max.
  auto base = static_cast<double>(std::max<int64_t>(policy.min.count(), 0));
  auto cap = static_cast<double>(policy.max.count());
  auto exponent = std::min<uint32_t>(state.failures - 1, 62);
  auto delay = std::min(cap, base * std::ldexp(1.0, static_cast<int>(exponent)));
  auto jitter = std::clamp(policy.jitter, 0.0, 1.0);
  auto sample = std::clamp(jitter_sample, 0.0, 1.0);
  delay *= 1.0 + jitter * (2.0 * sample - 1.0);
  delay = std::clamp(delay, 0.0, cap);
  return milliseconds{static_cast<int64_t>(std::llround(delay))};
}

} // namespace warden
