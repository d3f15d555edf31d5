#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace warden {

/// One message on the topic bus: what a service publishes, what its
/// subscribers receive, and what the RabbitMQ gateway carries both ways.
struct bus_message {
  /// Dot-separated words, e.g. "File.Detected.node1" (AMQP routing key).
  std::string topic;
  /// JSON text.
  std::string body;
  /// Unique per message, kept across the broker: consumers drop duplicates.
  std::string message_id;
  /// Wall clock, ms since the Unix epoch.
  int64_t timestamp_ms = 0;
  /// Where an answer should go (AMQP `reply_to`), when the sender said.
  std::string reply_to;
  /// The publishing service's path, or "amqp" for messages from the broker.
  std::string source;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bus_message& x) {
  return f(caf::meta::type_name("warden::bus_message"), x.topic, x.body, x.message_id,
           x.timestamp_ms, x.reply_to, x.source);
}

/// A message id unique across processes and restarts: a random prefix per
/// process and a counter ("5f0c9a1be2d34c11-1a").
std::string next_message_id();

/// Whether `message_id` came from `next_message_id` in this process (a
/// message that went out to the broker and came back).
bool own_message_id(const std::string& message_id);

/// Wall clock now, ms since the Unix epoch.
int64_t wall_clock_ms();

/// The bus actor's name in CAF's registry (`system().registry().get(...)`).
constexpr caf::atom_value bus_name = caf::atom("wd_bus");

/// → bus: publish a `bus_message`; the answer (`ok_atom` or an error) says
/// whether it was taken, which includes the gateway's outbox when the topic
/// goes to the broker: a full outbox is an error, never a silent drop.
using publish_atom = caf::atom_constant<caf::atom("wd_pub")>;
/// → bus: `subscribe_atom, path, pattern` (AMQP topic pattern).
using subscribe_atom = caf::atom_constant<caf::atom("wd_sub")>;
/// → bus: `unsubscribe_atom, path, pattern`; with an empty pattern: all of
/// the path's subscriptions.
using unsubscribe_atom = caf::atom_constant<caf::atom("wd_unsub")>;
/// bus → subscriber, gateway → bus: a `bus_message` for a subscriber (a
/// request; the answer says it was handled).
using deliver_atom = caf::atom_constant<caf::atom("wd_deliver")>;
/// gateway → bus: `gateway_atom, std::vector<std::string> out_patterns`: the
/// sender forwards topics matching the patterns to the broker.
using gateway_atom = caf::atom_constant<caf::atom("wd_gateway")>;

} // namespace warden
