#pragma once

#include <string>

#include "warden/config/load.hpp"

namespace warden {

/// `warden run`: starts the tree of `loaded`, reloads it from `path` (empty:
/// no file, e.g. stdin or the embedded default) on SIGHUP and when the file
/// changes, and stops it on SIGINT/SIGTERM. Returns the exit code.
int run_tree(loaded_config loaded, const std::string& path, load_options opts);

} // namespace warden
