#pragma once

// What a supervisor tells the world: one log line with fixed fields and one
// lifecycle bus message per event. Costs nothing when neither the log
// level nor a subscriber wants it.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "warden/actors/lifecycle.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace warden::detail {

class reporter {
public:
  reporter(std::shared_ptr<spdlog::logger> log, lifecycle_bus_ptr events)
    : log_(std::move(log))
    , events_(std::move(events)) {
    // nop
  }

  /// A lifecycle event of `child` (a path) under `supervisor` (a path).
  void emit(lifecycle_kind kind, const std::string& supervisor, const std::string& child,
            const std::string& reason, uint32_t restarts, int64_t delay_ms = 0) const;

  /// The supervisor has stopped all its children and exits.
  void shutdown(const std::string& supervisor, const std::string& reason,
                const std::vector<std::string>& stragglers) const;

  /// A child did not stop within its deadline and is killed.
  void killed(const std::string& supervisor, const std::string& child,
              int64_t deadline_ms) const;

private:
  std::shared_ptr<spdlog::logger> log_;
  lifecycle_bus_ptr events_;
};

/// "a, b, c".
std::string join(const std::vector<std::string>& xs);

} // namespace warden::detail
