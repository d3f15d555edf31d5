#include "systemd_notify.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden {

namespace {

using watchdog_atom = caf::atom_constant<caf::atom("wd_wdog")>;

/// One datagram to NOTIFY_SOCKET; sd_notify's result (> 0 sent, 0 no
/// socket, < 0 a negative errno).
int notify(const std::string& state) {
  return ::sd_notify(0, state.c_str());
}

struct watchdog_state {
  caf::actor root;
  path_registry_ptr registry;
  caf::timespan half{0};
  /// Whether the root answered the last request (logs a change only).
  bool answering = true;
  std::shared_ptr<spdlog::logger> log;
};

/// Every half interval: a round trip to the root supervisor, WATCHDOG=1 on
/// its answer. The next beat is armed before the request, so a root that
/// does not answer delays nothing: each beat waits at most half an interval.
caf::behavior watchdog(caf::stateful_actor<watchdog_state>* self) {
  self->send(self, watchdog_atom::value);
  return {
      [self](watchdog_atom) {
        auto& st = self->state;
        self->delayed_send(self, st.half, watchdog_atom::value);
        self->request(st.root, st.half, info_atom::value)
            .then(
                [self](const supervisor_info&) {
                  auto& st = self->state;
                  if (!st.answering && st.log)
                    st.log->info("watchdog: the root supervisor answers again");
                  st.answering = true;
                  notify("WATCHDOG=1\nSTATUS=" + tree_status(*st.registry));
                },
                [self](caf::error& err) {
                  auto& st = self->state;
                  if (st.answering && st.log)
                    st.log->warn("watchdog: the root supervisor did not answer ({}); "
                                 "withholding WATCHDOG=1",
                                 describe(err));
                  st.answering = false;
                });
      },
  };
}

} // namespace

systemd_notifier::systemd_notifier() {
  auto socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  if (enabled_ && ::sd_watchdog_enabled(0, &usec) > 0)
    watchdog_ = std::chrono::microseconds{usec};
}

void systemd_notifier::send(const std::string& state) {
  if (!enabled_)
    return;
  auto rc = notify(state);
  if (rc < 0 && !failed_) {
    failed_ = true; // once: systemd may simply have gone
    if (auto log = spdlog::get("warden"))
      log->warn("sd_notify: cannot send to NOTIFY_SOCKET: {}", std::strerror(-rc));
  }
}

void systemd_notifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
}

void systemd_notifier::reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  auto usec = static_cast<uint64_t>(now.tv_sec) * 1000000u +
              static_cast<uint64_t>(now.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
       "\nSTATUS=reloading the config");
}

void systemd_notifier::stopping(const std::string& status) {
  if (stopping_)
    return;
  stopping_ = true;
  send("STOPPING=1\nSTATUS=" + status);
}

std::string tree_status(const path_registry& registry) {
  const char* root_state = "starting";
  size_t children = 0;
  size_t running = 0;
  size_t restarting = 0;
  size_t starting = 0;
  size_t stopped = 0;
  size_t failed = 0;
  for (auto& diag : registry.subtree("root")) {
    auto state = diag->state();
    if (diag->path() == "root") {
      root_state = to_string(state);
      continue;
    }
    ++children;
    switch (state) {
      case child_state::running:
        ++running;
        break;
      case child_state::starting:
        ++(diag->restarts() > 0 ? restarting : starting);
        break;
      case child_state::backoff:
      case child_state::waiting:
        ++restarting;
        break;
      case child_state::stopping:
      case child_state::stopped:
      case child_state::disabled:
      case child_state::done:
        ++stopped;
        break;
      case child_state::failed:
        ++failed;
        break;
    }
  }
  auto text = std::string{root_state} + ": " + std::to_string(children) + " children, " +
              std::to_string(running) + " running, " + std::to_string(restarting) +
              " restarting";
  if (starting > 0)
    text += ", " + std::to_string(starting) + " starting";
  if (stopped > 0)
    text += ", " + std::to_string(stopped) + " stopped";
  if (failed > 0)
    text += ", " + std::to_string(failed) + " failed";
  return text;
}

caf::actor spawn_watchdog(caf::actor_system& sys, const caf::actor& root,
                          path_registry_ptr registry,
                          std::chrono::microseconds interval) {
  if (interval.count() <= 0 || std::getenv("NOTIFY_SOCKET") == nullptr)
    return {};
  // The state comes in as spawn arguments: CAF 0.17 dereferences a null
  // argument tuple for function actors spawned without any.
  return sys.spawn(
      [](caf::stateful_actor<watchdog_state>* self, caf::actor tree,
         path_registry_ptr paths, caf::timespan half) {
        self->state.root = std::move(tree);
        self->state.registry = std::move(paths);
        self->state.half = half;
        self->state.log = spdlog::get("warden");
        return watchdog(self);
      },
      root, std::move(registry), std::chrono::duration_cast<caf::timespan>(interval) / 2);
}

} // namespace warden
