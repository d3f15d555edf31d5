#pragma once

#include <cstddef>

#include "warden/supervisor/child_spec.hpp"

namespace warden {

/// A half-open range [first, last) of child positions in start order.
struct child_range {
  size_t first = 0;
  size_t last = 0;

  bool contains(size_t index) const noexcept {
    return index >= first && index < last;
  }
};

/// The children that restart when the child at `index` of `count` crashes:
/// itself (one_for_one), all (one_for_all), or itself and the ones started
/// after it (rest_for_one). Siblings in the range are stopped right to left
/// first, then all of them start again left to right.
child_range affected(strategy s, size_t index, size_t count) noexcept;

} // namespace warden
