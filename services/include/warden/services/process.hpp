#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/supervisor/child_spec.hpp"
#include "warden/supervisor/service_types.hpp"

namespace warden {

/// When a `process` child counts as ready, i.e. when its dependants start.
enum class process_ready : uint8_t {
  started, ///< once the program is executing (exec succeeded)
  port,    ///< once something accepts TCP connections on 127.0.0.1:port
  notify,  ///< once it sends READY=1 to $NOTIFY_SOCKET (systemd's Type=notify)
  exit,    ///< once it exited 0: a one-shot (the supervisor's `ready = "exit"`)
};

const char* to_string(process_ready x) noexcept;
bool from_string(const std::string& name, process_ready& x) noexcept;

/// The type-specific settings of a `process` child (child-level keys in the
/// config, next to `name` and `type`):
///
/// ```
/// { name = "legacy"; type = "process";
///   command = [ "/usr/bin/python3", "worker.py" ];   # argv, no shell
///   env = { PYTHONUNBUFFERED = "1"; };               # added to warden's environment
///   cwd = "legacy"; user = "legacy";                 # user: only when warden is root
///   stdin = "section";      # the child's params as libconfig text on standard input
///   port = "auto";          # a free port on 127.0.0.1: --guid G --port N appended
///   ready = "port";         # "started" (default) | "port" | "notify"
///   ready_timeout_ms = 30000;
///   params = { threads = 4; }; }
/// ```
struct process_settings {
  /// argv; `command[0]` without a '/' is looked up in PATH (the child's), a
  /// relative path starts from the working directory.
  std::vector<std::string> command;
  /// Set in (or replacing in) the child's copy of warden's environment.
  std::map<std::string, std::string> env;
  /// The child's working directory, relative to the config file's
  /// directory (`identity::base_dir`); empty: that directory.
  std::string cwd;
  /// Run as this user (its uid, primary group and supplementary groups, and
  /// HOME, USER, LOGNAME unless `env` sets them); empty: warden's user.
  std::string user;
  /// `stdin = "section"`: the params as libconfig text on standard input,
  /// then end of file. Otherwise standard input is /dev/null.
  bool stdin_section = false;
  /// `port = "auto"` allocates a free port per start; `port = N` uses N.
  /// Either way `--guid G --port N` are appended to the command, G unique
  /// per start.
  bool port_auto = false;
  uint16_t port = 0;
  process_ready ready = process_ready::started;
  /// For "port" and "notify": not ready by then is a crash; 0 waits forever.
  std::chrono::milliseconds ready_timeout{30000};

  bool has_port() const noexcept {
    return port_auto || port != 0;
  }
};

/// The config keys of `process_settings`.
const std::vector<std::string>& process_settings_keys();

/// Reads and checks the settings (JSON, as the config loader hands them
/// over). Throws `std::invalid_argument` naming every bad key.
process_settings parse_process_settings(const nlohmann::json& settings);

/// A factory for `process` children running with `settings`.
child_factory make_process_factory(process_settings settings);

/// The built-in type `process`, for `service_types::add("process", ...)`.
service_type process_service_type();

/// `params` (a JSON object) as libconfig settings, one per line: what a
/// `stdin = "section"` child reads. Arrays of scalars of one kind become
/// arrays `[ ]`, other arrays lists `( )`, objects groups `{ }`; nulls are
/// left out. Throws `std::invalid_argument` for what libconfig cannot hold
/// (a key that is no libconfig name, NaN).
std::string params_to_config_text(const nlohmann::json& params);

/// A wait status as an exit reason: "exit 3", "signal 11 (SIGSEGV)",
/// "signal 6 (SIGABRT, core dumped)".
std::string describe_exit(int code, int signal, bool core_dumped = false);

} // namespace warden
