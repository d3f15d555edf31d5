#pragma once

#include <optional>

#include "warden/schedule/cron_expr.hpp"
#include "warden/schedule/schedule_time.hpp"

namespace date {
class time_zone;
} // namespace date

namespace warden {

/// How far ahead `next_fire` looks before it gives up: eight years cover
/// every leap day and every weekday of every date.
constexpr int next_fire_horizon_years = 8;

/// The first time strictly after `after` at which `expr` fires, evaluated in
/// the local time of `zone` (nullptr: the machine's local zone). Nothing when
/// the expression never matches within `next_fire_horizon_years` (e.g.
/// `0 0 31 2 *`).
///
/// Daylight saving changes are handled as cron (vixie, cronie) does:
/// - a fixed-time expression (minute and hour fields not starting with `*`)
///   whose local time falls in a gap skipped by a spring-forward change fires
///   once, at the instant the gap ends; one whose local time repeats after a
///   fall-back change fires once, at the first occurrence;
/// - a wild expression (minute or hour starting with `*`) follows the wall
///   clock: local times in a gap do not exist and do not fire, and repeated
///   local times fire on both occurrences.
std::optional<schedule_time> next_fire(const cron_expr& expr, schedule_time after,
                                       const date::time_zone* zone);

} // namespace warden
