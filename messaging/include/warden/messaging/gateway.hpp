#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/actors/lifecycle.hpp"
#include "warden/messaging/amqp_link.hpp"
#include "warden/messaging/outbox.hpp"
#include "warden/supervisor/child_spec.hpp"
#include "warden/supervisor/path_registry.hpp"

namespace warden {

/// What the gateway knows about the tree it serves.
struct gateway_context {
  path_registry_ptr registry;
  lifecycle_bus_ptr events;
  /// `program` and `node` of the config: in topics and `app_id`.
  std::string program = "warden";
  std::string node = "localhost";
  /// When warden started (wall clock, ms), for `uptime_s` in health answers.
  int64_t started_ms = 0;
};

/// The gateway's settings (the config's `rabbitmq` section).
struct gateway_settings {
  amqp_link_settings link;
  outbox_options outbox;
  /// Published but unconfirmed messages at most (1: confirm per message).
  size_t confirm_window = 1000;
  /// Local topics that also go to the broker.
  std::vector<std::string> publish_patterns{"#"};
  /// Larger incoming bodies are logged and acknowledged, not delivered.
  size_t max_body = 1 << 20;
};

/// The child spec of the RabbitMQ gateway (type "rabbitmq"): a supervised
/// service owning the outbox and the `amqp_link`. It registers with the bus
/// as the way out for `publish_patterns`, appends every outgoing message to
/// the outbox before answering the publisher, sends the outbox in order when
/// connected (at most `confirm_window` unconfirmed), drops records when the
/// broker confirms them, hands incoming deliveries to the bus and
/// acknowledges them once the local subscribers have them, answers
/// `Health.Request` (unless the tree has a child of type `health`, which
/// answers instead) and publishes `Error.Message.<program>.<node>` on every
/// crash in the tree. Its diagnostics values show `state` (`connected`,
/// `connecting`, `offline`), `outbox.depth`, `outbox.bytes` and counters.
child_spec gateway_child(std::string name, gateway_settings settings,
                         gateway_context ctx);

/// The `Health.Response` body for the tree in `registry` (also `status
/// --json`): status `ok` when every child runs, `failing` when one has
/// failed, `degraded` otherwise.
std::string health_body(const path_registry& registry, const gateway_context& ctx,
                        const std::string& id);

} // namespace warden
