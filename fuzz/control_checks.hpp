#pragma once

// The invariants of `check_control_request`, shared by the two control fuzz
// targets (JSON over RabbitMQ, typed messages over CAF's middleman): whatever
// the request, the checks either refuse it with an answer that can be sent
// as JSON, or let through only a known command, with the token where one is
// required, no arguments, and a full path exactly for commands that take one.

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "warden/control/protocol.hpp"

namespace warden::fuzz {

inline bool takes_path(const std::string& command) {
  return command == "inspect" || command == "restart" || command == "stop" ||
         command == "start" || command == "enable" || command == "disable";
}

/// The answer the control actor publishes for `reply` over RabbitMQ; traps if
/// it cannot be serialized (nlohmann throws on invalid UTF-8).
inline std::string reply_body(const std::string& id, const std::string& error) {
  try {
    return nlohmann::json{{"id", id}, {"ok", false}, {"error", error}}.dump();
  } catch (const nlohmann::json::exception& e) {
    fail("a control error reply is not valid JSON text", e.what());
  }
}

/// Runs `check_control_request` on `req` with no token, with a token, and
/// with a token required for reads too, and checks what it decides.
inline void check_request_rules(const control_request& req, bool text_is_json) {
  static const std::string token = "s3cret-token";
  auto& commands = control_commands();
  bool known = std::find(commands.begin(), commands.end(), req.command) != commands.end();
  for (int mode = 0; mode < 3; ++mode) {
    const std::string tok = mode == 0 ? std::string{} : token;
    bool reads = mode == 2;
    auto result = check_control_request(req, tok, reads);
    auto again = check_control_request(req, tok, reads);
    check(result.error == again.error && result.path == again.path &&
              result.refused == again.refused,
          "check_control_request is not deterministic");
    if (!result.error.empty()) {
      check(!result.refused || (!tok.empty() && req.token != tok),
            "refused a request that has the token");
      check(result.path.empty() || !result.refused, "a refusal with a path");
      // Over RabbitMQ the error goes back as JSON; typed requests answer with
      // a control_reply (no JSON), so only text that came from JSON must fit.
      if (text_is_json)
        reply_body(req.id, result.error);
      continue;
    }
    check(known, "an unknown command passed the checks", req.command);
    check(req.args.empty(), "a request with arguments passed the checks");
    if (!tok.empty() && (is_mutating(req.command) || reads))
      check(req.token == tok, "a request without the token passed the checks");
    if (takes_path(req.command)) {
      check(!req.target.empty(), "a command without its PATH passed the checks");
      check(result.path == "root" || result.path.rfind("root/", 0) == 0,
            "a path outside root", result.path);
    } else {
      check(req.target.empty() && result.path.empty(),
            "a PATH for a command that takes none passed the checks");
    }
  }
}

} // namespace warden::fuzz
