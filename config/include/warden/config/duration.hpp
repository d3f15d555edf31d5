#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace warden {

/// Parses a duration such as "250ms", "5s", "2m", "1h", "1d" or a sum of
/// them ("1h30m"). A bare number is rejected (the unit is required). On
/// failure returns nothing and, when `why` is given, says what is wrong.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string* why = nullptr);

/// Formats milliseconds the shortest exact way: "250ms", "5s", "1h30m".
std::string format_duration(std::chrono::milliseconds x);

} // namespace warden
