#pragma once

#include <string>
#include <string_view>

namespace warden {

/// Replaces the file at `path` with `text` so that readers see the old file
/// or the new one, never a mix: writes a temporary file in the same
/// directory, syncs it, gives it the old file's permissions, renames it over
/// `path` and syncs the directory. On failure leaves `path` untouched,
/// removes the temporary file, returns false and, when `why` is given, says
/// what failed.
bool write_file_atomically(const std::string& path, std::string_view text,
                           std::string* why = nullptr);

} // namespace warden
