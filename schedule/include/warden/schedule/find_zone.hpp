#pragma once

#include <string>

namespace date {
class time_zone;
} // namespace date

namespace warden {

/// Looks up an IANA time zone ("Europe/Oslo") in the system's tz database
/// (/usr/share/zoneinfo). An empty name means the machine's local zone
/// (`local_zone()`). On error returns nullptr and, when `why` is given, says
/// why: `unknown time zone "Europe/Olso"`.
const date::time_zone* find_zone(const std::string& name, std::string* why = nullptr);

/// The machine's local zone (/etc/localtime, $TZ); UTC when it cannot be
/// determined. Never nullptr.
const date::time_zone* local_zone();

/// The zone's name, e.g. "Europe/Oslo".
std::string zone_name(const date::time_zone* zone);

} // namespace warden
