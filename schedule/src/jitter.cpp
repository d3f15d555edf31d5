#include "warden/schedule/jitter.hpp"

namespace warden {

schedule_duration jitter_offset(schedule_duration jitter, uint64_t random) noexcept {
  if (jitter.count() <= 0)
    return schedule_duration{0};
  auto range = static_cast<uint64_t>(jitter.count());
  return schedule_duration{static_cast<schedule_duration::rep>(random % range)};
}

uint64_t splitmix64_next(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace warden
