#include "warden/schedule/interval.hpp"

namespace warden {

namespace {

/// The number of the last slot due at or before `t` (0 when `t` < start + interval).
uint64_t slots_until(schedule_time start, schedule_duration interval, schedule_time t) {
  if (t < start + interval)
    return 0;
  return static_cast<uint64_t>((t - start) / interval);
}

} // namespace

interval_slot next_interval_slot(schedule_time start, schedule_duration interval,
                                 schedule_time now, uint64_t previous) {
  interval_slot result;
  result.index = slots_until(start, interval, now) + 1;
  if (result.index <= previous)
    result.index = previous + 1;
  result.missed = result.index - previous - 1;
  result.due = start + interval * static_cast<schedule_duration::rep>(result.index);
  return result;
}

uint64_t interval_slots_between(schedule_time start, schedule_duration interval,
                                schedule_time from, schedule_time to) {
  if (to <= from)
    return 0;
  return slots_until(start, interval, to) - slots_until(start, interval, from);
}

} // namespace warden
