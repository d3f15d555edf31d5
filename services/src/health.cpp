#include "warden/services/health.hpp"

#include <nlohmann/json.hpp>

#include "warden/actors/identity.hpp"
#include "warden/messaging/gateway.hpp"

namespace warden {

const char* health::name() const {
  return "warden.health";
}

void health::on_start() {
  registry_ = registry_of(system());
  if (!registry_) {
    fail("no supervision tree in this actor system to report on");
    return;
  }
  set_value("answered", "0");
  subscribe("Health.Request");
}

void health::on_message(const bus_message& msg) {
  if (msg.topic != "Health.Request")
    return;
  std::string id;
  auto request = nlohmann::json::parse(msg.body, nullptr, false);
  if (request.is_object() && request.contains("id") && request["id"].is_string())
    id = request["id"].get<std::string>();
  auto me = current_identity();
  gateway_context ctx;
  ctx.program = me.program;
  ctx.node = me.node;
  // The tree's uptime is the root supervisor's.
  if (auto root = registry_->find("root"))
    ctx.started_ms =
        wall_clock_ms() - root->snapshot(std::chrono::steady_clock::now()).uptime_ms;
  bus_message answer;
  answer.topic = "Health.Response." + me.program + "." + me.node;
  answer.body = health_body(*registry_, ctx, id);
  publish(std::move(answer));
  set_value("answered", std::to_string(++answered_));
}

caf::behavior health::make_service_behavior() {
  // Requests arrive through `on_message`; a behavior without any handler
  // would end the actor, so it answers `get_atom` with the count.
  return {[this](caf::get_atom) { return answered_; }};
}

} // namespace warden
