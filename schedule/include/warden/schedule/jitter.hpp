#pragma once

#include <cstdint>

#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// The delay added to one fire time for a schedule with `jitter`: a value in
/// [0, jitter) chosen by `random` (any 64-bit value from the caller's random
/// source, so tests stay deterministic). Zero when `jitter` is not positive.
schedule_duration jitter_offset(schedule_duration jitter, uint64_t random) noexcept;

/// A small, fast, deterministic 64-bit generator (splitmix64) for the
/// schedule book's default random source.
uint64_t splitmix64_next(uint64_t& state) noexcept;

} // namespace warden
