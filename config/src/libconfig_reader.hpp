#pragma once

// Internal: the one place that sees libconfig. Turns libconfig text into a
// plain `config_value` tree.

#include <optional>
#include <string>
#include <vector>

#include "warden/config/config_error.hpp"
#include "warden/config/config_value.hpp"

namespace warden::detail {

/// Parses `text` (errors and settings name the file `name`; `@include`
/// starts from `include_dir`). On a syntax error appends it to `errors`
/// (`FILE:LINE: message`) and returns nothing.
std::optional<config_value> read_libconfig(const std::string& text,
                                           const std::string& name,
                                           const std::string& include_dir,
                                           std::vector<config_error>& errors);

} // namespace warden::detail
