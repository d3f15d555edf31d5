#pragma once

// Internal: `${...}` interpolation of every string of a settings tree.

#include <string>
#include <unordered_set>
#include <vector>

#include "warden/config/config_error.hpp"
#include "warden/config/config_value.hpp"
#include "warden/config/environment.hpp"

namespace warden::detail {

/// Interpolates every string value below `root` in place (see `load_file`
/// for the forms), marking secret and interpolated values. Appends one error
/// per value that could not be interpolated and returns those values and
/// the ones that depend on them, so that later checks skip them.
/// `base_dir` is where a relative `secrets.dir` starts.
std::unordered_set<const config_value*> interpolate(config_value& root,
                                                    const env_lookup& env,
                                                    const std::string& base_dir,
                                                    std::vector<config_error>& errors);

} // namespace warden::detail
