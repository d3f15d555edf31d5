#pragma once

#include <cstdint>
#include <string>

namespace warden {

/// The state of a supervised child as operators see it.
///
///              spawn            ready
///   stopped ─────────▶ starting ───────▶ running
///      ▲                  │                 │ crash
///      │ exit             ▼ crash           ▼
///   stopping ◀── stop ─ backoff ◀───────── (decision: restart_after)
///                           │ timer
///                           └──────▶ starting
///   failed: crashed and will not be restarted (temporary child, or its
///   supervisor gave up).
enum class child_state : uint8_t {
  stopped,
  starting,
  running,
  backoff,
  stopping,
  failed,
};

constexpr uint8_t child_state_count = static_cast<uint8_t>(child_state::failed) + 1;

const char* to_string(child_state x) noexcept;

bool from_string(const std::string& name, child_state& x) noexcept;

} // namespace warden
