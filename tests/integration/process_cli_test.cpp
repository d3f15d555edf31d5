// `process` children under the real `warden` binary: `warden check` on bad
// settings, a graceful stop by SIGTERM, warden killed with SIGKILL leaving
// no process behind (children and grandchildren), and the two examples
// (examples/worker_process, examples/supervisord) run as users run them.
// Waits are on the output (inotify) or an exit (pidfd), with deadlines.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "cli_fixture.hpp"

namespace {

using namespace warden::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Waits until process `pid` has exited (woken by the exit through a pidfd).
bool wait_gone(pid_t pid, std::chrono::milliseconds timeout = 3s) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0)
    return errno == ESRCH;
  pollfd pfd{fd, POLLIN, 0};
  int rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  ::close(fd);
  return rc > 0;
}

bool running(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0)
    return false;
  pollfd pfd{fd, POLLIN, 0};
  int rc = ::poll(&pfd, 1, 0);
  ::close(fd);
  return rc == 0;
}

/// Every number after `key` in `text`.
std::vector<pid_t> numbers_after(const std::string& text, const std::string& key) {
  std::vector<pid_t> result;
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + 1))
    result.push_back(std::atoi(text.c_str() + pos + key.size()));
  return result;
}

/// Where each of `needles` first occurs in `text` (npos when missing).
std::vector<size_t> positions(const std::string& text, std::vector<std::string> needles) {
  std::vector<size_t> result;
  for (auto& n : needles)
    result.push_back(text.find(n));
  return result;
}

bool ascending(const std::vector<size_t>& xs) {
  for (size_t i = 0; i < xs.size(); ++i)
    if (xs[i] == std::string::npos || (i > 0 && xs[i - 1] >= xs[i]))
      return false;
  return true;
}

TEST_F(cli_test, check_reports_bad_process_settings_with_file_and_line) {
  auto path = cfg(R"(supervisor = {
  children = (
    { name = "good"; type = "process"; command = [ "/bin/true" ]; port = "auto"; ready = "port"; },
    { name = "bad"; type = "process"; command = "/bin/true"; ready = "port"; }
  );
};
)");
  EXPECT_EQ(run({"check", "-c", path}), 1);
  EXPECT_EQ(
      output(),
      path.string() +
          ":4: supervisor.children.bad: service type 'process' rejected its settings: "
          "command: must be a non-empty array of strings [ \"/path/to/program\", "
          "\"arg\", ... ]; ready: \"port\" needs a port (port = \"auto\" or a "
          "number)\n");
}

// Each child prints its pid and its background child's ("$$$$" is the
// shell's $$ after warden's own "$$" → "$").
const char* two_families = R"(program = "test";
supervisor = {
  intensity = 3; period_s = 10;
  children = (
    { name = "a"; type = "process"; shutdown_ms = 3000;
      command = [ "/bin/sh", "-c",
        "trap 'echo a got TERM; exit 0' TERM; sleep 1000 & echo \"gc $!\"; echo \"leader $$$$\"; wait" ]; },
    { name = "b"; type = "process"; shutdown_ms = 3000;
      command = [ "/bin/sh", "-c",
        "trap 'echo b got TERM; exit 0' TERM; sleep 1000 & echo \"gc $!\"; echo \"leader $$$$\"; wait" ]; }
  );
};
)";

TEST_F(cli_test, warden_killed_with_sigkill_leaves_no_process_behind) {
  // Orphans come to this test process (not to init), which reaps them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  auto warden = start({"run", "-c", cfg(two_families).string()});
  ASSERT_TRUE(await_output("stdout: leader ", 2));
  ASSERT_TRUE(await_output("stdout: gc ", 2));
  auto out = output();
  auto pids = numbers_after(out, "stdout: leader ");
  for (auto gc : numbers_after(out, "stdout: gc "))
    pids.push_back(gc);
  ASSERT_EQ(pids.size(), 4u) << out;
  for (auto pid : pids)
    ASSERT_TRUE(running(pid)) << pid;
  warden->signal(SIGKILL);
  EXPECT_EQ(warden->wait(), 128 + SIGKILL);
  for (auto pid : pids)
    EXPECT_TRUE(wait_gone(pid)) << "pid " << pid << " outlived warden";
  // Reap what came to us (the processes above and warden's guardian).
  auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    int rc = ::waitpid(-1, nullptr, WNOHANG);
    if (rc < 0)
      break; // no children left
    if (rc == 0)
      ::poll(nullptr, 0, 10); // a child still running (the guardian finishing)
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_F(cli_test, sigterm_stops_process_children_with_sigterm_and_exits_0) {
  auto warden = start({"run", "-c", cfg(two_families).string()});
  ASSERT_TRUE(await_output("stdout: gc ", 2));
  ASSERT_TRUE(await_output("stdout: leader ", 2));
  auto out = output();
  auto pids = numbers_after(out, "stdout: leader ");
  for (auto gc : numbers_after(out, "stdout: gc "))
    pids.push_back(gc);
  ASSERT_EQ(pids.size(), 4u) << out;
  warden->signal(SIGTERM);
  EXPECT_EQ(warden->wait(), 0) << output();
  out = output();
  // Right to left: b first, each within its deadline, with no straggler.
  EXPECT_TRUE(ascending(positions(out, {"stdout: b got TERM", "stdout: a got TERM"})))
      << out;
  EXPECT_EQ(out.find("event=killed"), std::string::npos) << out;
  for (auto pid : pids)
    EXPECT_TRUE(wait_gone(pid, 1s)) << pid;
}

TEST_F(cli_test, example_worker_process_gets_guid_port_and_config) {
  auto warden = start({"run", "-c", WARDEN_EXAMPLE_WORKER_CFG});
  ASSERT_TRUE(await_output("listening on port "));
  ASSERT_TRUE(await_output("the worker is ready: the client starts now"));
  auto out = output();
  // "worker <guid>: listening on port <n>"
  auto at = out.find(": listening on port ");
  ASSERT_NE(at, std::string::npos) << out;
  ASSERT_GT(at, 36u);
  auto guid = out.substr(at - 36, 36);
  EXPECT_EQ(out.substr(at - 36 - 7, 7), "worker ") << out;
  auto port = std::atoi(out.c_str() + at + std::string{": listening on port "}.size());
  ASSERT_GT(port, 0) << out;
  // The config from standard input, and the readiness order.
  EXPECT_NE(
      out.find("worker " + guid + ": config: greeting = \"hello\", startup_ms = 200"),
      std::string::npos)
      << out;
  EXPECT_TRUE(ascending(positions(out, {"listening on port", "the worker is ready"})))
      << out;
  // It answers on its port.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  char buf[256];
  std::string answer;
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;)
    answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(answer, "hello from worker " + guid + "\n");
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(), 0) << output();
  // Our connection and warden's readiness check: two.
  EXPECT_NE(output().find("worker " + guid + ": SIGTERM after 2 connections, bye"),
            std::string::npos)
      << output();
}

TEST_F(cli_test, example_supervisord_starts_in_order_and_stops_in_reverse) {
  auto warden = start({"run", "-c", WARDEN_EXAMPLES_DIR "/supervisord/warden.cfg"});
  ASSERT_TRUE(await_output("web: up"));
  ASSERT_TRUE(await_output("worker: up"));
  ASSERT_TRUE(await_output("queue: up"));
  auto out = output();
  EXPECT_TRUE(ascending(
      positions(out, {"child=root/queue event=started", "child=root/worker event=started",
                      "child=root/web event=started"})))
      << out;
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(), 0) << output();
  out = output();
  EXPECT_TRUE(
      ascending(positions(out, {"web: stopping", "worker: stopping", "queue: stopping"})))
      << out;
  EXPECT_EQ(out.find("event=crashed"), std::string::npos) << out;
}

} // namespace
