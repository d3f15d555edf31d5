#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "warden/schedule/schedule_time.hpp"

namespace warden {

/// An indexed binary min-heap of deadlines: one timer source for any number
/// of schedules. Each entry is a small integer id (the schedule's slot) with
/// a deadline; ties go to the lower `order`. Push, update, erase and pop take
/// O(log n); top takes O(1).
class deadline_heap {
public:
  /// Sentinel position of ids not in the heap.
  static constexpr size_t npos = static_cast<size_t>(-1);

  bool empty() const noexcept {
    return items_.empty();
  }

  size_t size() const noexcept {
    return items_.size();
  }

  bool contains(uint32_t id) const noexcept {
    return id < pos_.size() && pos_[id] != npos;
  }

  /// The id with the earliest deadline; the heap must not be empty.
  uint32_t top_id() const noexcept {
    return items_.front().id;
  }

  /// The earliest deadline; the heap must not be empty.
  schedule_time top_deadline() const noexcept {
    return items_.front().deadline;
  }

  /// Inserts `id` or, when present, moves it to `deadline`.
  void set(uint32_t id, schedule_time deadline, uint64_t order);

  /// Removes `id` when present.
  void erase(uint32_t id);

  /// Removes the top entry; the heap must not be empty.
  void pop();

  /// Removes everything.
  void clear();

  /// Checks the heap invariant and the position index (for tests).
  bool valid() const;

private:
  struct item {
    schedule_time deadline;
    uint64_t order;
    uint32_t id;
  };

  static bool before(const item& x, const item& y) noexcept {
    return x.deadline < y.deadline || (x.deadline == y.deadline && x.order < y.order);
  }

  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, const item& x);

  std::vector<item> items_;
  std::vector<size_t> pos_;
};

} // namespace warden
