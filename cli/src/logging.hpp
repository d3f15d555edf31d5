#pragma once

#include "warden/config/warden_config.hpp"

namespace warden {

/// Sets up spdlog from the `log` section: a console sink, a rotating file
/// sink when `file` is set, one logger per component ("warden",
/// "supervisor", "services", "config") with its level from `levels` or the
/// default `level`. Returns false (and says why) for a file it cannot open.
bool setup_logging(const log_config& cfg, const std::string& base_dir, std::string* why);

} // namespace warden
