#pragma once

#include <optional>
#include <string>
#include <vector>

namespace warden {

/// Where warden looks for its config when no `-c` is given, in order:
/// "./warden.cfg", "./etc/warden.cfg", "/etc/warden/warden.cfg".
std::vector<std::string> default_config_candidates();

/// The first of `candidates` that exists and is not a directory, or nothing
/// (the caller then uses the embedded default).
std::optional<std::string> find_config_file(
    const std::vector<std::string>& candidates = default_config_candidates());

} // namespace warden
