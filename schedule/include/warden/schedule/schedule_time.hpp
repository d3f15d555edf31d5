#pragma once

#include <chrono>

namespace warden {

/// A point in wall-clock time as the schedule library sees it: cron needs the
/// calendar, so every schedule runs on the system clock. Nothing in this
/// library reads the clock; callers pass `now`.
using schedule_time = std::chrono::system_clock::time_point;

/// A span of schedule time (nanoseconds with libstdc++).
using schedule_duration = std::chrono::system_clock::duration;

} // namespace warden
