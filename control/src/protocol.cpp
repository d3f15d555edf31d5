#include "warden/control/protocol.hpp"

#include <algorithm>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <nlohmann/json.hpp>

#include "warden/control/control.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden {

namespace {

bool needs_target(const std::string& command) {
  return command == "inspect" || command == "restart" || command == "stop" ||
         command == "start" || command == "enable" || command == "disable";
}

} // namespace

void add_control_types(caf::actor_system_config& cfg, bool network, bool tls) {
  cfg.add_message_type<control_request>("warden::control_request");
  cfg.add_message_type<control_reply>("warden::control_reply");
  cfg.add_message_type<control_event>("warden::control_event");
  cfg.add_message_type<supervisor_info>("warden::supervisor_info");
  if (network)
    cfg.load<caf::io::middleman>();
  if (tls)
    cfg.load<caf::openssl::manager>();
}

bool is_mutating(const std::string& command) {
  return command == "restart" || command == "stop" || command == "start" ||
         command == "enable" || command == "disable" || command == "reload";
}

const std::vector<std::string>& control_commands() {
  static const std::vector<std::string> commands = {
      "status", "tree",   "inspect", "restart", "stop",
      "start",  "enable", "disable", "reload",  "tail"};
  return commands;
}

bool parse_control_json(const std::string& body, control_request& out, std::string& why) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    why = "the body is not JSON";
    return false;
  }
  if (!j.is_object()) {
    why = "the body must be a JSON object";
    return false;
  }
  static const std::vector<std::string> keys = {"id", "command", "target", "args",
                                                "token"};
  for (auto& [key, value] : j.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      why = "unknown field '" + key + "'";
      return false;
    }
  auto text = [&](const char* key, std::string& field, bool required) {
    if (!j.contains(key)) {
      if (required)
        why = std::string{"missing field '"} + key + "'";
      return !required;
    }
    if (!j[key].is_string()) {
      why = std::string{"field '"} + key + "' must be a string";
      return false;
    }
    field = j[key].get<std::string>();
    return true;
  };
  if (!text("id", out.id, false) || !text("command", out.command, true) ||
      !text("target", out.target, false) || !text("token", out.token, false))
    return false;
  if (j.contains("args")) {
    if (!j["args"].is_array()) {
      why = "field 'args' must be an array of strings";
      return false;
    }
    for (auto& x : j["args"]) {
      if (!x.is_string()) {
        why = "field 'args' must be an array of strings";
        return false;
      }
      out.args.push_back(x.get<std::string>());
    }
  }
  return true;
}

control_check check_control_request(const control_request& req, const std::string& token,
                                    bool token_for_reads) {
  control_check result;
  auto& commands = control_commands();
  if (std::find(commands.begin(), commands.end(), req.command) == commands.end()) {
    std::string known;
    for (auto& c : commands)
      known += (known.empty() ? "" : ", ") + c;
    result.error = "unknown command '" + req.command + "' (known: " + known + ")";
    return result;
  }
  if (!token.empty() && (is_mutating(req.command) || token_for_reads) &&
      !constant_time_equal(req.token, token)) {
    result.error = "refused: '" + req.command + "' needs the control token";
    result.refused = true;
    return result;
  }
  if (!req.args.empty()) {
    result.error = "'" + req.command + "' takes no arguments";
    return result;
  }
  if (needs_target(req.command)) {
    if (req.target.empty()) {
      result.error = "'" + req.command + "' needs a PATH, e.g. root/watcher";
      return result;
    }
    auto& path = result.path;
    path = req.target;
    while (path.size() > 1 && path.back() == '/')
      path.pop_back();
    if (path != "root" && path.rfind("root/", 0) != 0)
      path = "root/" + path;
  } else if (!req.target.empty()) {
    result.error = "'" + req.command + "' takes no PATH";
  }
  return result;
}

} // namespace warden
