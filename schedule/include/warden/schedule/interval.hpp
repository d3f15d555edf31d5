#pragma once

#include <cstdint>

#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// A slot of a fixed-rate schedule: the `index`-th tick is due at
/// `start + index * interval`.
struct interval_slot {
  /// The slot's number, counted from 1 (`start` itself is slot 0).
  uint64_t index = 0;
  /// When the slot is due.
  schedule_time due;
  /// Slots after the previous one that were passed over because they were
  /// already over when asked (delivered late, coalesced into this answer).
  uint64_t missed = 0;
};

/// Drift correction for `every` schedules: the next slot after `previous`
/// (0 before the first tick) that is due strictly after `now`. The grid is
/// fixed by `start`, so a late tick never moves the later ones. `interval`
/// must be positive.
///
/// ```
/// // start 0 s, every 10 s, the tick of slot 1 delivered at 13 s:
/// next_interval_slot(start, 10s, start + 13s, 1) // {index 2, due 20 s, missed 0}
/// // the same tick delivered at 35 s: slots 2 and 3 are over
/// next_interval_slot(start, 10s, start + 35s, 1) // {index 4, due 40 s, missed 2}
/// ```
interval_slot next_interval_slot(schedule_time start, schedule_duration interval,
                                 schedule_time now, uint64_t previous = 0);

/// The number of slots of the grid due in (`from`, `to`].
uint64_t interval_slots_between(schedule_time start, schedule_duration interval,
                                schedule_time from, schedule_time to);

} // namespace warden
