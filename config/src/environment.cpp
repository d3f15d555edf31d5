#include "warden/config/environment.hpp"

#include <cstdlib>

namespace warden {

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (auto value = std::getenv(name.c_str()))
      return std::string{value};
    return std::nullopt;
  };
}

} // namespace warden
