#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// The last fire time of each schedule, by key, as kept in the state file so
/// that catch-up works across a warden restart.
using last_fire_map = std::map<std::string, schedule_time>;

/// What reading a last-fire-times file found.
struct last_fire_load {
  /// The good entries (a later line wins over an earlier one of the same key).
  last_fire_map times;
  /// One message per ignored line or other damage, as `FILE:LINE: problem`.
  std::vector<std::string> problems;
};

/// The file's text: a header line, one line per schedule
/// (`2026-03-29T01:00:00.000Z root/watcher/scan`: UTC time with milliseconds,
/// one space, the key to the end of the line) and an end line, so that a
/// truncated file is recognized. Times are truncated to milliseconds; keys
/// with control characters are left out.
std::string format_last_fires(const last_fire_map& times);

/// Parses the text of a last-fire-times file; `origin` names it in problems.
/// Bad lines are ignored and reported; a missing end line is reported.
last_fire_load parse_last_fires(std::string_view text, const std::string& origin);

/// Writes the file atomically (`write_file_atomically`: temporary file,
/// fsync, rename, directory fsync): readers see the old file or the new one.
/// A new file gets mode 0644, an existing one keeps its permissions. On
/// failure returns false and sets `why`.
bool save_last_fires(const std::string& path, const last_fire_map& times,
                     std::string* why = nullptr);

/// Reads the file. A missing file is an empty result without problems; an
/// unreadable one reports it.
last_fire_load load_last_fires(const std::string& path);

} // namespace warden
