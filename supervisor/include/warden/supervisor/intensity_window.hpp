#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

#include "warden/actors/diagnostics.hpp"

namespace warden {

/// OTP's restart intensity as a sliding window: more than `intensity`
/// restarts within `period` exceeds it. Pure: `now` is always passed in.
/// Amortized O(1) per restart (each timestamp enters and leaves once), and
/// never holds more than `intensity + 1` timestamps.
class intensity_window {
public:
  using duration = std::chrono::steady_clock::duration;

  intensity_window(uint32_t intensity, duration period);

  /// Records a restart at `now`; returns true when it exceeds the limit.
  bool add(time_point now);

  /// Restarts that still count at `now`.
  size_t used(time_point now);

  /// Applies new limits (a config reload) keeping the history.
  void reconfigure(uint32_t intensity, duration period);

  uint32_t intensity() const noexcept {
    return intensity_;
  }

  duration period() const noexcept {
    return period_;
  }

private:
  void expire(time_point now);

  uint32_t intensity_;
  duration period_;
  std::deque<time_point> restarts_;
};

} // namespace warden
