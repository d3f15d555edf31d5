#pragma once

#include <string>

namespace warden {

/// Who this warden is: `program` and `node` of the running config, as used
/// in topics ("File.Detected.<node>") and logs, and where its config lives.
struct identity {
  std::string program = "warden";
  std::string node = "localhost";
  /// The config file's directory (`.` for standard input and the embedded
  /// default): where relative paths in services' params start.
  std::string base_dir = ".";
};

/// Sets the identity (the runtime does, at start and on reload). Thread-safe.
void set_identity(identity x);

/// The identity of this process. Thread-safe.
identity current_identity();

} // namespace warden
