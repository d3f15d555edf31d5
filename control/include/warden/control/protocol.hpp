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

/// Reads a `Control.Request.<node>` body, JSON `{"id", "command", "target"?,
/// "args"?, "token"?}`, into `out`. False when it is malformed (not JSON, not
/// an object, an unknown field, a field of the wrong type, no `command`), with
/// the reason in `why`; `out` may then be partly filled.
bool parse_control_json(const std::string& body, control_request& out, std::string& why);

/// What `check_control_request` found.
struct control_check {
  /// Empty when the request may run; else the error to answer.
  std::string error;
  /// The error is a missing or wrong token (the control actor logs those).
  bool refused = false;
  /// For commands that take a PATH: the target as a full path ("root/..."),
  /// without trailing slashes. Whether a child lives there is the caller's
  /// question.
  std::string path;
};

/// The checks every request passes before it runs, in this order: a known
/// command, the token (`token` non-empty: required by mutating commands, and
/// by every command with `token_for_reads`), no arguments, a PATH exactly for
/// the commands that take one.
control_check check_control_request(const control_request& req, const std::string& token,
                                    bool token_for_reads);

} // namespace warden
