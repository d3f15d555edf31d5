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
  /// "stealing" (CAF's default) or "sharing".
  std::string policy = "stealing";
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
