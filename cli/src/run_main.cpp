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

} // namespace

const char* embedded_default_config() {
  return
#include "warden_default_cfg.inc"
      ;
}

void add_builtin_types(service_types& types) {
  types.add<heartbeat>("heartbeat");
}

int run_main(int argc, char** argv, service_types types) {
  add_builtin_types(types);
  CLI::App app{"warden: a supervision tree for C++ services on CAF"};
  app.require_subcommand(1);
  std::string config_path;
  std::vector<std::string> overrides;
  auto add_config_option = [&](CLI::App* cmd) {
    cmd->add_option(
        "-c,--config", config_path,
        "config file ('-': standard input); default: ./warden.cfg, "
        "./etc/warden.cfg, /etc/warden/warden.cfg, then the embedded default");
  };
  auto run = app.add_subcommand("run", "run the tree in the foreground");
  add_config_option(run);
  run->add_option("--set", overrides, "override a setting: KEY=VALUE (repeatable)");
  auto check = app.add_subcommand("check", "validate the config; print every error");
  add_config_option(check);
  auto config = app.add_subcommand("config", "show or edit the config");
  add_config_option(config);
  config->require_subcommand(1);
  auto dump_cmd =
      config->add_subcommand("dump", "print the effective config (secrets redacted)");
  std::string key, value;
  auto get_cmd = config->add_subcommand("get", "print one setting");
  get_cmd->add_option("KEY", key, "setting path, e.g. supervisor.intensity")->required();
  auto set_cmd =
      config->add_subcommand("set", "change one setting in the file, keeping its layout");
  set_cmd->add_option("KEY", key, "setting path")->required();
  set_cmd->add_option("VALUE", value, "new value (libconfig syntax or a bare string)")
      ->required();
  auto version = app.add_subcommand("version", "print the version");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  if (*version) {
    std::printf("warden %s\n", WARDEN_VERSION);
    return exit_ok;
  }
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
    auto edited = set_setting(src.text, key, value);
    if (!edited.text) {
      std::fprintf(stderr, "%s: %s\n", src.path.c_str(), edited.error.c_str());
      return exit_config;
    }
    opts.base_dir = std::filesystem::path{src.path}.parent_path().string();
    auto checked = load_text(*edited.text, src.path, opts);
    if (!checked.ok()) {
      std::fputs("not written: the result would not be valid\n", stderr);
      return report(checked, stderr);
    }
    std::string why;
    if (!write_file_atomically(src.path, *edited.text, &why)) {
      std::fprintf(stderr, "%s: %s\n", src.path.c_str(), why.c_str());
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
