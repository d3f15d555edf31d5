// warden -- the executable. Until the config file lands, `warden run` runs a
// built-in demo tree; `warden version` prints the version.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using signal_atom = caf::atom_constant<caf::atom("wd_signal")>;
using beat_atom = caf::atom_constant<caf::atom("wd_beat")>;

constexpr int exit_ok = 0;
constexpr int exit_usage = 2;
constexpr int exit_gave_up = 3;

/// A service that counts heartbeats and shows them in its diagnostics.
class heartbeat : public warden::service {
public:
  heartbeat(caf::actor_config& cfg, warden::service_init init, std::chrono::milliseconds every)
    : service(cfg, std::move(init)), every_(every) {
    // nop
  }

  void on_start() override {
    delayed_send(this, every_, beat_atom::value);
  }

  caf::behavior make_service_behavior() override {
    return {
      [this](beat_atom) {
        ++beats_;
        set_value("beats", std::to_string(beats_));
        spdlog::get("services")->info("{}: beat {}", path(), beats_);
        delayed_send(this, every_, beat_atom::value);
      },
    };
  }

private:
  std::chrono::milliseconds every_;
  uint64_t beats_ = 0;
};

warden::supervisor_spec demo_tree() {
  using namespace std::chrono_literals;
  warden::supervisor_spec workers;
  workers.flags.strat = warden::strategy::rest_for_one;
  workers.children.push_back(
    warden::worker("fast", warden::make_factory<heartbeat>(std::chrono::milliseconds{2000})));
  workers.children.push_back(
    warden::worker("slow", warden::make_factory<heartbeat>(std::chrono::milliseconds{5000})));
  warden::supervisor_spec root;
  root.flags.intensity = 5;
  root.flags.period = 10s;
  root.flags.backoff = {100ms, 30000ms, 0.1, 10000ms};
  root.children.push_back(
    warden::worker("clock", warden::make_factory<heartbeat>(std::chrono::milliseconds{1000})));
  auto nested = warden::nested("workers", std::move(workers));
  nested.depends_on = {"clock"};
  root.children.push_back(std::move(nested));
  return root;
}

/// Runs a tree until it stops or a signal stops it; returns the exit code.
int run_tree(warden::supervisor_spec spec) {
  // Signals are taken by one thread with sigwait; block them everywhere
  // else before CAF starts its threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  // An inherited SIG_IGN (a background job) would discard them before
  // sigwait could see them.
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    std::signal(sig, SIG_DFL);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  warden::system_config cfg;
  caf::actor_system sys{cfg};
  warden::supervisor_context ctx;
  auto root = warden::spawn_supervisor(sys, "root", std::move(spec), ctx);
  if (!root) {
    spdlog::error("cannot start the tree: {}", warden::describe(root.error()));
    return 1;
  }
  caf::scoped_actor self{sys};
  self->monitor(*root);
  caf::actor main_handle = caf::actor_cast<caf::actor>(self);
  std::thread waiter{[signals, main_handle] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0)
        continue;
      caf::anon_send(main_handle, signal_atom::value, sig);
      if (sig == 0)
        return;
    }
  }};
  int code = exit_ok;
  int interrupts = 0;
  bool done = false;
  while (!done) {
    self->receive(
      [&](caf::down_msg& msg) {
        done = true;
        if (msg.reason && msg.reason.category() == warden::error_category
            && msg.reason.code() == static_cast<uint8_t>(warden::error::intensity_exceeded)) {
          spdlog::critical("root supervisor gave up: {}", warden::describe(msg.reason));
          code = exit_gave_up;
        } else if (msg.reason && msg.reason != caf::exit_reason::user_shutdown) {
          spdlog::error("root supervisor stopped: {}", warden::describe(msg.reason));
          code = exit_gave_up;
        }
      },
      [&](signal_atom, int sig) {
        if (sig == SIGHUP) {
          spdlog::info("SIGHUP: reload is not available for the built-in tree");
          return;
        }
        if (++interrupts == 1) {
          spdlog::info("{}: stopping the tree (again to force)", strsignal(sig));
          self->send_exit(*root, caf::exit_reason::user_shutdown);
        } else {
          spdlog::warn("{}: forcing stop", strsignal(sig));
          self->send_exit(*root, caf::exit_reason::kill);
        }
      });
  }
  // Wake the signal thread so it can end.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.detach();
  return code;
}

} // namespace

int main(int argc, char** argv) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::stdout_color_mt("services");
  spdlog::flush_on(spdlog::level::trace);
  CLI::App app{"warden: a supervision tree for C++ services on CAF"};
  app.require_subcommand(1);
  auto run = app.add_subcommand("run", "run the tree in the foreground");
  auto version = app.add_subcommand("version", "print the version");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : exit_usage;
  }
  if (*version) {
    std::cout << "warden " << WARDEN_VERSION << "\n";
    return exit_ok;
  }
  if (*run)
    return run_tree(demo_tree());
  return exit_usage;
}
