#pragma once

// The children to stop, stopped right to left one at a time: the rightmost
// queued child is asked to stop, and the next one only after it is gone (or
// killed at its deadline). Nothing starts while a stop is under way.

#include <algorithm>
#include <vector>

#include "child_slot.hpp"

namespace warden::detail {

class stop_queue {
public:
  void push(child* c) {
    auto pos = std::lower_bound(
        items_.begin(), items_.end(), c,
        [](const child* x, const child* y) { return x->index < y->index; });
    if (pos == items_.end() || *pos != c)
      items_.insert(pos, c);
  }

  void erase(const child* c) {
    items_.erase(std::remove(items_.begin(), items_.end(), c), items_.end());
    if (current_ == c)
      current_ = nullptr;
  }

  /// Takes the rightmost queued child (null when none).
  child* pop_back() {
    if (items_.empty())
      return nullptr;
    auto c = items_.back();
    items_.pop_back();
    return c;
  }

  /// The child being stopped now, if any.
  child* current() const noexcept {
    return current_;
  }

  void current(child* c) noexcept {
    current_ = c;
  }

  /// A stop is under way or queued.
  bool busy() const noexcept {
    return current_ != nullptr || !items_.empty();
  }

  void clear() {
    items_.clear();
    current_ = nullptr;
  }

private:
  std::vector<child*> items_; // ascending index
  child* current_ = nullptr;
};

} // namespace warden::detail
