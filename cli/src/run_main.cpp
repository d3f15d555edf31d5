#include "warden/cli/run_main.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <sstream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "runtime.hpp"
#include "warden/cli/heartbeat.hpp"
#include "warden/config/atomic_write.hpp"
#include "warden/config/config_edit.hpp"
#include "warden/config/config_lookup.hpp"
#include "warden/config/dump.hpp"
#include "warden/config/load.hpp"
#include "warden/control/client.hpp"
#include "warden/services/dir_watcher.hpp"
#include "warden/services/file_report.hpp"
#include "warden/services/health.hpp"
#include "warden/services/process.hpp"

namespace warden {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_config = 1;
constexpr int exit_usage = 2;

/// Where the config comes from: a file, standard input or the default.
struct config_source {
  std::string path; // empty for stdin and the embedded default
  std::string name; // for messages
  std::string text;
  std::string error;
};

/// Reads standard input; fails if nothing arrives within 3 s.
bool read_stdin(std::string& out, std::string& error) {
  pollfd pfd{STDIN_FILENO, POLLIN, 0};
  if (::poll(&pfd, 1, 3000) <= 0) {
    error = "-c -: no config arrived on standard input within 3 s";
    return false;
  }
  std::ostringstream buf;
  buf << std::cin.rdbuf();
  out = buf.str();
  if (out.empty()) {
    error = "-c -: standard input was empty";
    return false;
  }
  return true;
}

config_source find_source(const std::string& option) {
  config_source src;
  if (option == "-") {
    src.name = "-";
    read_stdin(src.text, src.error);
    return src;
  }
  auto path = option.empty() ? find_config_file() : std::optional<std::string>{option};
  if (!path) {
    src.name = "<embedded default>";
    src.text = embedded_default_config();
    return src;
  }
  src.path = *path;
  src.name = *path;
  std::ifstream in{*path};
  if (!in) {
    src.error = *path + ": cannot read the config file";
    return src;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  src.text = buf.str();
  return src;
}

load_result load(const config_source& src, const load_options& opts) {
  if (!src.path.empty())
    return load_file(src.path, opts);
  return load_text(src.text, src.name, opts);
}

/// Prints the errors of a failed load, one `FILE:LINE: setting: message` each.
int report(const load_result& result, std::FILE* out) {
  std::fputs(to_string(result.errors).c_str(), out);
  return exit_config;
}

/// A control command against a running warden: where to connect and the
/// token come from the options, else from the config found by the usual
/// lookup (a config that does not load still gives its defaults).
int run_control_client(const std::string& command, const std::string& target,
                       const std::string& config_path, const std::string& connect,
                       const std::string& token, bool json, bool dot, bool tls,
                       const service_types& types) {
  client_options opts;
  opts.json = json;
  opts.dot = dot;
  opts.tls = tls;
  opts.color = ::isatty(STDOUT_FILENO) != 0;
  auto src = find_source(config_path);
  if (src.error.empty()) {
    load_options lo;
    lo.types = &types;
    auto loaded = load(src, lo);
    if (loaded.ok()) {
      auto& control = loaded.config->config.control;
      opts.host = control.listen == "0.0.0.0" || control.listen == "::" ? "127.0.0.1"
                                                                        : control.listen;
      opts.port = control.port;
      opts.token = control.token;
      opts.tls = opts.tls || !control.tls_cert.empty();
      auto resolve = [&](const std::string& p) {
        auto x = std::filesystem::path{p};
        if (x.is_relative())
          x = std::filesystem::path{loaded.config->config.base_dir} / x;
        return x.string();
      };
      if (!control.tls_cert.empty() && !control.tls_key.empty()) {
        opts.tls_ca = resolve(control.tls_cert);
        opts.tls_cert = resolve(control.tls_cert);
        opts.tls_key = resolve(control.tls_key);
      }
    }
  }
  if (!connect.empty()) {
    auto colon = connect.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == connect.size()) {
      std::fprintf(stderr, "--connect: expected HOST:PORT, not '%s'\n", connect.c_str());
      return exit_usage;
    }
    opts.host = connect.substr(0, colon);
    char* end = nullptr;
    auto port = std::strtol(connect.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
      std::fprintf(stderr, "--connect: bad port in '%s'\n", connect.c_str());
      return exit_usage;
    }
    opts.port = static_cast<uint16_t>(port);
  }
  if (!token.empty())
    opts.token = token;
  return run_client(command, target, opts);
}

} // namespace

const char* embedded_default_config() {
  return
#include "warden_default_cfg.inc"
      ;
}

void add_builtin_types(service_types& types) {
  types.add<heartbeat>("heartbeat");
  types.add("process", process_service_type());
  types.add<dir_watcher>("dir_watcher");
  types.add<health>("health");
  types.add<file_report>("file_report");
}

int run_main(int argc, char** argv, service_types types) {
  add_builtin_types(types);
  CLI::App app{"warden: a supervision tree for C++ services on CAF"};
  app.require_subcommand(1);
  std::string config_path;
  std::vector<std::string> overrides;
  auto add_config_option = [&](CLI::App* cmd) {
    cmd->add_option("-c,--config", config_path,
                    "config file ('-': standard input); default: ./warden.cfg, "
                    "./etc/warden.cfg, /etc/warden/warden.cfg, then the embedded default")
        ->type_name("FILE");
  };
  auto run = app.add_subcommand("run", "run the tree in the foreground");
  add_config_option(run);
  run->add_option("--set", overrides, "override a setting: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE");
  run->footer("SIGINT/SIGTERM stop the tree gracefully, children right to left; a second "
              "one forces (SIGKILL to every process child, exit 128 + its number: 130, "
              "143). SIGHUP reloads the config. Under systemd (NOTIFY_SOCKET): "
              "READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1 and a STATUS= line.");
  auto check = app.add_subcommand(
      "check", "validate the config; print every error as FILE:LINE: setting: message");
  add_config_option(check);
  auto config = app.add_subcommand("config", "show or edit the config");
  add_config_option(config);
  config->require_subcommand(1);
  auto dump_cmd =
      config->add_subcommand("dump", "print the effective config (secrets redacted)");
  std::string key, value;
  auto get_cmd = config->add_subcommand("get", "print one setting");
  get_cmd->add_option("KEY", key, "setting path, e.g. supervisor.intensity")
      ->required()
      ->type_name("");
  auto set_cmd = config->add_subcommand(
      "set", "change one setting in the file, keeping its layout; written only if valid");
  set_cmd->add_option("KEY", key, "setting path")->required()->type_name("");
  set_cmd->add_option("VALUE", value, "new value (libconfig syntax or a bare string)")
      ->required()
      ->type_name("");
  // The control client: one subcommand per control command.
  struct client_cmd {
    const char* name;
    const char* help;
    bool takes_path;
  };
  const client_cmd client_cmds[] = {
      {"status", "show the tree's health (the same object as a Health.Response)", false},
      {"tree", "show the supervision tree", false},
      {"inspect", "show one child: state, exits, diagnostics, schedules", true},
      {"restart", "restart a child (a supervisor: its subtree, in order)", true},
      {"stop", "stop a child; it stays stopped until `start`", true},
      {"start", "start a stopped child", true},
      {"enable", "enable a child, persisted in the config file", true},
      {"disable", "disable a child, persisted in the config file", true},
      {"reload", "reload the config file now", false},
      {"tail", "stream lifecycle events until Ctrl-C", false},
  };
  std::string connect, token, target;
  bool json = false;
  bool dot = false;
  bool tls = false;
  std::vector<std::pair<CLI::App*, std::string>> client_apps;
  for (auto& c : client_cmds) {
    auto cmd = app.add_subcommand(c.name, c.help);
    add_config_option(cmd);
    cmd->add_option("--connect", connect,
                    "HOST:PORT of the running warden (default: control.listen:port of "
                    "the config)")
        ->type_name("HOST:PORT");
    cmd->add_option("--token", token, "control token (default: the config's)")
        ->type_name("T");
    cmd->add_flag("--json", json, "print JSON");
    cmd->add_flag("--tls", tls,
                  "connect with TLS (default: when the config has tls_cert)");
    if (std::string{c.name} == "tree")
      cmd->add_flag("--dot", dot, "print Graphviz");
    if (c.takes_path)
      cmd->add_option("PATH", target, "the child's path, e.g. root/watcher")
          ->required()
          ->type_name("");
    client_apps.emplace_back(cmd, c.name);
  }
  auto version = app.add_subcommand("version", "print the version");
  app.footer(
      "Exit codes: 0 clean stop, 1 config error (or an error answer from a running "
      "warden), 2 usage error, 3 the root supervisor gave up, 4 a control client "
      "could not connect or was refused, 5 'status' found the tree degraded or failing, "
      "128 + signal a stop forced by a second SIGINT/SIGTERM (130, 143).\n"
      "'warden COMMAND --help' for a command's "
      "options; man warden for everything.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  if (*version) {
    std::printf("warden %s\n", WARDEN_VERSION);
    return exit_ok;
  }
  for (auto& [cmd, name] : client_apps)
    if (*cmd)
      return run_control_client(name, target, config_path, connect, token, json, dot, tls,
                                types);
  load_options opts;
  opts.types = &types;
  opts.overrides = overrides;
  auto src = find_source(config_path);
  if (!src.error.empty()) {
    std::fprintf(stderr, "%s\n", src.error.c_str());
    return exit_config;
  }
  if (*set_cmd) {
    if (src.path.empty()) {
      std::fprintf(stderr, "config set needs a config file (-c FILE), not %s\n",
                   src.name.c_str());
      return exit_usage;
    }
    auto why = set_setting_in_file(src.path, key, value, opts);
    if (!why.empty()) {
      std::fprintf(stderr, "%s", why.c_str());
      if (why.back() != '\n')
        std::fputc('\n', stderr);
      return exit_config;
    }
    return exit_ok;
  }
  auto loaded = load(src, opts);
  if (*check) {
    if (!loaded.ok())
      return report(loaded, stdout);
    std::printf("%s: ok (%zu children)\n", src.name.c_str(),
                loaded.config->config.children.size() - 1);
    return exit_ok;
  }
  if (!loaded.ok())
    return report(loaded, stderr);
  if (*dump_cmd) {
    std::fputs(dump(*loaded.config).c_str(), stdout);
    return exit_ok;
  }
  if (*get_cmd) {
    auto text = get(*loaded.config, key);
    if (!text) {
      std::fprintf(stderr, "%s: no setting %s\n", src.name.c_str(), key.c_str());
      return exit_config;
    }
    std::printf("%s\n", text->c_str());
    return exit_ok;
  }
  return run_tree(std::move(*loaded.config), src.path, opts);
}

} // namespace warden
