#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "warden/actors/lifecycle.hpp"
#include "warden/supervisor/path_registry.hpp"

namespace warden {

/// Options of the local topic bus.
struct bus_options {
  /// A gateway will register (the config has a `rabbitmq` section): until
  /// it does, and while it restarts, messages for the broker are held here
  /// (and their publishers wait for the answer) instead of being refused.
  bool gateway_expected = false;
  /// Topics matching these go to the gateway (`rabbitmq.publish`); the
  /// gateway may replace them when it registers.
  std::vector<std::string> out_patterns;
  /// Messages held for a restarting gateway; beyond this, publishers get an
  /// error (back-pressure).
  size_t max_held = 100000;
  /// Messages held per subscriber that is not running (in backoff); beyond
  /// this the oldest local message is dropped and counted.
  size_t max_pending_per_subscriber = 10000;
};

/// Spawns the local topic bus (AMQP topic semantics: `*` one word, `#` zero
/// or more). Subscriptions belong to a child's path, not to an instance: a
/// message for a child goes to its current instance (found in `registry`),
/// waits while the child restarts (delivered when `events` reports it
/// started), and the subscription ends when the path leaves the registry.
/// Local subscribers get local messages directly; topics matching the
/// gateway's out-patterns also go to the gateway, and the publisher's
/// answer is the gateway's (taken into the outbox, or refused).
/// Register it as `bus_name` in CAF's registry for services to find it.
caf::actor spawn_bus(caf::actor_system& sys, path_registry_ptr registry,
                     lifecycle_bus_ptr events, bus_options opts = {});

} // namespace warden
