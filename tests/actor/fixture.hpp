#pragma once

// Deterministic actor tests: CAF's test coordinator inside GoogleTest.
// Nothing runs until `run()`; time moves only with `advance()`.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden::test {

using namespace std::chrono_literals;

using crash_atom = caf::atom_constant<caf::atom("t_crash")>;
using throw_atom = caf::atom_constant<caf::atom("t_throw")>;
using finish_atom = caf::atom_constant<caf::atom("t_finish")>;
using go_ready_atom = caf::atom_constant<caf::atom("t_ready")>;
using ping_atom = caf::atom_constant<caf::atom("t_ping")>;
using pong_atom = caf::atom_constant<caf::atom("t_pong")>;

/// A service driven by the test: crashes, throws, exits normally or
/// reports readiness on command; counts pings in its diagnostics.
class probe : public service {
public:
  struct options {
    bool delay_ready = false; // wait for go_ready_atom
    bool ignore_stop = false; // ignore exit messages (a straggler)
    bool fail_on_start = false;
  };

  probe(caf::actor_config& cfg, service_init init, options opts)
    : service(cfg, std::move(init))
    , opts_(opts) {
    if (opts_.ignore_stop)
      set_exit_handler([](caf::exit_msg&) {});
  }

  void on_start() override {
    if (opts_.fail_on_start)
      throw std::runtime_error("cannot open port");
    if (opts_.delay_ready)
      delay_ready();
  }

  /// Takes new params live when they say `"live": true`.
  bool on_params(const nlohmann::json& params) override {
    return params.value("live", false);
  }

  caf::behavior make_service_behavior() override {
    return {
        [this](crash_atom, const std::string& why) { fail(why); },
        [](throw_atom, const std::string& why) { throw std::runtime_error(why); },
        [this](finish_atom) { quit(); },
        [this](go_ready_atom) { ready(); },
        [this](ping_atom) {
          set_flag("pinged");
          set_value("pings", std::to_string(++pings_));
          return pong_atom::value;
        },
    };
  }

private:
  options opts_;
  int pings_ = 0;
};

inline child_spec probe_child(std::string name,
                              restart_type restart = restart_type::permanent,
                              probe::options opts = {}) {
  auto spec = worker(std::move(name), make_factory<probe>(opts), restart);
  spec.type = "probe";
  return spec;
}

class actor_fixture : public ::testing::Test {
public:
  actor_fixture()
    : cfg(testing_options())
    , sys(cfg)
    , sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler()))
    , self(sys)
    , sink(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096)) {
    auto log = std::make_shared<spdlog::logger>("test", sink);
    log->set_pattern("%l %v");
    log->set_level(spdlog::level::trace);
    ctx.log = log;
  }

  ~actor_fixture() override {
    // The tree must be gone before the actor system is.
    if (root)
      self->send_exit(root, caf::exit_reason::kill);
    run();
  }

  static runtime_options testing_options() {
    runtime_options opts;
    opts.testing = true;
    return opts;
  }

  void run() {
    sched.run();
  }

  void advance(caf::timespan d) {
    sched.advance_time(d);
    run();
  }

  caf::actor start(supervisor_spec spec, std::string name = "root") {
    auto sup = spawn_supervisor(sys, std::move(name), std::move(spec), ctx);
    if (!sup) {
      ADD_FAILURE() << describe(sup.error());
      return {};
    }
    root = *sup;
    self->monitor(root);
    run();
    return root;
  }

  caf::actor at(const std::string& path) {
    return ctx.registry->whereis(path);
  }

  diagnostics_snapshot snap(const std::string& path) {
    auto diag = ctx.registry->find(path);
    if (!diag) {
      ADD_FAILURE() << "no child at " << path;
      return {};
    }
    return diag->snapshot(sched.clock().now());
  }

  child_state state(const std::string& path) {
    return snap(path).state;
  }

  uint32_t restarts(const std::string& path) {
    return snap(path).restarts;
  }

  void send_to(const std::string& path, caf::message msg) {
    auto target = at(path);
    ASSERT_TRUE(target) << "no instance at " << path;
    self->send(target, std::move(msg));
    run();
  }

  void crash(const std::string& path, const std::string& why = "boom") {
    send_to(path, caf::make_message(crash_atom::value, why));
  }

  /// Sends a request to the root, runs the system, returns the reply.
  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    caf::expected<T> result{caf::error{}};
    auto reply = self->request(root, caf::infinite, std::forward<Ts>(xs)...);
    run();
    reply.receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The root's exit reason if it has exited (a down message is waiting).
  std::optional<caf::error> root_down() {
    std::optional<caf::error> result;
    self->receive([&](caf::down_msg& msg) { result = msg.reason; },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    return result;
  }

  /// Log lines captured so far ("info supervisor=... event=...").
  std::vector<std::string> lines() {
    auto result = sink->last_formatted();
    for (auto& line : result)
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    return result;
  }

  /// Captured lines that contain every one of `parts`.
  std::vector<std::string> lines_with(std::initializer_list<std::string> parts) {
    std::vector<std::string> result;
    for (auto& line : lines()) {
      bool all = true;
      for (auto& part : parts)
        all = all && line.find(part) != std::string::npos;
      if (all)
        result.push_back(line);
    }
    return result;
  }

  system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink;
  supervisor_context ctx;
  caf::actor root;
};

} // namespace warden::test
