#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

namespace warden {

/// What happened to a child.
enum class lifecycle_kind : uint8_t {
  started,   ///< an instance runs (first start or after a restart)
  crashed,   ///< an instance exited abnormally
  restarted, ///< a crashed child was started again
  backoff,   ///< a restart was delayed; `delay_ms` says for how long
  gave_up,   ///< a supervisor exceeded its restart intensity
  stopped,   ///< an instance exited normally or was stopped
  waiting,   ///< a child that should run cannot start: a dependency is down
  done,      ///< a one-shot finished (or a child exited and is not restarted)
};

constexpr uint8_t lifecycle_kind_count = static_cast<uint8_t>(lifecycle_kind::done) + 1;

const char* to_string(lifecycle_kind x) noexcept;

/// One lifecycle event, as sent to subscribers of the `lifecycle_bus`.
struct lifecycle_event {
  lifecycle_kind kind = lifecycle_kind::started;
  /// Path of the supervisor that reports the event.
  std::string supervisor;
  /// Path of the child the event is about.
  std::string child;
  /// The exit reason, where there is one ("normal" otherwise).
  std::string reason;
  uint32_t restarts = 0;
  int64_t delay_ms = 0;
  /// Wall clock, ms since the Unix epoch.
  int64_t time_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lifecycle_event& x) {
  return f(caf::meta::type_name("warden::lifecycle_event"), x.kind, x.supervisor, x.child,
           x.reason, x.restarts, x.delay_ms, x.time_ms);
}

/// Fan-out of lifecycle events to subscribed actors. Thread-safe. Publishing
/// with no subscribers costs one atomic load, so supervisors can report every
/// restart without paying for events nobody reads.
class lifecycle_bus {
public:
  void subscribe(const caf::actor& subscriber);
  void unsubscribe(const caf::actor& subscriber);

  bool has_subscribers() const noexcept {
    return count_.load(std::memory_order_acquire) > 0;
  }

  /// Sends `event` to every subscriber.
  void publish(const lifecycle_event& event);

private:
  mutable std::mutex mtx_;
  std::vector<caf::actor> subscribers_;
  std::atomic<size_t> count_{0};
};

using lifecycle_bus_ptr = std::shared_ptr<lifecycle_bus>;

} // namespace warden
