#pragma once

#include <cstddef>
#include <string>

#include <caf/actor_system_config.hpp>

namespace warden {

/// How warden sizes CAF's scheduler. These come from warden's own config;
/// CAF's defaults (4 workers even on 2 cores, unbounded throughput) and its
/// `caf-application.ini` are never consulted.
struct runtime_options {
  /// Worker threads; 0 means one per hardware thread.
  size_t threads = 0;
  /// Messages an actor may handle before yielding its worker.
  size_t max_throughput = 300;
  /// "sharing" (one queue, idle workers sleep until work arrives) or
  /// "stealing" (CAF's default: idle workers poll, ~25 ms of 50 µs sleeps
  /// after every burst). Sharing measured better for warden's load on two
  /// cores: ticks 15-19 % CPU instead of 38-53 % with 10 k schedules, a crash
  /// loop a fraction of the CPU, restart p99 30 µs instead of 318 µs.
  std::string policy = "sharing";
  /// Use CAF's deterministic test coordinator (for tests only).
  bool testing = false;
};

/// An actor system config with warden's message types and error category
/// registered and the scheduler set from `opts`. It never reads a config
/// file or the command line.
class system_config : public caf::actor_system_config {
public:
  explicit system_config(const runtime_options& opts = {});

  /// The worker count actually configured.
  size_t threads() const noexcept {
    return threads_;
  }

private:
  size_t threads_;
};

} // namespace warden
