#pragma once

#include <chrono>
#include <cstdint>
#include <variant>

#include <caf/error.hpp>

#include "warden/supervisor/backoff.hpp"
#include "warden/supervisor/child_spec.hpp"
#include "warden/supervisor/intensity_window.hpp"

namespace warden {

/// How a child's instance ended, as the restart types see it.
enum class exit_kind : uint8_t {
  normal,   ///< returned / quit without error
  shutdown, ///< stopped on request (`exit_reason::user_shutdown`)
  abnormal, ///< anything else: crash, exception, kill, failure
};

const char* to_string(exit_kind x) noexcept;

/// Classifies a CAF exit reason.
exit_kind classify(const caf::error& reason) noexcept;

/// Whether a child of `type` that ended as `kind` is to be restarted
/// (OTP's do_restart clauses).
bool wants_restart(restart_type type, exit_kind kind) noexcept;

/// Leave the child stopped.
struct ignore {};
/// Start it again now.
struct restart_now {};
/// Start it again after a backoff delay.
struct restart_after {
  std::chrono::milliseconds delay;
};
/// The restart intensity is exceeded: stop all children and exit.
struct escalate {};

using restart_decision = std::variant<ignore, restart_now, restart_after, escalate>;

/// The restart decision for a child of `type` with `backoff` that ended as
/// `kind` at `now`. Records the restart in `window` and `state` when one is
/// made. Pure: no clock, no randomness (`jitter_sample` in [0, 1)), no I/O.
restart_decision decide(restart_type type, const backoff_policy& backoff, exit_kind kind,
                        intensity_window& window, backoff_state& state, time_point now,
                        double jitter_sample);

} // namespace warden
