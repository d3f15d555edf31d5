#include "warden/control/protocol.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "warden/supervisor/supervisor.hpp"

namespace warden {

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

} // namespace warden
