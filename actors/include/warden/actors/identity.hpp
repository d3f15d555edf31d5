#pragma once

#include <string>

namespace warden {

/// Who this warden is: `program` and `node` of the running config, as used
/// in topics ("File.Detected.<node>") and logs.
struct identity {
  std::string program = "warden";
  std::string node = "localhost";
};

/// Sets the identity (the runtime does, at start and on reload). Thread-safe.
void set_identity(identity x);

/// The identity of this process. Thread-safe.
identity current_identity();

} // namespace warden
