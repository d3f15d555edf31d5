#include "reporter.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace warden::detail {

namespace {

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

spdlog::level::level_enum level_of(lifecycle_kind kind) {
  switch (kind) {
    case lifecycle_kind::crashed:
      return spdlog::level::err;
    case lifecycle_kind::backoff:
    case lifecycle_kind::waiting:
      return spdlog::level::warn;
    case lifecycle_kind::gave_up:
      return spdlog::level::critical;
    default:
      return spdlog::level::info;
  }
}

} // namespace

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs) {
    if (!result.empty())
      result += ", ";
    result += x;
  }
  return result;
}

void reporter::emit(lifecycle_kind kind, const std::string& supervisor,
                    const std::string& child, const std::string& reason,
                    uint32_t restarts, int64_t delay_ms) const {
  auto lvl = level_of(kind);
  bool log = log_ && log_->should_log(lvl);
  bool publish = events_ && events_->has_subscribers();
  if (!log && !publish)
    return;
  if (log) {
    if (kind == lifecycle_kind::backoff)
      log_->log(lvl,
                "supervisor={} child={} event={} reason=\"{}\" restarts={} delay_ms={}",
                supervisor, child, to_string(kind), reason, restarts, delay_ms);
    else
      log_->log(lvl, "supervisor={} child={} event={} reason=\"{}\" restarts={}",
                supervisor, child, to_string(kind), reason, restarts);
  }
  if (publish) {
    lifecycle_event ev;
    ev.kind = kind;
    ev.supervisor = supervisor;
    ev.child = child;
    ev.reason = reason;
    ev.restarts = restarts;
    ev.delay_ms = delay_ms;
    ev.time_ms = wall_ms();
    events_->publish(ev);
  }
}

void reporter::shutdown(const std::string& supervisor, const std::string& reason,
                        const std::vector<std::string>& stragglers) const {
  if (log_ && log_->should_log(spdlog::level::info))
    log_->info("supervisor={} event=shutdown reason=\"{}\" stragglers=[{}]", supervisor,
               reason, join(stragglers));
}

void reporter::killed(const std::string& supervisor, const std::string& child,
                      int64_t deadline_ms) const {
  if (log_ && log_->should_log(spdlog::level::warn))
    log_->warn("supervisor={} child={} event=killed reason=\"shutdown deadline of {} ms "
               "passed\"",
               supervisor, child, deadline_ms);
}

} // namespace warden::detail
