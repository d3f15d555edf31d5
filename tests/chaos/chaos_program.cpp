// warden's command line with two service types for the chaos tests:
//
// - `filler` publishes `size`-byte messages numbered from 0 to `topic`, one
//   at a time (each waits for the bus's answer), until one is refused (a
//   full outbox) or `max` were taken; then logs `filler: accepted N`.
// - `crasher` fails as soon as it starts: a crash loop.

#include <string>

#include <spdlog/spdlog.h>

#include "warden/actors/bus_message.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/cli/run_main.hpp"

namespace {

class filler : public warden::service {
public:
  using service::service;

  void on_start() override {
    topic_ = params().value("topic", std::string{"Chaos.Fill"});
    pad_ = std::string(static_cast<size_t>(params().value("size", 1000)), 'x');
    max_ = params().value("max", 1000000);
    bus_ = caf::actor_cast<caf::actor>(system().registry().get(warden::bus_name));
    next();
  }

  caf::behavior make_service_behavior() override {
    return {[](caf::get_atom) { return std::string{"filling"}; }};
  }

private:
  void next() {
    if (accepted_ >= max_) {
      done("max reached");
      return;
    }
    warden::bus_message msg;
    msg.topic = topic_;
    msg.body = nlohmann::json{{"n", accepted_}, {"pad", pad_}}.dump();
    msg.message_id = warden::next_message_id();
    msg.timestamp_ms = warden::wall_clock_ms();
    msg.source = path();
    request(bus_, caf::infinite, warden::publish_atom::value, std::move(msg))
        .then(
            [this](caf::ok_atom) {
              ++accepted_;
              next();
            },
            [this](caf::error& err) { done(warden::describe(err)); });
  }

  void done(const std::string& why) {
    set_value("accepted", std::to_string(accepted_));
    spdlog::get("services")->info("filler: accepted {} ({})", accepted_, why);
  }

  std::string topic_;
  std::string pad_;
  int max_ = 0;
  int accepted_ = 0;
  caf::actor bus_;
};

class crasher : public warden::service {
public:
  using service::service;

  void on_start() override {
    fail("crash loop");
  }

  caf::behavior make_service_behavior() override {
    return {[](caf::get_atom) {}};
  }
};

} // namespace

int main(int argc, char** argv) {
  warden::service_types types;
  types.add<filler>("filler");
  types.add<crasher>("crasher");
  return warden::run_main(argc, argv, std::move(types));
}
