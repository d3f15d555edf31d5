#pragma once

// Internal: validates an interpolated settings tree and turns it into the
// plain value structs.

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "warden/config/config_error.hpp"
#include "warden/config/config_value.hpp"
#include "warden/config/warden_config.hpp"
#include "warden/supervisor/service_types.hpp"

namespace warden::detail {

/// An interpolated string that was read as a number or boolean
/// (`port = "${PORT}"`), and that value.
using retyped_value = std::pair<const config_value*, config_value>;

/// Checks every setting below `root` and fills `out` (whose `source` and
/// `base_dir` are set). Appends every problem to `errors`. Values in
/// `failed` could not be interpolated (already reported) and are skipped.
/// Interpolated strings read as numbers or booleans go to `retyped`.
void build_config(const config_value& root,
                  const std::unordered_set<const config_value*>& failed,
                  const service_types* types, warden_config& out,
                  std::vector<config_error>& errors, std::vector<retyped_value>& retyped);

/// Adds the documented defaults of settings missing from `root` (the
/// scalar settings of the sections, and the supervisor's flags), taking
/// their values from `cfg` and marking them `is_default`.
void fill_defaults(config_value& root, const warden_config& cfg);

} // namespace warden::detail
