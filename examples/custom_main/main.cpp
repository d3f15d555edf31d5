// A program with its own service types and warden's whole command line:
// `run`, `check`, `config`, `version` work as for `warden` itself, and the
// config file can name `greeter`, `flaky`, `scanner` and `publisher` as
// child types.
//
//   build/examples/custom_main/warden_example_custom_main run -c
//   examples/custom_main/demo.cfg
#include <string>

#include <spdlog/spdlog.h>

#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/cli/run_main.hpp"

using greet_atom = caf::atom_constant<caf::atom("greet")>;

// Step 1: a service that says hello with the name from its params, and
// takes a new name live when the config file changes.
class greeter : public warden::service {
public:
  using service::service;

  void on_start() override {
    name_ = params().value("name", "world");
    set_value("name", name_);
    spdlog::get("services")->info("{}: hello, {}", path(), name_);
  }

  bool on_params(const nlohmann::json& params) override {
    name_ = params.value("name", "world");
    set_value("name", name_);
    spdlog::get("services")->info("{}: hello again, {}", path(), name_);
    return true; // taken live: no restart
  }

  caf::behavior make_service_behavior() override {
    return {[this](greet_atom) { return "hello, " + name_; }};
  }

private:
  std::string name_;
};

// Step 2: a service that crashes `params.after_ms` after it starts, to show
// restarts, backoff and, past the intensity, the exit code 3.
class flaky : public warden::service {
public:
  using service::service;

  void on_start() override {
    delayed_send(this, std::chrono::milliseconds{params().value("after_ms", 100)},
                 greet_atom::value);
  }

  caf::behavior make_service_behavior() override {
    return {[this](greet_atom) { fail("flaky by design"); }};
  }
};

// Step 3: a service that does its work on scheduled ticks (`schedule` in
// the config): each tick is a message handled in the service's own turn.
class scanner : public warden::service {
public:
  using service::service;

  void on_tick(const warden::tick& t) override {
    spdlog::get("services")
        ->info("{}: tick {} ({}), {} us late", path(), t.name, t.kind, t.lateness_us);
  }

  caf::behavior make_service_behavior() override {
    return {[](greet_atom) { return std::string{"scanning"}; }};
  }
};

// Step 4: a service on the topic bus. It publishes `count` messages to
// `topic` when it starts and one more on every `publish` tick, and logs what
// arrives on the patterns in `subscribe`. With a `rabbitmq` section in the
// config, the gateway carries the topics to and from the broker.
class publisher : public warden::service {
public:
  using service::service;

  void on_start() override {
    for (auto& pattern : params().value("subscribe", std::vector<std::string>{}))
      subscribe(pattern);
    topic_ = params().value("topic", std::string{"Example.Published"});
    auto count = params().value("count", 0);
    for (int i = 0; i < count; ++i)
      publish(topic_, {{"n", sent_++}, {"from", path()}});
    // The bus answers in order, and so does the gateway's outbox: once this
    // last one is taken, all before it are too.
    if (count > 0) {
      auto bus = caf::actor_cast<caf::actor>(system().registry().get(warden::bus_name));
      warden::bus_message last;
      last.topic = topic_;
      last.body = nlohmann::json{{"n", sent_++}, {"from", path()}}.dump();
      last.message_id = warden::next_message_id();
      last.timestamp_ms = warden::wall_clock_ms();
      last.source = path();
      request(bus, caf::infinite, warden::publish_atom::value, std::move(last))
          .then(
              [this](caf::ok_atom) {
                spdlog::get("services")->info("{}: published {}", path(), sent_);
              },
              [this](caf::error& err) {
                spdlog::get("services")
                    ->error("{}: publish failed: {}", path(), warden::describe(err));
              });
    }
  }

  void on_tick(const warden::tick&) override {
    publish(topic_, {{"n", sent_++}, {"from", path()}});
  }

  void on_message(const warden::bus_message& msg) override {
    spdlog::get("services")->info("{}: received {} {}", path(), msg.topic, msg.body);
  }

  caf::behavior make_service_behavior() override {
    return {[](greet_atom) { return std::string{"publishing"}; }};
  }

private:
  std::string topic_;
  int sent_ = 0;
};

// Step 5: register the types, hand over to warden.
int main(int argc, char** argv) {
  warden::service_types types;
  types.add<greeter>("greeter");
  types.add<flaky>("flaky");
  types.add<scanner>("scanner");
  types.add<publisher>("publisher");
  return warden::run_main(argc, argv, std::move(types));
}
