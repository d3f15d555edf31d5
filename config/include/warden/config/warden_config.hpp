#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/config/schedule_config.hpp"
#include "warden/supervisor/child_spec.hpp"

namespace warden {

/// The `log` section: spdlog sinks and levels.
struct log_config {
  /// trace | debug | info | warn | error | critical | off.
  std::string level = "info";
  /// A rotating log file; empty: console only.
  std::string file;
  /// Size of one log file before it rotates.
  uint32_t max_size_mb = 10;
  /// Rotated files kept.
  uint32_t max_files = 5;
  /// Levels per component (spdlog logger name), e.g.
  /// `levels = { supervisor = "warn"; };`.
  std::map<std::string, std::string> levels;
};

/// Whether `host` names the loopback interface ("localhost", 127.x.y.z,
/// "::1"): where the control plane may listen without a token.
bool is_loopback(const std::string& host);

/// The `control` section: where the control actor listens.
struct control_config {
  /// A non-loopback address requires `token`.
  std::string listen = "127.0.0.1";
  /// 1..65535.
  uint16_t port = 4711;
  /// Required by mutating commands when set. Secret: never print it.
  std::string token;
  /// PEM files for TLS; both or neither.
  std::string tls_cert;
  std::string tls_key;
};

/// The `rabbitmq` section: the gateway to the broker.
struct rabbitmq_config {
  /// Whether the section is present (and not `enabled = false`): without
  /// it, warden runs with no broker.
  bool enabled = false;
  /// Secret when it was built from `${secret:...}`.
  std::string url = "amqp://guest:guest@127.0.0.1:5672";
  /// The topic exchange (durable).
  std::string exchange = "warden";
  /// Directory of the durable outbox.
  std::string outbox = "state/outbox";
  /// AMQP heartbeat; 0 disables it.
  std::chrono::seconds heartbeat{10};
  /// Publisher confirms: a message leaves the outbox once confirmed.
  bool confirm = true;
  /// Bound of the outbox on disk; when full, publishers get an error.
  uint64_t outbox_max_mb = 256;
  /// Published but unconfirmed messages at most (1: confirm each).
  size_t confirm_window = 1000;
  /// Unacknowledged deliveries the broker may send at once.
  uint16_t prefetch = 256;
  /// Local topics that also go to the broker.
  std::vector<std::string> publish{"#"};
  /// Patterns bound to the durable queue `warden.<program>.<node>`
  /// (permanent: messages wait there while warden is down).
  std::vector<std::string> subscribe;
  /// Patterns bound to an exclusive auto-delete queue (temporary).
  std::vector<std::string> subscribe_temporary;
};

/// What the config says about one child beyond its `child_spec`.
struct child_config {
  /// "root/workers/parser"; the root supervisor is "root".
  std::string path;
  /// The `type` setting ("supervisor" for nested supervisors).
  std::string type;
  /// The child's `schedule` entries, in file order.
  std::vector<schedule_config> schedules;
  /// The type-specific keys (`service_type::settings_keys`) as given to
  /// `service_type::make`, e.g. `{"command": [...], "stdin": "section"}`.
  nlohmann::json settings = nlohmann::json::object();
  /// JSON pointers into `child_spec::params` of values holding secret text,
  /// e.g. "/db/password": redact them before showing params (see `redact`).
  std::vector<std::string> secret_params;
  /// Where the child is written: file, line of its group and setting path
  /// ("supervisor.children.workers.children.parser").
  std::string file;
  unsigned line = 0;
  std::string setting;
};

/// The whole config file as plain values with documented defaults: what
/// `load_file` and `load_text` produce after validation.
struct warden_config {
  /// The file's display name and the directory relative paths in it start
  /// from (the file's directory; the working directory for text loads).
  std::string source;
  std::string base_dir = ".";
  /// Used in topics and logs.
  std::string program = "warden";
  /// This machine's name in topics, e.g. `node = "${HOSTNAME:-localhost}"`.
  std::string node = "localhost";
  /// `secrets.dir`: where `${secret:NAME}` reads NAME, relative to `base_dir`.
  std::string secrets_dir = "secrets";
  log_config log;
  control_config control;
  rabbitmq_config rabbitmq;
  /// `config_check_s`: how often the file is checked for changes (> 0).
  std::chrono::seconds config_check{5};
  /// Worker threads of the actor system (at most 4096); 0 means one per
  /// hardware thread.
  size_t threads = 0;
  /// The root supervisor (named "root") built from the `supervisor`
  /// section: its flags and children, nested supervisors as
  /// `warden::nested(...)` specs, workers with factories from the
  /// `service_types` given to the loader.
  supervisor_spec supervisor;
  /// Every child by path ("root", "root/watcher", "root/workers/parser").
  std::map<std::string, child_config> children;
  /// Paths of the settings holding secret text ("control.token").
  std::set<std::string> secret_settings;
};

} // namespace warden
