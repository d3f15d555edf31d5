#include "warden/schedule/schedule_spec.hpp"

namespace warden {

const char* to_string(start_policy x) noexcept {
  switch (x) {
    case start_policy::none:
      return "none";
    case start_policy::always:
      return "always";
    case start_policy::once:
      return "once";
  }
  return "?";
}

const char* to_string(catch_up_policy x) noexcept {
  switch (x) {
    case catch_up_policy::none:
      return "none";
    case catch_up_policy::one:
      return "one";
  }
  return "?";
}

const char* to_string(overlap_policy x) noexcept {
  switch (x) {
    case overlap_policy::skip:
      return "skip";
    case overlap_policy::queue:
      return "queue";
  }
  return "?";
}

bool schedule_spec::validate(std::string* why) const {
  auto fail = [why](const char* what) {
    if (why != nullptr)
      *why = what;
    return false;
  };
  if (tick.empty())
    return fail("the tick name is empty");
  if (every && cron)
    return fail("both every and cron are set");
  if (!every && !cron)
    return fail("neither every nor cron is set");
  if (every && every->count() <= 0)
    return fail("every must be positive");
  if (jitter.count() < 0)
    return fail("jitter must not be negative");
  if (every && jitter >= *every)
    return fail("jitter must be shorter than the interval");
  return true;
}

bool operator==(const schedule_spec& x, const schedule_spec& y) noexcept {
  return x.tick == y.tick && x.every == y.every && x.cron == y.cron && x.zone == y.zone &&
         x.at_start == y.at_start && x.catch_up == y.catch_up && x.overlap == y.overlap &&
         x.jitter == y.jitter;
}

} // namespace warden
