#include "warden/supervisor/intensity_window.hpp"

namespace warden {

intensity_window::intensity_window(uint32_t intensity, duration period)
  : intensity_(intensity)
  , period_(period) {
  // nop
}

void intensity_window::expire(time_point now) {
  // A restart counts while it is less than `period` old.
  while (!restarts_.empty() && now - restarts_.front() >= period_)
    restarts_.pop_front();
}

bool intensity_window::add(time_point now) {
  expire(now);
  restarts_.push_back(now);
  if (restarts_.size() > intensity_) {
    // Keep at most intensity + 1 entries: older ones can never matter again.
    while (restarts_.size() > static_cast<size_t>(intensity_) + 1)
      restarts_.pop_front();
    return true;
  }
  return false;
}

size_t intensity_window::used(time_point now) {
  expire(now);
  return restarts_.size();
}

void intensity_window::reconfigure(uint32_t intensity, duration period) {
  intensity_ = intensity;
  period_ = period;
  while (restarts_.size() > static_cast<size_t>(intensity_) + 1)
    restarts_.pop_front();
}

} // namespace warden
