// `warden run` under systemd's notify protocol, as a unit of Type=notify with
// WatchdogSec= sees it: the test plays systemd, with a datagram socket in NOTIFY_SOCKET
// and WATCHDOG_USEC, and reads what the real binary sends. Waits are on the
// socket (poll) with deadlines, never sleeps.

#include <cstdlib>
#include <cstring>
#include <optional>
#include <sys/un.h>

#include "cli_fixture.hpp"

namespace {

using namespace warden::test;
using namespace std::chrono_literals;

const char* two_beats = R"(supervisor = {
  children = (
    { name = "a"; type = "heartbeat"; params = { every_ms = 60000; }; },
    { name = "b"; type = "heartbeat"; params = { every_ms = 60000; }; }
  );
};
)";

/// systemd's end: a datagram socket in the test's directory, and warden
/// started with NOTIFY_SOCKET (and the watchdog variables) pointing at it.
class systemd_notify_test : public cli_test {
protected:
  void SetUp() override {
    cli_test::SetUp();
    socket_path_ = (dir_ / "notify.sock").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(socket_path_.size(), sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }

  void TearDown() override {
    if (fd_ >= 0)
      ::close(fd_);
    cli_test::TearDown();
  }

  /// Starts `warden run` with systemd's variables in its environment only.
  /// `watchdog_pid`: empty leaves WATCHDOG_PID unset (any process).
  std::unique_ptr<process> start_under_systemd(const fs::path& config,
                                               const std::string& watchdog_pid = {}) {
    ::setenv("NOTIFY_SOCKET", socket_path_.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "200000", 1);
    if (watchdog_pid.empty())
      ::unsetenv("WATCHDOG_PID");
    else
      ::setenv("WATCHDOG_PID", watchdog_pid.c_str(), 1);
    auto p = start({"run", "-c", config.string()});
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    return p;
  }

  /// The next datagram, or nothing within `deadline`.
  std::optional<std::string> next(std::chrono::milliseconds deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(deadline.count())) <= 0)
      return std::nullopt;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0)
      return std::nullopt;
    std::string msg{buf, static_cast<size_t>(n)};
    received_.push_back(msg);
    return msg;
  }

  /// The first datagram with the line `line` (e.g. "READY=1"), skipping
  /// others, or nothing within `deadline`.
  std::optional<std::string> await(const std::string& line,
                                   std::chrono::milliseconds deadline = 5s) {
    auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      auto msg = next(left);
      if (!msg)
        break;
      if (has_line(*msg, line))
        return msg;
    }
    ADD_FAILURE() << "no " << line << " on NOTIFY_SOCKET; received:\n" << history();
    return std::nullopt;
  }

  static bool has_line(const std::string& msg, const std::string& line) {
    return ("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos;
  }

  static std::string status_of(const std::string& msg) {
    auto pos = msg.find("STATUS=");
    if (pos == std::string::npos)
      return {};
    auto end = msg.find('\n', pos);
    return msg.substr(pos + 7, end == std::string::npos ? end : end - pos - 7);
  }

  std::string history() const {
    std::string out;
    for (auto& msg : received_)
      out += "  [" + msg + "]\n";
    return out;
  }

  std::string socket_path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

TEST_F(systemd_notify_test, ready_watchdog_reload_and_stop) {
  auto p = start_under_systemd(cfg(two_beats));
  // READY=1 once the tree is up, with the children counted.
  auto ready = await("READY=1");
  ASSERT_TRUE(ready);
  EXPECT_NE(output().find("tree running: 2 children"), std::string::npos) << output();
  EXPECT_EQ(status_of(*ready), "running: 2 children, 2 running, 0 restarting") << *ready;
  // Nothing but keep-alives before it.
  for (size_t i = 0; i + 1 < received_.size(); ++i)
    EXPECT_TRUE(has_line(received_[i], "WATCHDOG=1")) << received_[i];
  // WATCHDOG=1 every half interval (100 ms): at least 3 within a second.
  auto until = std::chrono::steady_clock::now() + 1s;
  int beats = 0;
  while (beats < 3 && std::chrono::steady_clock::now() < until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (auto msg = next(std::max(left, 1ms)); msg && has_line(*msg, "WATCHDOG=1")) {
      ++beats;
      EXPECT_EQ(status_of(*msg), "running: 2 children, 2 running, 0 restarting");
    }
  }
  EXPECT_GE(beats, 3) << history();
  // SIGHUP: RELOADING=1, then READY=1 once the reload was handled.
  p->signal(SIGHUP);
  auto reloading = await("RELOADING=1");
  ASSERT_TRUE(reloading);
  EXPECT_NE(reloading->find("MONOTONIC_USEC="), std::string::npos) << *reloading;
  ready = await("READY=1");
  ASSERT_TRUE(ready);
  EXPECT_EQ(status_of(*ready), "running: 2 children, 2 running, 0 restarting");
  // SIGTERM: STOPPING=1, then a clean exit.
  p->signal(SIGTERM);
  auto stopping = await("STOPPING=1");
  ASSERT_TRUE(stopping);
  EXPECT_EQ(p->wait(), 0) << output();
}

TEST_F(systemd_notify_test, no_keepalives_when_the_watchdog_is_for_another_process) {
  // WATCHDOG_PID names another process (as when warden was started by a
  // shell script under systemd): READY=1 still, WATCHDOG=1 never. The child
  // sees none of systemd's variables.
  auto text = std::string{R"(supervisor = {
  children = (
    { name = "env"; type = "process"; shutdown_ms = 1000;
      command = [ "/bin/sh", "-c",
                  "echo N=$${NOTIFY_SOCKET:-none} W=$${WATCHDOG_USEC:-none}; exec sleep 60" ]; }
  );
};
)"}; // `$$`: a `$` for the shell, not the config's interpolation
  auto p = start_under_systemd(cfg(text), "1");
  auto ready = await("READY=1");
  ASSERT_TRUE(ready);
  EXPECT_FALSE(has_line(*ready, "WATCHDOG=1"));
  ASSERT_TRUE(await_output("stdout: N=none W=none"));
  // Three would-be beats (every 100 ms): nothing arrives.
  EXPECT_FALSE(next(300ms)) << history();
  p->signal(SIGTERM);
  EXPECT_TRUE(await("STOPPING=1"));
  EXPECT_EQ(p->wait(), 0) << output();
  for (auto& msg : received_)
    EXPECT_FALSE(has_line(msg, "WATCHDOG=1")) << msg;
}

} // namespace
