#include "warden/actors/lifecycle.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "warden/actors/enum_names.hpp"

namespace warden {

namespace {

constexpr const char* names[] = {"started", "crashed", "restarted", "backoff",
                                 "gave_up", "stopped", "waiting",   "done"};
static_assert(sizeof(names) / sizeof(names[0]) == lifecycle_kind_count,
              "every lifecycle_kind needs a name");

} // namespace

const char* to_string(lifecycle_kind x) noexcept {
  return enum_name(names, x);
}

void lifecycle_bus::subscribe(const caf::actor& subscriber) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (std::find(subscribers_.begin(), subscribers_.end(), subscriber) ==
      subscribers_.end())
    subscribers_.push_back(subscriber);
  count_.store(subscribers_.size(), std::memory_order_release);
}

void lifecycle_bus::unsubscribe(const caf::actor& subscriber) {
  std::lock_guard<std::mutex> guard{mtx_};
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscriber),
                     subscribers_.end());
  count_.store(subscribers_.size(), std::memory_order_release);
}

void lifecycle_bus::publish(const lifecycle_event& event) {
  std::vector<caf::actor> targets;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    targets = subscribers_;
  }
  for (auto& target : targets)
    caf::anon_send(target, event);
}

} // namespace warden
