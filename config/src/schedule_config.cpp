#include "warden/config/schedule_config.hpp"

#include "warden/actors/enum_names.hpp"

namespace warden {

namespace {

constexpr const char* at_start_names[] = {"none", "always", "once"};
constexpr const char* catch_up_names[] = {"none", "one"};
constexpr const char* overlap_names[] = {"skip", "queue"};

} // namespace

const char* to_string(at_start_mode x) noexcept {
  return enum_name(at_start_names, x);
}

const char* to_string(catch_up_mode x) noexcept {
  return enum_name(catch_up_names, x);
}

const char* to_string(overlap_mode x) noexcept {
  return enum_name(overlap_names, x);
}

bool from_string(const std::string& name, at_start_mode& x) noexcept {
  return enum_from_name(at_start_names, name, x);
}

bool from_string(const std::string& name, catch_up_mode& x) noexcept {
  return enum_from_name(catch_up_names, name, x);
}

bool from_string(const std::string& name, overlap_mode& x) noexcept {
  return enum_from_name(overlap_names, name, x);
}

} // namespace warden
