#include "warden/services/process.hpp"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "process_reactor.hpp"
#include "warden/actors/enum_names.hpp"
#include "warden/actors/identity.hpp"
#include "warden/actors/service.hpp"

namespace warden {

namespace {

using namespace std::chrono_literals;

const char* const ready_names[] = {"started", "port", "notify", "exit"};

} // namespace

const char* to_string(process_ready x) noexcept {
  return enum_name(ready_names, x);
}

bool from_string(const std::string& name, process_ready& x) noexcept {
  return enum_from_name(ready_names, name, x);
}

// -- settings -----------------------------------------------------------------

const std::vector<std::string>& process_settings_keys() {
  static const std::vector<std::string> keys{
      "command", "env", "cwd", "user", "stdin", "port", "ready", "ready_timeout_ms",
  };
  return keys;
}

process_settings parse_process_settings(const nlohmann::json& settings) {
  process_settings result;
  std::vector<std::string> errors;
  auto bad = [&](std::string message) { errors.push_back(std::move(message)); };
  auto get = [&](const char* key) -> const nlohmann::json* {
    if (!settings.is_object())
      return nullptr;
    auto i = settings.find(key);
    return i != settings.end() ? &*i : nullptr;
  };
  auto string_of = [&](const char* key, std::string& out) {
    if (auto x = get(key)) {
      if (x->is_string() && !x->get<std::string>().empty())
        out = x->get<std::string>();
      else
        bad(std::string{key} + ": must be a non-empty string");
    }
  };
  if (auto x = get("command")) {
    if (!x->is_array() || x->empty()) {
      bad("command: must be a non-empty array of strings [ \"/path/to/program\", "
          "\"arg\", ... ]");
    } else {
      for (size_t i = 0; i < x->size(); ++i) {
        auto& item = (*x)[i];
        if (item.is_string())
          result.command.push_back(item.get<std::string>());
        else if (item.is_number())
          result.command.push_back(item.dump());
        else
          bad("command[" + std::to_string(i) + "]: must be a string");
      }
      if (!result.command.empty() && result.command[0].empty())
        bad("command[0]: the program must not be empty");
    }
  } else {
    bad("missing setting 'command' (the program and its arguments, e.g. command = [ "
        "\"/usr/bin/python3\", \"worker.py\" ])");
  }
  if (auto x = get("env")) {
    if (!x->is_object()) {
      bad("env: must be a group { NAME = \"value\"; ... }");
    } else {
      for (auto& [name, value] : x->items()) {
        if (name.empty() || name.find('=') != std::string::npos)
          bad("env." + name + ": not a variable name");
        else if (value.is_string())
          result.env[name] = value.get<std::string>();
        else if (value.is_number() || value.is_boolean())
          result.env[name] = value.dump();
        else
          bad("env." + name + ": must be a string, number or boolean");
      }
    }
  }
  string_of("cwd", result.cwd);
  string_of("user", result.user);
  if (auto x = get("stdin")) {
    if (x->is_string() && x->get<std::string>() == "section")
      result.stdin_section = true;
    else if (!(x->is_string() && x->get<std::string>() == "null"))
      bad("stdin: must be \"section\" (the params as text) or \"null\"");
  }
  if (auto x = get("port")) {
    if (x->is_string() && x->get<std::string>() == "auto")
      result.port_auto = true;
    else if (x->is_number_integer() && x->get<int64_t>() >= 1 &&
             x->get<int64_t>() <= 65535)
      result.port = static_cast<uint16_t>(x->get<int64_t>());
    else
      bad("port: must be \"auto\" or a port number 1..65535");
  }
  if (auto x = get("ready")) {
    if (!x->is_string() || !from_string(x->get<std::string>(), result.ready))
      bad("ready: must be \"started\", \"port\", \"notify\" or \"exit\"");
    else if (result.ready == process_ready::port && !result.has_port())
      bad("ready: \"port\" needs a port (port = \"auto\" or a number)");
  }
  if (auto x = get("ready_timeout_ms")) {
    if (x->is_number_integer() && x->get<int64_t>() >= 0)
      result.ready_timeout = std::chrono::milliseconds{x->get<int64_t>()};
    else
      bad("ready_timeout_ms: must be a number of milliseconds (0: wait forever)");
  }
  if (!errors.empty()) {
    std::string text;
    for (auto& e : errors)
      text += (text.empty() ? "" : "; ") + e;
    throw std::invalid_argument(text);
  }
  return result;
}

// -- params as libconfig text -------------------------------------------------

namespace {

bool is_config_name(const std::string& key) {
  if (key.empty() || !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '*'))
    return false;
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
          c == '*'))
      return false;
  return true;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

bool needs_int64(const nlohmann::json& x) {
  if (x.is_number_unsigned())
    return x.get<uint64_t>() > 0x7fffffffu;
  auto v = x.get<int64_t>();
  return v > INT32_MAX || v < INT32_MIN;
}

std::string integer_text(const nlohmann::json& x, bool as_int64) {
  auto text = x.dump();
  return as_int64 ? text + "L" : text;
}

std::string float_text(double v) {
  if (!std::isfinite(v))
    throw std::invalid_argument("params: libconfig has no NaN or infinity");
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  std::string text = buf;
  if (text.find_first_of(".eE") == std::string::npos)
    text += ".0";
  return text;
}

// The kind of a scalar for the one-kind rule of libconfig arrays.
int scalar_kind(const nlohmann::json& x) {
  if (x.is_number_integer())
    return 1;
  if (x.is_number_float())
    return 2;
  if (x.is_string())
    return 3;
  if (x.is_boolean())
    return 4;
  return 0;
}

void render(const nlohmann::json& x, const std::string& indent, std::string& out,
            const std::string& where);

void render_members(const nlohmann::json& obj, const std::string& indent,
                    std::string& out, const std::string& where) {
  for (auto& [key, value] : obj.items()) {
    if (value.is_null())
      continue;
    auto here = where.empty() ? key : where + "." + key;
    if (!is_config_name(key))
      throw std::invalid_argument("params: '" + here +
                                  "' is not a libconfig setting name");
    out += indent + key + " = ";
    render(value, indent, out, here);
    out += ";\n";
  }
}

void render(const nlohmann::json& x, const std::string& indent, std::string& out,
            const std::string& where) {
  if (x.is_object()) {
    if (x.empty()) {
      out += "{ }";
      return;
    }
    out += "{\n";
    render_members(x, indent + "  ", out, where);
    out += indent + "}";
  } else if (x.is_array()) {
    int kind = -1;
    bool any_int64 = false;
    for (auto& item : x) {
      if (item.is_null())
        continue;
      auto k = scalar_kind(item);
      kind = kind == -1 || kind == k ? k : 0;
      if (k == 1 && needs_int64(item))
        any_int64 = true;
    }
    bool array = kind != 0; // empty or scalars of one kind
    out += array ? "[ " : "( ";
    bool first = true;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].is_null())
        continue;
      out += first ? "" : ", ";
      first = false;
      if (array && x[i].is_number_integer())
        out += integer_text(x[i], any_int64);
      else
        render(x[i], indent, out, where + "[" + std::to_string(i) + "]");
    }
    out += array ? " ]" : " )";
  } else if (x.is_string()) {
    out += quoted(x.get<std::string>());
  } else if (x.is_boolean()) {
    out += x.get<bool>() ? "true" : "false";
  } else if (x.is_number_integer()) {
    out += integer_text(x, needs_int64(x));
  } else if (x.is_number_float()) {
    out += float_text(x.get<double>());
  }
}

} // namespace

std::string params_to_config_text(const nlohmann::json& params) {
  std::string out;
  if (params.is_object())
    render_members(params, "", out, "");
  return out;
}

std::string describe_exit(int code, int signal, bool core_dumped) {
  if (signal == 0)
    return "exit " + std::to_string(code);
  auto name = sigabbrev_np(signal);
  auto text = "signal " + std::to_string(signal);
  if (name != nullptr || core_dumped) {
    text += " (";
    if (name != nullptr)
      text += std::string{"SIG"} + name;
    if (core_dumped)
      text += name != nullptr ? ", core dumped" : "core dumped";
    text += ")";
  }
  return text;
}

// -- the service ---------------------------------------------------------------

namespace {

using probe_atom = caf::atom_constant<caf::atom("wd_pprobe")>;
using ready_timeout_atom = caf::atom_constant<caf::atom("wd_ptimeo")>;

/// How often "port" readiness is checked.
constexpr auto probe_interval = 20ms;

std::string new_guid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; // variant 1
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

/// A free TCP port on 127.0.0.1 (the kernel's choice; free now, the
/// program binds it moments later), or 0 with `why` set.
uint16_t free_port(std::string& why) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    why = std::string{"no free port: "} + std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// The command as a shell would read it (for logs and diagnostics).
std::string shell_line(const std::vector<std::string>& argv) {
  std::string out;
  for (auto& arg : argv) {
    if (!out.empty())
      out += ' ';
    bool plain = !arg.empty() &&
                 arg.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg)
      out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string wall_time_text() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

/// The built-in type `process`: one OS process per instance. Its exit is
/// the instance's exit (0 normal, anything else a crash); an exit request
/// becomes SIGTERM to its process group, and the instance ends once the
/// process has (the supervisor's kill at the shutdown deadline makes
/// `on_stop` send SIGKILL).
///
///   on_start ──spawn──▶ starting ──started──▶ running ──(ready rule)──▶ ready
///       exit request ──▶ SIGTERM ──▶ stopping ──exit──▶ quit(request's reason)
///       exit (not requested) ──▶ quit(normal) | fail("exit N" / "signal N (SIG...)")
///       on_stop (any end) ──▶ release: SIGKILL to the group if it still runs
class process_service : public service {
public:
  process_service(caf::actor_config& cfg, service_init init,
                  std::shared_ptr<const process_settings> settings)
    : service(cfg, std::move(init))
    , settings_(std::move(settings)) {
    set_exit_handler([this](caf::exit_msg& msg) { on_exit_request(msg); });
  }

  void on_start() override {
    auto& s = *settings_;
    delay_ready(); // at the earliest once the program runs
    detail::spawn_request req;
    req.id = id_ = detail::process_reactor::next_id();
    req.path = path();
    req.argv = s.command;
    req.env = s.env;
    // Relative to the config file's directory, which is also the default.
    auto base = current_identity().base_dir;
    req.cwd = s.cwd.empty()     ? base
              : s.cwd[0] == '/' ? s.cwd
                                : (std::filesystem::path{base} / s.cwd).string();
    req.user = s.user;
    if (s.has_port()) {
      port_ = s.port;
      if (s.port_auto) {
        std::string why;
        port_ = free_port(why);
        if (port_ == 0) {
          start_error_ = why; // fails in make_service_behavior
          return;
        }
      }
      guid_ = new_guid();
      req.argv.insert(req.argv.end(), {"--guid", guid_, "--port", std::to_string(port_)});
      set_value("guid", guid_);
      set_value("port", std::to_string(port_));
    } else {
      clear_value("guid"); // from an earlier config of this child
      clear_value("port");
    }
    if (s.stdin_section) {
      req.stdin_pipe = true;
      req.stdin_text = params_to_config_text(params());
    }
    if (s.ready == process_ready::notify)
      req.notify_name = "warden/" + std::to_string(::getpid()) + "/" +
                        std::to_string(id_) + "/" + (guid_.empty() ? new_guid() : guid_);
    set_value("command", shell_line(req.argv));
    clear_value("status");
    clear_flag("stopping");
    running_ = true;
    detail::process_reactor::instance().spawn(std::move(req),
                                              caf::actor_cast<caf::actor>(this));
    if (s.ready != process_ready::started && s.ready != process_ready::exit &&
        s.ready_timeout.count() > 0)
      delayed_send(this, s.ready_timeout, ready_timeout_atom::value, id_);
  }

  void on_stop() override {
    if (running_)
      detail::process_reactor::instance().release(id_);
    if (probe_fd_ >= 0)
      ::close(probe_fd_);
    probe_fd_ = -1;
    clear_value("pid");
    clear_flag("stopping");
  }

  caf::behavior make_service_behavior() override {
    if (!start_error_.empty()) {
      fail(start_error_);
      return {};
    }
    return {
        [this](detail::proc_started_atom, uint64_t id, int32_t pid) {
          if (id == id_)
            on_started(pid);
        },
        [this](detail::proc_failed_atom, uint64_t id, const std::string& why) {
          if (id != id_)
            return;
          running_ = false;
          if (stopping_)
            quit(stop_reason_);
          else
            fail(why);
        },
        [this](detail::proc_exit_atom, uint64_t id, int32_t code, int32_t sig,
               bool core) {
          if (id == id_)
            on_exited(code, sig, core);
        },
        [this](detail::proc_notify_atom, uint64_t id, const std::string& text) {
          if (id == id_)
            on_notify(text);
        },
        [this](probe_atom, uint64_t id) {
          if (id == id_)
            probe();
        },
        [this](ready_timeout_atom, uint64_t id) {
          if (id != id_ || ready_ || stopping_ || !running_)
            return;
          auto& s = *settings_;
          fail("not ready within " + std::to_string(s.ready_timeout.count()) + " ms (" +
               (s.ready == process_ready::port
                    ? "nothing accepts on port " + std::to_string(port_)
                    : std::string{"no READY=1 on its NOTIFY_SOCKET"}) +
               ")");
        },
    };
  }

  const char* name() const override {
    return "warden::process";
  }

private:
  void on_started(int32_t pid) {
    pid_ = pid;
    set_value("pid", std::to_string(pid));
    set_value("started_at", wall_time_text());
    switch (settings_->ready) {
      case process_ready::started:
        mark_ready();
        break;
      case process_ready::port:
        probe();
        break;
      case process_ready::notify:
      case process_ready::exit: // the supervisor waits for the exit
        break;
    }
  }

  void on_exited(int32_t code, int32_t sig, bool core) {
    running_ = false;
    clear_value("pid");
    if (stopping_) {
      quit(stop_reason_);
      return;
    }
    if (code == 0 && sig == 0) {
      quit();
      return;
    }
    fail(describe_exit(code, sig, core));
  }

  void on_exit_request(caf::exit_msg& msg) {
    if (!msg.reason)
      return; // a linked actor ended normally: nothing to do with us
    if (!running_) {
      quit(std::move(msg.reason));
      return;
    }
    if (stopping_)
      return; // already asked; the supervisor's deadline ends the wait
    stopping_ = true;
    stop_reason_ = std::move(msg.reason);
    set_flag("stopping");
    detail::process_reactor::instance().signal(id_, SIGTERM);
  }

  void on_notify(const std::string& text) {
    size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      auto line = text.substr(start, end == std::string::npos ? end : end - start);
      if (line == "READY=1")
        mark_ready();
      else if (line.compare(0, 7, "STATUS=") == 0)
        set_value("status", line.substr(7));
      if (end == std::string::npos)
        break;
      start = end + 1;
    }
  }

  void mark_ready() {
    if (ready_)
      return;
    ready_ = true;
    ready();
  }

  /// One step of "port" readiness: a non-blocking connect to the port,
  /// checked again at the next step while in progress.
  void probe() {
    if (ready_ || stopping_ || !running_)
      return;
    if (probe_fd_ >= 0) {
      pollfd pfd{probe_fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, 0) > 0) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(probe_fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        ::close(probe_fd_);
        probe_fd_ = -1;
        if (err == 0) {
          mark_ready();
          return;
        }
      }
    } else {
      probe_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port_);
      if (probe_fd_ >= 0) {
        auto rc = ::connect(probe_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
        if (rc == 0 || errno != EINPROGRESS) {
          ::close(probe_fd_);
          probe_fd_ = -1;
          if (rc == 0) {
            mark_ready();
            return;
          }
        }
      }
    }
    delayed_send(this, probe_interval, probe_atom::value, id_);
  }

  std::shared_ptr<const process_settings> settings_;
  uint64_t id_ = 0;
  int32_t pid_ = 0;
  uint16_t port_ = 0;
  std::string guid_;
  std::string start_error_;
  caf::error stop_reason_;
  bool running_ = false; // spawn requested, exit not yet seen
  bool stopping_ = false;
  bool ready_ = false;
  int probe_fd_ = -1;
};

} // namespace

child_factory make_process_factory(process_settings settings) {
  auto shared = std::make_shared<const process_settings>(std::move(settings));
  return [shared](caf::local_actor& parent, service_init init) -> caf::actor {
    return parent.spawn<process_service>(std::move(init), shared);
  };
}

service_type process_service_type() {
  return service_type{[](const nlohmann::json& settings) {
                        return make_process_factory(parse_process_settings(settings));
                      },
                      process_settings_keys()};
}

} // namespace warden
