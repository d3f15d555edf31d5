#include "warden/config/schedule_config.hpp"

namespace warden {

namespace {

constexpr const char* at_start_names[] = {"none", "always", "once"};
constexpr const char* catch_up_names[] = {"none", "one"};
constexpr const char* overlap_names[] = {"skip", "queue"};

template <class Enum, size_t N>
bool parse(const char* const (&names)[N], const std::string& name, Enum& x) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) {
      x = static_cast<Enum>(i);
      return true;
    }
  return false;
}

template <class Enum, size_t N>
const char* name_of(const char* const (&names)[N], Enum x) {
  auto index = static_cast<size_t>(x);
  return index < N ? names[index] : "unknown";
}

} // namespace

const char* to_string(at_start_mode x) noexcept {
  return name_of(at_start_names, x);
}

const char* to_string(catch_up_mode x) noexcept {
  return name_of(catch_up_names, x);
}

const char* to_string(overlap_mode x) noexcept {
  return name_of(overlap_names, x);
}

bool from_string(const std::string& name, at_start_mode& x) noexcept {
  return parse(at_start_names, name, x);
}

bool from_string(const std::string& name, catch_up_mode& x) noexcept {
  return parse(catch_up_names, name, x);
}

bool from_string(const std::string& name, overlap_mode& x) noexcept {
  return parse(overlap_names, name, x);
}

} // namespace warden
