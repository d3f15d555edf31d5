#include "warden/config/config_lookup.hpp"

#include <filesystem>
#include <system_error>

namespace warden {

std::vector<std::string> default_config_candidates() {
  return {"./warden.cfg", "./etc/warden.cfg", "/etc/warden/warden.cfg"};
}

std::optional<std::string> find_config_file(const std::vector<std::string>& candidates) {
  for (auto& candidate : candidates) {
    std::error_code ec;
    auto st = std::filesystem::status(candidate, ec);
    if (!ec && std::filesystem::exists(st) && !std::filesystem::is_directory(st))
      return candidate;
  }
  return std::nullopt;
}

} // namespace warden
