#pragma once

#include <string>
#include <string_view>

namespace warden {

/// Replaces the file at `path` with `text` so that readers see the old file
/// or the new one, never a mix: writes a temporary file in the same
/// directory, gives it the old file's permissions (`new_file_mode` when there
/// is no old file), syncs it, renames it over `path` and syncs the directory.
/// On failure leaves `path` untouched, removes the temporary file, returns
/// false and, when `why` is given, says what failed.
///
/// Used for the config file (`warden config set`) and the last-fire-times
/// file; lives here, the lowest library that writes files.
bool write_file_atomically(const std::string& path, std::string_view text,
                           std::string* why = nullptr, unsigned new_file_mode = 0600);

} // namespace warden
