#include "support/rabbit_broker.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/amqp_client.hpp"

#ifndef WARDEN_BROKER_SCRIPT
#error "WARDEN_BROKER_SCRIPT must name scripts/broker (set in tests/CMakeLists.txt)"
#endif

namespace warden::test {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The script's own waits end within 60-75 s; this only guards against a hang.
constexpr auto script_timeout = 150s;

// --- processes ----------------------------------------------------------------

/// Closes every descriptor from 3 up. Only async-signal-safe calls: it runs
/// between fork and exec.
void close_from_3() {
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
    return;
  for (int fd = 3; fd < 4096; ++fd)
    ::close(fd);
}

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

struct proc_entry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  char state = '?';
  std::string comm;
};

/// One line of /proc/PID/stat: "pid (comm) state ppid pgrp ...", where comm
/// may itself hold spaces and parentheses.
std::optional<proc_entry> read_stat(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  auto open = line.find('(');
  auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open)
    return std::nullopt;
  proc_entry entry;
  entry.pid = pid;
  entry.comm = line.substr(open + 1, close - open - 1);
  std::istringstream rest{line.substr(close + 1)};
  if (!(rest >> entry.state >> entry.ppid >> entry.pgrp))
    return std::nullopt;
  return entry;
}

std::vector<proc_entry> read_proc_table() {
  std::vector<proc_entry> result;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{"/proc", ec}) {
    auto name = entry.path().filename().string();
    auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
    if (name.empty() || !std::all_of(name.begin(), name.end(), digit))
      continue;
    if (auto stat = read_stat(static_cast<pid_t>(std::stol(name))))
      result.push_back(std::move(*stat));
  }
  return result;
}

std::string read_text(const fs::path& path) {
  std::ifstream in{path};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string trim(std::string text) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

// --- ports --------------------------------------------------------------------

/// Nothing holds 127.0.0.1:`port` (no SO_REUSEADDR: a port in TIME_WAIT
/// counts as taken too, which only makes the choice more careful).
bool port_free(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return free;
}

/// A port P with P and P+20000 (the distribution port) both free. Random in
/// 20000..31999, below the kernel's ephemeral range, so that parallel test
/// binaries rarely try the same one.
std::uint16_t pick_port() {
  std::mt19937 gen{std::random_device{}()};
  std::uniform_int_distribution<int> dist{20000, 31999};
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto port = static_cast<std::uint16_t>(dist(gen));
    if (port_free(port) && port_free(static_cast<std::uint16_t>(port + 20000)))
      return port;
  }
  throw std::runtime_error("rabbit_broker: no free port pair P, P+20000 on 127.0.0.1");
}

// --- the script ---------------------------------------------------------------

command_result run_script(std::vector<std::string> args) {
  args.insert(args.begin(), {"/bin/bash", WARDEN_BROKER_SCRIPT});
  return run_command(args, script_timeout);
}

[[noreturn]] void script_failed(const std::string& what, const command_result& res) {
  std::string why = res.timed_out ? "timed out" : "exit " + std::to_string(res.exit_code);
  throw std::runtime_error("rabbit_broker: scripts/broker " + what + ": " + why + ": " +
                           trim(res.err));
}

std::unique_ptr<rabbit_broker>& shared_slot() {
  static std::unique_ptr<rabbit_broker> slot;
  return slot;
}

} // namespace

// --- run_command ------------------------------------------------------------

command_result run_command(const std::vector<std::string>& argv, milliseconds timeout) {
  if (argv.empty())
    throw std::invalid_argument("run_command: empty argv");
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw sys_error("pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0)
    throw sys_error("pipe2");
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t child = ::fork();
  if (child < 0)
    throw sys_error("fork");
  if (child == 0) {
    ::setpgid(0, 0);
    ::dup2(null_fd, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    close_from_3();
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(child, child); // also here: kill(-child) must not race the child
  ::close(null_fd);
  ::close(out[1]);
  ::close(err[1]);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));

  // Read both pipes until they close and the child has exited, or until the
  // deadline. The pidfd becomes readable when the child exits.
  command_result result;
  auto deadline = steady_clock::now() + timeout;
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  bool exited = pidfd < 0; // without a pidfd, waitpid below blocks instead
  while (fds[0].fd >= 0 || fds[1].fd >= 0 || !exited) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left <= 0ms) {
      result.timed_out = true;
      break;
    }
    int rc = ::poll(fds, 3, static_cast<int>(left.count()) + 1);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0)
      throw sys_error("poll");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buf[4096];
      auto n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      exited = true;
      fds[2].fd = -1;
    }
  }
  if (result.timed_out)
    ::kill(-child, SIGKILL);
  for (int i = 0; i < 2; ++i)
    if (fds[i].fd >= 0)
      ::close(fds[i].fd);
  if (pidfd >= 0)
    ::close(pidfd);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.timed_out)
    result.exit_code = -1;
  else if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

// --- rabbit_broker ----------------------------------------------------------

rabbit_broker::rabbit_broker(std::uint16_t port)
  : port_(port)
  , port_given_(port != 0) {}

rabbit_broker::~rabbit_broker() {
  if (dir_.empty())
    return;
  // Stop whatever runs there, even after a failed start; stop is quick when
  // nothing does.
  auto res = run_script({"stop", dir_.string()});
  if (res.exit_code != 0) {
    if (pid_ > 0)
      ::kill(pid_, SIGKILL);
    run_script({"kill", dir_.string()});
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  stop_watchdog();
}

void rabbit_broker::make_dir() {
  std::string templ = "/tmp/warden-rmq-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr)
    throw sys_error("rabbit_broker: mkdtemp");
  dir_ = templ;
  start_watchdog();
}

void rabbit_broker::start() {
  if (running())
    return;
  bool fresh = dir_.empty();
  if (fresh)
    make_dir();
  // Another process may take a port between our choice and the broker's
  // bind: the script then refuses at once ("already in use"); a fresh
  // instance retries on another port.
  for (int attempt = 1;; ++attempt) {
    if (port_ == 0)
      port_ = pick_port();
    auto t0 = steady_clock::now();
    auto res = run_script({"start", dir_.string(), std::to_string(port_)});
    last_start_ = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0);
    if (res.exit_code == 0) {
      pid_ = static_cast<pid_t>(std::stol(trim(res.out)));
      await_amqp();
      last_start_ = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0);
      return;
    }
    bool taken = res.err.find("already in use") != std::string::npos;
    if (!fresh || port_given_ || !taken || attempt == 3)
      script_failed("start " + dir_.string() + " " + std::to_string(port_), res);
    std::error_code ec;
    fs::remove(dir_ / "port", ec); // the data dir is bound to its port
    port_ = 0;
  }
}

// scripts/broker's "up" is the node booted and its port listening. That is
// not yet "serves AMQP": a node whose vhost "/" failed to start (its message
// store or queues did not recover from a kill -9) boots all the same
// (vhost_restart_strategy `continue`), listens, and answers every
// connection.open with 541 "vhost '/' is down" - a broker that never comes
// back for the gateway, while the harness reported it up.
void rabbit_broker::await_amqp() {
  auto deadline = steady_clock::now() + 30s;
  bool vhost_restarted = false;
  std::string why, note;
  for (;;) {
    why = amqp_probe(5s);
    if (why.empty())
      return;
    if (why.find("is down") != std::string::npos && !vhost_restarted) {
      vhost_restarted = true;
      ++vhost_restarts_;
      std::fprintf(stderr,
                   "rabbit_broker: %s: started with vhost / down (%s); restart_vhost\n",
                   dir_.c_str(), why.c_str());
      auto res = run_script({"ctl", dir_.string(), "restart_vhost"});
      note = "; vhost / was down after the start, restart_vhost: exit " +
             std::to_string(res.exit_code) + " " + trim(res.err + res.out);
      continue;
    }
    if (steady_clock::now() >= deadline || !process_alive(pid_))
      break;
    std::this_thread::sleep_for(200ms);
  }
  throw std::runtime_error(
      "rabbit_broker: the broker on 127.0.0.1:" + std::to_string(port_) + " (beam.smp " +
      std::to_string(pid_) + (process_alive(pid_) ? ", running" : ", gone") +
      ") does not serve AMQP on vhost /: " + why + note + "\n" + log_excerpt());
}

std::string rabbit_broker::amqp_probe(milliseconds timeout) const {
  if (port_ == 0)
    return "no port (never started)";
  try {
    amqp_client client;
    client.connect(url(), timeout);
    client.close();
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string rabbit_broker::log_excerpt() const {
  if (dir_.empty())
    return {};
  std::string out;
  auto node_log = dir_ / "log" / ("rmq" + std::to_string(port_) + "@localhost.log");
  std::deque<std::string> picked;
  {
    std::ifstream in{node_log};
    if (!in)
      out += node_log.string() + ": cannot read\n";
    std::string line;
    while (std::getline(in, line)) {
      std::string lower = line;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower.find("[error]") == std::string::npos &&
          lower.find("vhost") == std::string::npos &&
          lower.find("crash") == std::string::npos)
        continue;
      picked.push_back(std::move(line));
      if (picked.size() > 30)
        picked.pop_front();
    }
  }
  if (!picked.empty()) {
    out += node_log.string() + " (error, vhost and crash lines, the last 30):\n";
    for (auto& line : picked)
      out += "  " + line + "\n";
  }
  std::deque<std::string> tail;
  {
    std::ifstream in{dir_ / "log" / "server.out"};
    std::string line;
    while (std::getline(in, line)) {
      tail.push_back(std::move(line));
      if (tail.size() > 10)
        tail.pop_front();
    }
  }
  if (!tail.empty()) {
    out += (dir_ / "log" / "server.out").string() + " (the end):\n";
    for (auto& line : tail)
      out += "  " + line + "\n";
  }
  return out;
}

void rabbit_broker::stop() {
  if (dir_.empty())
    return;
  auto res = run_script({"stop", dir_.string()});
  if (res.exit_code != 0)
    script_failed("stop " + dir_.string(), res);
  pid_ = 0;
}

void rabbit_broker::kill9() {
  if (dir_.empty())
    return;
  auto res = run_script({"kill", dir_.string()});
  if (res.exit_code != 0)
    script_failed("kill " + dir_.string(), res);
  pid_ = 0;
}

void rabbit_broker::restart() {
  if (running())
    stop();
  start();
}

std::string rabbit_broker::url() const {
  return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_);
}

std::vector<pid_t> rabbit_broker::processes() const {
  std::vector<pid_t> result;
  if (dir_.empty())
    return result;
  auto wrapper_text = trim(read_text(dir_ / "wrapper.pid"));
  if (wrapper_text.empty()) {
    if (pid_ > 0 && process_alive(pid_))
      result.push_back(pid_);
    return result;
  }
  auto wrapper = static_cast<pid_t>(std::stol(wrapper_text));
  // The wrapper's process group (wrapper, beam.smp), then their descendants:
  // erl_child_setup and inet_gethost call setsid and leave the group.
  std::unordered_map<pid_t, std::vector<pid_t>> children;
  for (const auto& entry : read_proc_table()) {
    if (entry.state == 'Z' || entry.comm == "epmd")
      continue;
    children[entry.ppid].push_back(entry.pid);
    if (entry.pgrp == wrapper)
      result.push_back(entry.pid);
  }
  for (size_t i = 0; i < result.size(); ++i)
    for (auto child : children[result[i]])
      result.push_back(child);
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

bool rabbit_broker::process_alive(pid_t pid) {
  auto stat = read_stat(pid);
  return stat && stat->state != 'Z';
}

rabbit_broker& rabbit_broker::shared() {
  auto& slot = shared_slot();
  if (!slot)
    slot = std::make_unique<rabbit_broker>();
  slot->start();
  return *slot;
}

// The watchdog: a shell that waits for end-of-file on a pipe whose only
// writer is this process. If the test binary dies without running the
// destructor (a crash, ctest's timeout), the pipe closes and the watchdog
// kills the broker and removes its directory; after a normal destructor the
// directory is gone already and it just exits. Its own session: a signal to
// the test's process group does not reach it.
void rabbit_broker::start_watchdog() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw sys_error("pipe2");
  std::vector<std::string> argv = {
      "/bin/bash", "-c",
      "cat >/dev/null; [ -d \"$1\" ] || exit 0; "
      "bash \"$0\" kill \"$1\" >/dev/null 2>&1; rm -rf \"$1\"",
      WARDEN_BROKER_SCRIPT, dir_.string()};
  std::vector<char*> args;
  for (auto& arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t child = ::fork();
  if (child < 0)
    throw sys_error("fork");
  if (child == 0) {
    ::setsid();
    ::dup2(fds[0], 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    close_from_3();
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(null_fd);
  ::close(fds[0]);
  watchdog_ = child;
  watchdog_fd_ = fds[1];
}

void rabbit_broker::stop_watchdog() {
  if (watchdog_fd_ >= 0)
    ::close(watchdog_fd_);
  watchdog_fd_ = -1;
  if (watchdog_ > 0)
    while (::waitpid(watchdog_, nullptr, 0) < 0 && errno == EINTR) {
    }
  watchdog_ = 0;
}

void broker_environment::TearDown() {
  shared_slot().reset();
}

} // namespace warden::test
