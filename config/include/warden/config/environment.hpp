#pragma once

#include <functional>
#include <optional>
#include <string>

namespace warden {

/// Looks up an environment variable: its value, or nothing when unset.
/// Injected into the config loader so that tests do not depend on the real
/// environment.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment (`getenv`).
env_lookup process_environment();

} // namespace warden
