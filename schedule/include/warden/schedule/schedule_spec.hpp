#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "warden/schedule/cron_expr.hpp"
#include "warden/schedule/schedule_time.hpp"

namespace date {
class time_zone;
} // namespace date

namespace warden {

/// Whether a schedule fires when its child starts (mirrors the config's
/// `at_start_mode`, value for value).
enum class start_policy : uint8_t {
  none,   ///< only at the scheduled times
  always, ///< on every start, restarts included
  once,   ///< on the first start only
};

/// What happens to runs missed while warden was down or the child was not
/// running (mirrors `catch_up_mode`; systemd's `Persistent=`).
enum class catch_up_policy : uint8_t {
  none, ///< skipped: the schedule resumes at its next regular time
  one,  ///< one tick at start for all the missed runs
};

/// What happens when a tick falls due while the previous tick of the same
/// schedule is still unhandled (mirrors `overlap_mode`).
enum class overlap_policy : uint8_t {
  skip,  ///< the tick is not delivered and counted as skipped
  queue, ///< the tick is delivered anyway and counted as overlapped
};

const char* to_string(start_policy x) noexcept;
const char* to_string(catch_up_policy x) noexcept;
const char* to_string(overlap_policy x) noexcept;

/// What a schedule does, as plain values: the config's `schedule_config`
/// with the cron text parsed and the time zone looked up (`cron_expr::parse`,
/// `find_zone`).
struct schedule_spec {
  /// The tick's name as the service receives it.
  std::string tick = "tick";
  /// Fixed-rate interval; exactly one of `every` and `cron` is set.
  std::optional<schedule_duration> every;
  std::optional<cron_expr> cron;
  /// The zone `cron` is read in; nullptr: the machine's local zone.
  const date::time_zone* zone = nullptr;
  start_policy at_start = start_policy::none;
  catch_up_policy catch_up = catch_up_policy::none;
  overlap_policy overlap = overlap_policy::skip;
  /// Each regular fire time is delayed by a random offset in [0, jitter).
  schedule_duration jitter{0};

  /// Checks the combination: exactly one of `every` (positive) and `cron`;
  /// `jitter` not negative and, for `every`, shorter than the interval; a
  /// non-empty tick name. On error returns false and sets `why`.
  bool validate(std::string* why = nullptr) const;
};

bool operator==(const schedule_spec& x, const schedule_spec& y) noexcept;

inline bool operator!=(const schedule_spec& x, const schedule_spec& y) noexcept {
  return !(x == y);
}

} // namespace warden
