#pragma once

#include <cstdint>
#include <string>

namespace warden {

/// The state of a supervised child as operators see it (SPEC.md section 5).
///
///            queued           spawn            ready
///   (any) ─────────▶ waiting ───────▶ starting ───────▶ running
///                       ▲                │ crash           │ crash
///                       │ timer          ▼                 ▼
///                    backoff ◀──── (decision: restart_after) ──▶ failed
///   stopping ──▶ stopped (an operator's stop) | disabled (config) | waiting
///   (a restart) ; a `ready = "exit"` child that exited normally, or one whose
///   restart type says not to restart after a normal exit, is `done`.
///
/// Which states a child that should run may be in without the tree being
/// degraded: `running`, `done`, `starting` (briefly), `stopping` (briefly).
enum class child_state : uint8_t {
  stopped,  ///< an operator stopped it (or the tree is shut down)
  starting, ///< spawned, not ready yet (a one-shot: still running its job)
  running,  ///< ready
  backoff,  ///< a restart is due after a delay
  stopping, ///< asked to stop, not gone yet
  failed,   ///< crashed and will not be restarted (or its supervisor gave up)
  waiting,  ///< should run, waits for a dependency or its turn to start
  disabled, ///< `enabled = false` in the config
  done, ///< finished: a one-shot that exited normally, or a child not restarted after a
        ///< normal exit
};

constexpr uint8_t child_state_count = static_cast<uint8_t>(child_state::done) + 1;

const char* to_string(child_state x) noexcept;

bool from_string(const std::string& name, child_state& x) noexcept;

} // namespace warden
