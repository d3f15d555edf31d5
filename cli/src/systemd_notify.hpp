#pragma once

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "warden/supervisor/path_registry.hpp"

namespace warden {

/// systemd's notify protocol (sd_notify(3)) for `warden run` in a unit of
/// `Type=notify`:
///
///   start ──▶ READY=1 + STATUS=  (the tree is up)
///   every half watchdog interval: WATCHDOG=1 + STATUS=, only while the root
///     supervisor answers (see `spawn_watchdog`)
///   SIGHUP ──▶ RELOADING=1 ... READY=1 + STATUS=  (the reload was handled)
///   SIGINT/SIGTERM or the root gave up ──▶ STOPPING=1 + STATUS=
///
/// Without NOTIFY_SOCKET in the environment every call is a no-op. The
/// socket and the watchdog settings (WATCHDOG_USEC, WATCHDOG_PID) are read
/// once, at construction; the environment is left as it is (the `process`
/// service does not pass these variables on to its children).
class systemd_notifier {
public:
  systemd_notifier();

  /// Whether systemd listens (NOTIFY_SOCKET is set).
  bool enabled() const noexcept {
    return enabled_;
  }

  /// The watchdog interval systemd expects keep-alives within; zero when it
  /// expects none (no WATCHDOG_USEC, or WATCHDOG_PID names another process).
  std::chrono::microseconds watchdog_interval() const noexcept {
    return watchdog_;
  }

  /// READY=1 with a status line: the tree is up, or a reload was handled.
  void ready(const std::string& status);

  /// RELOADING=1 (with MONOTONIC_USEC, as systemd 253 and later want it).
  void reloading();

  /// STOPPING=1 with a status line; once only (later calls do nothing).
  void stopping(const std::string& status);

private:
  void send(const std::string& state);

  bool enabled_ = false;
  bool stopping_ = false;
  bool failed_ = false;
  std::chrono::microseconds watchdog_{0};
};

/// The one-line summary for STATUS=, from the tree's diagnostics: the root's
/// state, then its descendants by state, e.g. `running: 3 children, 3
/// running, 0 restarting` (restarting: in backoff, or starting again after
/// an exit), then `, 1 starting` (a first start), `, 1 stopped`, `, 1
/// failed` when there are any.
std::string tree_status(const path_registry& registry);

/// Spawns the actor that feeds systemd's watchdog: every half `interval` it
/// asks `root` for its `info_atom`, with half an interval to answer, and
/// sends WATCHDOG=1 and a fresh STATUS= only when the answer arrives. A
/// supervision loop that stopped handling messages thus starves the
/// watchdog, and systemd restarts warden. Returns an invalid handle when
/// `interval` is zero or NOTIFY_SOCKET is not set. The actor re-arms its own
/// timer: stop it with an exit message before the actor system goes.
caf::actor spawn_watchdog(caf::actor_system& sys, const caf::actor& root,
                          path_registry_ptr registry, std::chrono::microseconds interval);

} // namespace warden
