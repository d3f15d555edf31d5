#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace warden {

/// The outcome of `set_setting`: the new text, or why there is none.
struct edit_result {
  std::optional<std::string> text;
  std::string error;
};

/// `warden config set KEY VALUE` on file text: returns `text` with only the
/// value of `key` changed, byte for byte the same elsewhere, so comments and
/// layout survive. `key` is a setting path (see `parse_path`; list items by
/// index or by their `name`). `value` is read like an override: a libconfig
/// number, boolean, quoted string, array, list or group, anything else a
/// bare string (written quoted).
///
/// A missing setting is added at the end of its group: on a new line before
/// the closing brace, indented like the group's last setting, or inside the
/// braces when the group is written on one line; missing groups on the way
/// are created on that line. Settings of the top level go at the end of the
/// file. The result is not validated: load it before writing it.
edit_result set_setting(std::string_view text, std::string_view key,
                        std::string_view value);

struct load_options;

/// `set_setting` on the file at `path`, written only if the result
/// validates (with `opts`, without its overrides), atomically (temp file,
/// fsync, rename). Returns an empty string on success, else why not (for
/// an invalid result: "not written: the result would not be valid" and the
/// errors, one `FILE:LINE: setting: message` per line). What `warden config
/// set` and the control plane's enable/disable use.
std::string set_setting_in_file(const std::string& path, std::string_view key,
                                std::string_view value, const load_options& opts);

} // namespace warden
