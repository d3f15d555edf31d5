#pragma once

#include <cstdint>
#include <string>

#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// Why a tick was delivered.
enum class tick_kind : uint8_t {
  regular,  ///< a fire time of the schedule (`every` slot or cron time)
  at_start, ///< the child started (`at_start`)
  catch_up, ///< runs were missed while the child was not running (`catch_up = "one"`)
};

const char* to_string(tick_kind x) noexcept;

/// One tick to deliver to a service, as returned by `schedule_book::due`.
struct schedule_tick {
  /// The schedule's key in the book.
  std::string key;
  /// The group (child) the schedule belongs to.
  std::string group;
  /// The tick's name as the service receives it.
  std::string tick;
  tick_kind kind = tick_kind::regular;
  /// When the tick was due (regular ticks include their jitter; at_start and
  /// catch_up ticks are due when the child started).
  schedule_time due;
  /// How late it is delivered: now - due (negative when delivered early).
  schedule_duration lateness{0};
  /// Regular fire times passed over before this one because they were
  /// already over (the schedule fell behind by more than one period).
  uint64_t missed = 0;
  /// Counts the schedule's delivered ticks, from 1.
  uint64_t sequence = 0;
};

} // namespace warden
