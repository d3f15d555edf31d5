#include "warden/supervisor/strategy.hpp"

namespace warden {

child_range affected(strategy s, size_t index, size_t count) noexcept {
  switch (s) {
    case strategy::one_for_all:
      return {0, count};
    case strategy::rest_for_one:
      return {index, count};
    case strategy::one_for_one:
    default:
      return {index, index + 1};
  }
}

} // namespace warden
