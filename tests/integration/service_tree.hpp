// An in-process tree for testing built-in services on real files: the bus
// (registered as `bus_name`), a root supervisor with a `collector` that
// records what it receives, the services under test, and optionally the
// RabbitMQ gateway. Waits take deadlines; nothing sleeps for correctness.

#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "warden/actors/atoms.hpp"
#include "warden/actors/bus_message.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/messaging/bus.hpp"
#include "warden/messaging/gateway.hpp"
#include "warden/messaging/topic.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden::test {

using namespace std::chrono_literals;

/// What the collector received, readable from the test thread.
struct inbox {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<bus_message> messages;

  void add(const bus_message& msg) {
    std::lock_guard<std::mutex> guard{mtx};
    messages.push_back(msg);
    cv.notify_all();
  }

  /// Messages whose topic matches `pattern`.
  std::vector<bus_message> on(const std::string& pattern) {
    std::lock_guard<std::mutex> guard{mtx};
    std::vector<bus_message> result;
    for (auto& x : messages)
      if (topic_matches(pattern, x.topic))
        result.push_back(x);
    return result;
  }

  /// Waits until `n` messages matching `pattern` arrived.
  bool wait_for(const std::string& pattern, size_t n,
                std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] {
      size_t count = 0;
      for (auto& x : messages)
        if (topic_matches(pattern, x.topic))
          ++count;
      return count >= n;
    });
  }
};

using inbox_ptr = std::shared_ptr<inbox>;

/// Subscribes to `params.subscribe` (a list of patterns) and records
/// everything it receives.
class collector : public service {
public:
  collector(caf::actor_config& cfg, service_init init, inbox_ptr box)
    : service(cfg, std::move(init))
    , box_(std::move(box)) {}

  void on_start() override {
    for (auto& pattern : params().value("subscribe", std::vector<std::string>{}))
      subscribe(pattern);
  }

  void on_message(const bus_message& msg) override {
    box_->add(msg);
  }

  caf::behavior make_service_behavior() override {
    return {[](caf::get_atom) {}};
  }

private:
  inbox_ptr box_;
};

/// A temporary directory, removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "warden-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const {
    return path_;
  }

private:
  std::filesystem::path path_;
};

/// A running tree: bus, root supervisor, `root/collector` first, then
/// `children` (and `root/rabbitmq` in front when `gateway` is given).
class service_tree {
public:
  service_tree(std::vector<std::string> subscribe, std::vector<child_spec> children,
               const gateway_settings* gateway = nullptr)
    : sys_cfg_(options())
    , sys_(sys_cfg_) {
    ctx_.registry = std::make_shared<path_registry>();
    ctx_.events = std::make_shared<lifecycle_bus>();
    bus_options bus_opts;
    bus_opts.gateway_expected = gateway != nullptr;
    if (gateway != nullptr)
      bus_opts.out_patterns = gateway->publish_patterns;
    bus_ = spawn_bus(sys_, ctx_.registry, ctx_.events, bus_opts);
    sys_.registry().put(bus_name, caf::actor_cast<caf::strong_actor_ptr>(bus_));
    supervisor_spec spec;
    spec.flags.intensity = 10;
    spec.flags.period = 10s;
    if (gateway != nullptr) {
      gateway_context gw;
      gw.registry = ctx_.registry;
      gw.events = ctx_.events;
      gw.program = "test";
      gw.node = "n1";
      gw.started_ms = wall_clock_ms();
      spec.children.push_back(gateway_child("rabbitmq", *gateway, gw));
    }
    auto c = worker("collector", make_factory<collector>(box));
    c.params = nlohmann::json{{"subscribe", std::move(subscribe)}};
    spec.children.push_back(std::move(c));
    for (auto& x : children)
      spec.children.push_back(std::move(x));
    auto root = spawn_supervisor(sys_, "root", spec, ctx_);
    if (!root)
      throw std::runtime_error("cannot start the tree: " + describe(root.error()));
    root_ = *root;
    // Running means ready, and services subscribe before that: the bus has
    // their subscriptions before anything the test sends it afterwards.
    // (Temporary children may be meant to fail: not waited for.)
    for (auto& x : spec.children)
      if (x.enabled && x.restart != restart_type::temporary &&
          !wait_state(x.name, child_state::running))
        throw std::runtime_error("child " + x.name + " did not start");
  }

  ~service_tree() {
    caf::scoped_actor self{sys_};
    for (auto& x : {root_, bus_}) {
      self->monitor(x);
      self->send_exit(x, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
    }
    sys_.registry().erase(bus_name);
  }

  diagnostics_ptr diag(const std::string& name) {
    return ctx_.registry->find("root/" + name);
  }

  diagnostics_snapshot snapshot(const std::string& name) {
    auto d = diag(name);
    if (!d)
      throw std::runtime_error("no child " + name);
    return d->snapshot(std::chrono::steady_clock::now());
  }

  std::string value(const std::string& name, const std::string& key) {
    auto snap = snapshot(name);
    auto i = snap.values.find(key);
    return i == snap.values.end() ? std::string{} : i->second;
  }

  bool has_flag(const std::string& name, const std::string& flag) {
    auto d = diag(name);
    return d && d->has_flag(flag);
  }

  /// Waits until `pred()` holds (checking every 5 ms).
  template <class Pred>
  static bool wait_until(Pred pred, std::chrono::milliseconds timeout = 10s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= until)
        return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  bool wait_state(const std::string& name, child_state state,
                  std::chrono::milliseconds timeout = 10s) {
    return wait_until(
        [&] {
          auto d = diag(name);
          return d && d->state() == state &&
                 (state != child_state::running || d->current());
        },
        timeout);
  }

  bool wait_flag(const std::string& name, const std::string& flag, bool set,
                 std::chrono::milliseconds timeout = 10s) {
    return wait_until([&] { return has_flag(name, flag) == set; }, timeout);
  }

  /// Sends the child a scheduled tick and waits until it handled it.
  bool tick(const std::string& name, const std::string& tick_name) {
    auto target = ctx_.registry->whereis("root/" + name);
    if (!target)
      return false;
    warden::tick x;
    x.name = tick_name;
    x.due_us = wall_clock_ms() * 1000;
    bool ok = false;
    caf::scoped_actor self{sys_};
    self->request(target, 10s, x).receive([&](bool) { ok = true; }, [](caf::error&) {});
    return ok;
  }

  /// Hands `msg` to the bus as the gateway does with a message from the
  /// broker; returns once every local subscriber has handled it.
  bool deliver(const std::string& topic, const nlohmann::json& body) {
    bus_message msg;
    msg.topic = topic;
    msg.body = body.dump();
    msg.message_id = next_message_id();
    msg.timestamp_ms = wall_clock_ms();
    msg.source = "amqp";
    return deliver(std::move(msg));
  }

  bool deliver(bus_message msg) {
    bool ok = false;
    caf::scoped_actor self{sys_};
    self->request(bus_, 10s, deliver_atom::value, std::move(msg))
        .receive([&](bool) { ok = true; }, [](caf::error&) {});
    return ok;
  }

  /// Calls the root supervisor (`stop_child_atom`, `restart_child_atom`).
  template <class Atom>
  bool call_root(Atom atom, const std::string& child) {
    bool ok = false;
    caf::scoped_actor self{sys_};
    self->request(root_, 10s, atom, child)
        .receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
    return ok;
  }

  caf::actor_system& sys() {
    return sys_;
  }

  inbox_ptr box = std::make_shared<inbox>();

private:
  static runtime_options options() {
    runtime_options rt;
    rt.threads = 2;
    return rt;
  }

  system_config sys_cfg_;
  caf::actor_system sys_;
  supervisor_context ctx_;
  caf::actor bus_;
  caf::actor root_;
};

/// A child of `type` T with `params`.
template <class T>
child_spec service_child(std::string name, std::string type, nlohmann::json params) {
  auto c = worker(std::move(name), make_factory<T>());
  c.type = std::move(type);
  c.params = std::move(params);
  return c;
}

} // namespace warden::test
