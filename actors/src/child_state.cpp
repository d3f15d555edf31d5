#include "warden/actors/child_state.hpp"

#include "warden/actors/enum_names.hpp"

namespace warden {

namespace {

constexpr const char* names[] = {"stopped", "starting", "running",  "backoff", "stopping",
                                 "failed",  "waiting",  "disabled", "done"};
static_assert(sizeof(names) / sizeof(names[0]) == child_state_count,
              "every child_state needs a name");

} // namespace

const char* to_string(child_state x) noexcept {
  return enum_name(names, x);
}

bool from_string(const std::string& name, child_state& x) noexcept {
  return enum_from_name(names, name, x);
}

} // namespace warden
