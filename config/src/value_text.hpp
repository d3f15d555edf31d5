#pragma once

// Internal: config values to and from libconfig text.

#include <optional>
#include <string>
#include <string_view>

#include "warden/config/config_value.hpp"

namespace warden::detail {

struct render_options {
  /// Secrets as "***".
  bool redact = true;
  /// '$' as "$$", so that the text loads back to the same value.
  bool escape_dollar = false;
  /// Groups and lists over several lines, indented by two spaces.
  bool multiline = false;
};

/// A string literal in libconfig syntax.
std::string quote(std::string_view text, bool escape_dollar);

/// The shortest text that reads back as `x` and as a float in libconfig.
std::string float_text(double x);

/// The plain text of a scalar: strings as they are, numbers in decimal,
/// booleans as true/false.
std::string scalar_text(const config_value& x);

/// `x` as a libconfig value; nested lines are indented by `indent` + 2.
std::string render_value(const config_value& x, const render_options& opts,
                         size_t indent = 0);

/// The items of group `x` as `name = value;` lines at `indent`.
std::string render_members(const config_value& x, const render_options& opts,
                           size_t indent);

/// Reads a value given on the command line (`--set`, `config set`): a
/// number (a decimal or hex integer, `L` for 64 bits, or a float), true or
/// false, a quoted string, an array, list or group in libconfig syntax, or
/// else the text itself as a string. Nothing when a quoted or bracketed value
/// is malformed (with the reason in `why`).
std::optional<config_value> parse_value_text(std::string_view text, std::string* why);

} // namespace warden::detail
