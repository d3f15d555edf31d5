#pragma once

#include <cstddef>
#include <string>

namespace warden {

/// `to_string` and `from_string` for warden's enums share these two: each
/// enum keeps a table of names in enumerator order, and a test checks that
/// every enumerator has one.

/// The name of `x`, or "unknown" past the end of `names`.
template <class Enum, size_t N>
const char* enum_name(const char* const (&names)[N], Enum x) noexcept {
  auto index = static_cast<size_t>(x);
  return index < N ? names[index] : "unknown";
}

/// Sets `x` to the enumerator named `name`; false if there is none.
template <class Enum, size_t N>
bool enum_from_name(const char* const (&names)[N], const std::string& name,
                    Enum& x) noexcept {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) {
      x = static_cast<Enum>(i);
      return true;
    }
  return false;
}

} // namespace warden
