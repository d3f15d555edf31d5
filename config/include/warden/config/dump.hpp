#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/config/config_value.hpp"
#include "warden/config/load.hpp"

namespace warden {

/// The effective config in libconfig syntax (`warden config dump`): values
/// after interpolation and overrides, defaults filled in, every secret as
/// "***" and every '$' written as "$$", so that the output loads again to
/// the same values (secrets aside).
std::string dump(const loaded_config& cfg);

/// One setting as text (`warden config get KEY`): a scalar as its plain
/// value (strings without quotes), a group, list or array in libconfig
/// syntax, "***" for secrets. Nothing when `key` names no setting.
std::optional<std::string> get(const loaded_config& cfg, const std::string& key);

/// A copy of `params` with the values at `secret_pointers` (JSON pointers,
/// see `child_config::secret_params`) replaced by "***".
nlohmann::json redact(const nlohmann::json& params,
                      const std::vector<std::string>& secret_pointers);

/// `value` in libconfig syntax on one line, secrets as "***".
std::string to_config_text(const config_value& value);

} // namespace warden
