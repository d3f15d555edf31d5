#pragma once

// The children waiting to be started, in start order, and the rule that
// says which of them may start now. The supervisor starts from the front:
// a child whose dependencies are ready starts; one whose dependencies are
// coming (starting, queued, in backoff) holds everyone behind it back, so
// the start order is kept; one whose dependency is down for good (stopped,
// disabled, failed) is skipped and stays `waiting`, naming that dependency.

#include <cstddef>
#include <set>

#include "child_slot.hpp"

namespace warden::detail {

/// How a queued child's dependencies stand.
struct dep_check {
  enum status_t { ready, coming, down } status = ready;
  /// The first dependency that is not ready (null when all are).
  const child* culprit = nullptr;
};

/// Pure: looks only at the dependencies' states.
dep_check check_deps(const child& c) noexcept;

class start_queue {
public:
  struct by_index {
    using is_transparent = void;
    bool operator()(const child* x, const child* y) const noexcept {
      return x->index < y->index;
    }
    bool operator()(const child* x, uint32_t y) const noexcept {
      return x->index < y;
    }
    bool operator()(uint32_t x, const child* y) const noexcept {
      return x < y->index;
    }
  };
  // Ordered by index: removing a slot shifts the indexes after it by one,
  // which keeps the relative order, so the set stays sorted.
  using set_type = std::set<child*, by_index>;

  void push(child* c) {
    if (!c->queued) {
      c->queued = true;
      items_.insert(c);
    }
  }

  void erase(child* c) {
    if (c->queued) {
      c->queued = false;
      items_.erase(c);
    }
  }

  /// The first queued child at `index` or after, or null.
  child* first_from(uint32_t index) const {
    auto i = items_.lower_bound(index);
    return i == items_.end() ? nullptr : *i;
  }

  bool empty() const noexcept {
    return items_.empty();
  }

  size_t size() const noexcept {
    return items_.size();
  }

  void clear() {
    for (auto c : items_)
      c->queued = false;
    items_.clear();
  }

private:
  set_type items_;
};

} // namespace warden::detail
