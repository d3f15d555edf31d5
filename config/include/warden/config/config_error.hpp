#pragma once

#include <string>
#include <vector>

namespace warden {

/// One problem found in a config file, located for the user: which file,
/// which line, which setting. `to_string` gives `FILE:LINE: setting: message`,
/// the format of `warden check`.
struct config_error {
  /// The file's display name: a path, "-" for standard input, "--set" for a
  /// command-line override, or the name given to `load_text`.
  std::string file;
  /// 1-based; 0 when the problem has no line (overrides, unreadable files).
  unsigned line = 0;
  /// The setting's path, e.g. "supervisor.children.watcher.restart"; empty
  /// for problems of the file as a whole (syntax errors).
  std::string setting;
  /// What is wrong, e.g. "must be an integer, not a string".
  std::string message;
};

/// `FILE:LINE: setting: message`; the line is left out when 0 and the
/// setting when empty (`FILE:LINE: message` for syntax errors).
std::string to_string(const config_error& x);

/// One error per line, in order, each ended by '\n'.
std::string to_string(const std::vector<config_error>& xs);

bool operator==(const config_error& x, const config_error& y);

} // namespace warden
