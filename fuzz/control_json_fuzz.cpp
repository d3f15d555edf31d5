// libFuzzer target: a `Control.Request.<node>` body as it arrives over
// RabbitMQ, through `parse_control_json` and then the checks the control
// actor makes before it runs a command (`check_control_request`).
//
// Input: the message body (meant to be JSON).
//
// Invariants (a violation traps):
// - parsing returns (no exception escapes); a refusal names its reason, and
//   the error answer the actor would publish serializes as JSON;
// - an accepted body is a JSON object with a string `command`; written back
//   as JSON it parses to the same request;
// - the checks hold (control_checks.hpp).

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "control_checks.hpp"
#include "fuzz_support.hpp"
#include "warden/control/protocol.hpp"

namespace {

using namespace warden;

bool same(const control_request& x, const control_request& y) {
  return x.command == y.command && x.target == y.target && x.args == y.args &&
         x.token == y.token && x.id == y.id;
}

// The request as JSON, every field present.
std::string to_json(const control_request& req) {
  return nlohmann::json{{"id", req.id},
                        {"command", req.command},
                        {"target", req.target},
                        {"args", req.args},
                        {"token", req.token}}
      .dump();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body{reinterpret_cast<const char*>(data), size};
  control_request req;
  std::string why;
  if (!parse_control_json(body, req, why)) {
    fuzz::check(!why.empty(), "a malformed request without a reason");
    // The actor answers with the id, when the body has a string one.
    auto j = nlohmann::json::parse(body, nullptr, false);
    std::string id;
    if (j.is_object() && j.contains("id") && j["id"].is_string())
      id = j["id"].get<std::string>();
    fuzz::reply_body(id, "malformed request: " + why);
    return 0;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  fuzz::check(j.is_object() && j.contains("command") && j["command"].is_string(),
              "accepted a body that is not an object with a string command", body);
  std::string text;
  try {
    text = to_json(req);
  } catch (const nlohmann::json::exception& e) {
    fuzz::fail("an accepted request does not serialize as JSON", e.what());
  }
  control_request again;
  std::string why_again;
  fuzz::check(parse_control_json(text, again, why_again),
              "a request written back as JSON is refused", why_again);
  fuzz::check(same(req, again), "a request written back as JSON reads differently", text);
  fuzz::check_request_rules(req, true);
  return 0;
}
