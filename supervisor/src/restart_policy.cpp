#include "warden/supervisor/restart_policy.hpp"

#include <caf/exit_reason.hpp>

namespace warden {

const char* to_string(exit_kind x) noexcept {
  switch (x) {
    case exit_kind::normal:
      return "normal";
    case exit_kind::shutdown:
      return "shutdown";
    default:
      return "abnormal";
  }
}

exit_kind classify(const caf::error& reason) noexcept {
  if (!reason)
    return exit_kind::normal;
  if (reason == caf::exit_reason::user_shutdown)
    return exit_kind::shutdown;
  return exit_kind::abnormal;
}

bool wants_restart(restart_type type, exit_kind kind) noexcept {
  switch (type) {
    case restart_type::permanent:
      return true;
    case restart_type::transient:
      return kind == exit_kind::abnormal;
    case restart_type::temporary:
    default:
      return false;
  }
}

restart_decision decide(restart_type type, const backoff_policy& backoff, exit_kind kind,
                        intensity_window& window, backoff_state& state, time_point now,
                        double jitter_sample) {
  if (!wants_restart(type, kind))
    return ignore{};
  if (window.add(now))
    return escalate{};
  auto delay = next_backoff(backoff, state, now, jitter_sample);
  if (delay.count() > 0)
    return restart_after{delay};
  return restart_now{};
}

} // namespace warden
