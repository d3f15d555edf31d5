#pragma once

// The control plane's messages: what any CAF program sends to warden's
// control actor (published with CAF's middleman at control.listen:port), what
// the `warden` client sends, and what `Control.Request.<node>` carries over
// RabbitMQ as JSON. One request type and one reply type, both registered as
// CAF message types (`add_control_types`), so they cross the network:
//
//   auto ctl = sys.middleman().remote_actor("127.0.0.1", 4711);
//   self->request(*ctl, 5s, warden::control_request{"inspect", "root/watcher"})
//       .receive([](const warden::control_reply& r) { ... r.result ... }, ...);

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/meta/type_name.hpp>

namespace warden {

/// One command: `status`, `tree`, `inspect`, `restart`, `stop`, `start`,
/// `enable`, `disable`, `reload`, `tail`.
struct control_request {
  std::string command;
  /// The child's path for inspect/restart/stop/start/enable/disable
  /// ("root/workers/parser"; "root/" may be left out).
  std::string target;
  /// Reserved for command options; empty today.
  std::vector<std::string> args;
  /// The control token (required for mutating commands when one is set,
  /// and for every command when warden listens off loopback).
  std::string token;
  /// Echoed in the reply (the `id` of a RabbitMQ request).
  std::string id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_request& x) {
  return f(caf::meta::type_name("warden::control_request"), x.command, x.target, x.args,
           x.token, x.id);
}

/// The answer to a `control_request`.
struct control_reply {
  std::string id;
  bool ok = false;
  /// The result as JSON text (see README, "The control plane"); empty when
  /// `ok` is false.
  std::string result;
  /// What went wrong, naming the problem, when `ok` is false.
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_reply& x) {
  return f(caf::meta::type_name("warden::control_reply"), x.id, x.ok, x.result, x.error);
}

/// One lifecycle event as `tail` streams it to its subscriber: JSON text
/// of {"kind", "supervisor", "child", "reason", "restarts", "delay_ms",
/// "time"}.
struct control_event {
  std::string json;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_event& x) {
  return f(caf::meta::type_name("warden::control_event"), x.json);
}

/// Registers the control types (and loads CAF's middleman, and with `tls`
/// the openssl manager) in `cfg`, before the actor system is made.
void add_control_types(caf::actor_system_config& cfg, bool network = true,
                       bool tls = false);

/// Whether `command` changes anything (and so needs the token when set).
bool is_mutating(const std::string& command);

/// The known commands, in help order.
const std::vector<std::string>& control_commands();

} // namespace warden
