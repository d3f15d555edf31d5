#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace warden {

/// Whether a schedule fires when its service starts.
enum class at_start_mode : uint8_t {
  none,   ///< only at the scheduled times (`at_start = false`)
  always, ///< on every start, restarts included (`at_start = true`)
  once,   ///< on the first start only
};

/// What happens to fire times missed while the service was down or busy.
enum class catch_up_mode : uint8_t {
  none, ///< skipped
  one,  ///< one tick for all missed times
};

/// What happens when a tick fires while the previous one is still handled.
enum class overlap_mode : uint8_t {
  skip,  ///< the new tick is dropped
  queue, ///< the new tick waits
};

const char* to_string(at_start_mode x) noexcept;
const char* to_string(catch_up_mode x) noexcept;
const char* to_string(overlap_mode x) noexcept;
bool from_string(const std::string& name, at_start_mode& x) noexcept;
bool from_string(const std::string& name, catch_up_mode& x) noexcept;
bool from_string(const std::string& name, overlap_mode& x) noexcept;

/// One entry of a child's `schedule` list: a named tick sent to the service
/// either every fixed interval or at the times of a cron expression.
///
/// ```
/// schedule = ( { every = "5s"; tick = "scan"; },
///              { cron = "0 0 * * *"; tick = "prune"; at_start = true; } );
/// ```
struct schedule_config {
  /// The tick's name as the service receives it; default "tick".
  std::string tick = "tick";
  /// Set for interval schedules (`every = "5s"`); exactly one of `every` and
  /// `cron` is set.
  std::optional<std::chrono::milliseconds> every;
  /// The cron expression as written (checked when loading, with
  /// `warden::cron_expr::parse`).
  std::string cron;
  /// An IANA time zone for `cron` (checked when loading); empty means local
  /// time.
  std::string timezone;
  at_start_mode at_start = at_start_mode::none;
  catch_up_mode catch_up = catch_up_mode::none;
  overlap_mode overlap = overlap_mode::skip;
  /// Each fire time is moved by a random delay in [0, jitter].
  std::chrono::milliseconds jitter{0};
  /// Where the entry was written, for errors found later (e.g. in `cron`):
  /// file, line and setting path ("supervisor.children.watcher.schedule[1]").
  std::string file;
  unsigned line = 0;
  std::string setting;
};

} // namespace warden
