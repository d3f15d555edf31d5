#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "warden/actors/lifecycle.hpp"
#include "warden/control/protocol.hpp"
#include "warden/supervisor/path_registry.hpp"

namespace warden {

/// What the control actor steers.
struct control_context {
  path_registry_ptr registry;
  lifecycle_bus_ptr events;
  /// The runtime's reloader (`reload_atom`, `enable_atom`), looked up in
  /// CAF's registry under this name when needed (the control actor starts
  /// before the tree, so that it sees the first Control.Request).
  caf::atom_value reloader_name = caf::atom("wd_config");
  /// Required by mutating commands when non-empty. Secret: never logged.
  std::string token;
  /// Require the token for every command (warden listens off loopback).
  bool token_for_reads = false;
  /// For status answers and `Control.Response.<program>.<node>`.
  std::string program = "warden";
  std::string node = "localhost";
  int64_t started_ms = 0;
};

/// Spawns the control actor. It answers `control_request` with
/// `control_reply` (see README, "The control plane"), streams lifecycle
/// events as `control_event` to `tail` subscribers until they go away, and
/// takes `Control.Request.<node>` from the bus (JSON), answering on
/// `Control.Response.<program>.<node>` and to the request's `reply_to`.
/// Bad requests get an error reply naming the problem; nothing changes.
caf::actor spawn_control(caf::actor_system& sys, control_context ctx);

/// Publishes `control` with CAF's middleman on `listen:port` (TLS through
/// libcaf_openssl when `tls_cert` and `tls_key` are set; the system must
/// have been configured with `add_control_types(cfg, true, true)`). Returns
/// the port, or an error naming why.
caf::expected<uint16_t> publish_control(caf::actor_system& sys, const caf::actor& control,
                                        const std::string& listen, uint16_t port,
                                        const std::string& tls_cert = {},
                                        const std::string& tls_key = {});

/// The tree under `registry` as JSON: {"path", "name", "type", "state",
/// "restarts", "children": [...]} from "root" down, children in path order.
nlohmann::json tree_json(const path_registry& registry);

/// `inspect --json` of one child (see SPEC.md section 5), without the
/// supervisor part.
nlohmann::json inspect_json(const diagnostics_snapshot& snap);

/// Whether `a` and `b` are equal, in time independent of where they differ.
bool constant_time_equal(const std::string& a, const std::string& b);

} // namespace warden
