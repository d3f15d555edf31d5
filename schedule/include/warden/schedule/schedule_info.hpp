#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// What inspection shows about one schedule (`schedule_book::info`).
struct schedule_info {
  std::string key;
  std::string group;
  std::string tick;
  /// Whether the schedule's child is running (ticks are only due then).
  bool running = false;
  /// The next deadline (jitter included); nothing when stopped or never
  /// firing again.
  std::optional<schedule_time> next_fire;
  /// When the last tick was delivered (restored from the file after a
  /// warden restart).
  std::optional<schedule_time> last_fire;
  /// Ticks delivered.
  uint64_t fired = 0;
  /// Ticks delivered more than the book's late threshold after their due time.
  uint64_t late = 0;
  /// Ticks delivered before their due time (within the early tolerance).
  uint64_t early = 0;
  /// Ticks not delivered because the previous one was unhandled (`skip`).
  uint64_t skipped = 0;
  /// Ticks delivered while the previous one was unhandled (`queue`).
  uint64_t overlapped = 0;
  /// Regular fire times passed over because the schedule fell behind.
  uint64_t missed = 0;
  /// The largest lateness of a delivered tick.
  schedule_duration worst_lateness{0};
  /// Delivered ticks not yet marked handled.
  uint64_t outstanding = 0;
};

} // namespace warden
