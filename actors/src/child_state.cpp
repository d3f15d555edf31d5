#include "warden/actors/child_state.hpp"

namespace warden {

namespace {

constexpr const char* names[] = {"stopped", "starting", "running",
                                 "backoff", "stopping", "failed"};
static_assert(sizeof(names) / sizeof(names[0]) == child_state_count,
              "every child_state needs a name");

} // namespace

const char* to_string(child_state x) noexcept {
  auto index = static_cast<uint8_t>(x);
  return index < child_state_count ? names[index] : "unknown";
}

bool from_string(const std::string& name, child_state& x) noexcept {
  for (uint8_t i = 0; i < child_state_count; ++i)
    if (name == names[i]) {
      x = static_cast<child_state>(i);
      return true;
    }
  return false;
}

} // namespace warden
