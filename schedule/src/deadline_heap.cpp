#include "warden/schedule/deadline_heap.hpp"

namespace warden {

void deadline_heap::place(size_t i, const item& x) {
  items_[i] = x;
  pos_[x.id] = i;
}

void deadline_heap::sift_up(size_t i) {
  auto x = items_[i];
  while (i > 0) {
    auto parent = (i - 1) / 2;
    if (!before(x, items_[parent]))
      break;
    place(i, items_[parent]);
    i = parent;
  }
  place(i, x);
}

void deadline_heap::sift_down(size_t i) {
  auto x = items_[i];
  auto n = items_.size();
  for (;;) {
    auto child = 2 * i + 1;
    if (child >= n)
      break;
    if (child + 1 < n && before(items_[child + 1], items_[child]))
      ++child;
    if (!before(items_[child], x))
      break;
    place(i, items_[child]);
    i = child;
  }
  place(i, x);
}

void deadline_heap::set(uint32_t id, schedule_time deadline, uint64_t order) {
  if (id >= pos_.size())
    pos_.resize(static_cast<size_t>(id) + 1, npos);
  item x{deadline, order, id};
  if (pos_[id] == npos) {
    items_.push_back(x);
    pos_[id] = items_.size() - 1;
    sift_up(items_.size() - 1);
    return;
  }
  auto i = pos_[id];
  bool up = before(x, items_[i]);
  items_[i] = x;
  if (up)
    sift_up(i);
  else
    sift_down(i);
}

void deadline_heap::erase(uint32_t id) {
  if (!contains(id))
    return;
  auto i = pos_[id];
  pos_[id] = npos;
  auto last = items_.back();
  items_.pop_back();
  if (i == items_.size())
    return;
  bool up = before(last, items_[i]);
  place(i, last);
  if (up)
    sift_up(i);
  else
    sift_down(i);
}

void deadline_heap::pop() {
  erase(items_.front().id);
}

void deadline_heap::clear() {
  items_.clear();
  pos_.clear();
}

bool deadline_heap::valid() const {
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].id >= pos_.size() || pos_[items_[i].id] != i)
      return false;
    if (i > 0 && before(items_[i], items_[(i - 1) / 2]))
      return false;
  }
  size_t present = 0;
  for (auto p : pos_)
    if (p != npos)
      ++present;
  return present == items_.size();
}

} // namespace warden
