#include "warden/actors/health.hpp"

namespace warden {

const char* to_string(health_level x) noexcept {
  switch (x) {
    case health_level::ok:
      return "ok";
    case health_level::degraded:
      return "degraded";
    default:
      return "failing";
  }
}

health_level health_of(const std::vector<diagnostics_ptr>& nodes) {
  auto result = health_level::ok;
  for (auto& diag : nodes) {
    auto state = diag->state();
    bool root = diag->path().find('/') == std::string::npos;
    if (root) {
      if (state == child_state::failed)
        return health_level::failing;
      continue;
    }
    switch (state) {
      case child_state::backoff:
      case child_state::waiting:
      case child_state::failed:
        result = health_level::degraded;
        break;
      default:
        break;
    }
  }
  return result;
}

} // namespace warden
