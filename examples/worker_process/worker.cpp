// A worker program as warden launches it (examples/worker_process/warden.cfg):
//
//   warden_example_worker --guid G --port N      its config on standard input
//
// It reads its config (the child's `params`, as libconfig text) from
// standard input until end of file, warms up for `startup_ms`, listens on
// 127.0.0.1:N (warden's `ready = "port"` holds dependants back until then),
// answers every connection with one line, and exits 0 on SIGTERM. Its
// stdout goes to warden's log, one line per log line, tagged with its path.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libconfig.h++>

namespace {

volatile std::sig_atomic_t stopping = 0;

void on_term(int) {
  stopping = 1;
}

} // namespace

int main(int argc, char** argv) {
  // Line-buffered: stdout is a pipe to warden, and each line should reach
  // the log as it is written.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // 1. The arguments warden appends for `port = "auto"`.
  std::string guid = "?";
  int port = 0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--guid") == 0)
      guid = argv[++i];
    else if (std::strcmp(argv[i], "--port") == 0)
      port = std::atoi(argv[++i]);
  }
  if (port <= 0) {
    std::fprintf(stderr, "usage: %s --guid G --port N < config\n", argv[0]);
    return 2;
  }
  // 2. The config: `stdin = "section"` writes the params, then closes.
  std::string text{std::istreambuf_iterator<char>{std::cin}, {}};
  libconfig::Config cfg;
  try {
    cfg.readString(text);
  } catch (const libconfig::ParseException& e) {
    std::fprintf(stderr, "config line %d: %s\n", e.getLine(), e.getError());
    return 1;
  }
  std::string greeting = "hello";
  int startup_ms = 0;
  cfg.lookupValue("greeting", greeting);
  cfg.lookupValue("startup_ms", startup_ms);
  std::printf("worker %s: config: greeting = \"%s\", startup_ms = %d\n", guid.c_str(),
              greeting.c_str(), startup_ms);
  // 3. SIGTERM is how warden asks it to stop. Blocked except while waiting
  // (ppoll below), so that no request slips between a check and the wait.
  struct sigaction sa {};
  sa.sa_handler = on_term;
  ::sigaction(SIGTERM, &sa, nullptr);
  sigset_t term, none;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigemptyset(&none);
  ::sigprocmask(SIG_BLOCK, &term, nullptr);
  // 4. Warm up, then listen: from here on warden counts it as ready.
  ::poll(nullptr, 0, startup_ms);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 16) != 0) {
    std::fprintf(stderr, "port %d: %s\n", port, std::strerror(errno));
    return 1;
  }
  std::printf("worker %s: listening on port %d\n", guid.c_str(), port);
  // 5. Serve until SIGTERM.
  unsigned served = 0;
  while (!stopping) {
    pollfd pfd{fd, POLLIN, 0};
    if (::ppoll(&pfd, 1, nullptr, &none) <= 0)
      continue;
    int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    auto line = greeting + " from worker " + guid + "\n";
    [[maybe_unused]] auto n = ::write(c, line.data(), line.size());
    ::close(c);
    ++served;
  }
  std::printf("worker %s: SIGTERM after %u connections, bye\n", guid.c_str(), served);
  return 0;
}

// Expected log, run by warden (path, pid, then the line):
//   [services] root/worker[4242] started: ./warden_example_worker --guid 1b4e... --port
//   40613 [services] root/worker[4242] stdout: worker 1b4e...: config: greeting =
//   "hello", startup_ms = 200 [services] root/worker[4242] stdout: worker 1b4e...:
//   listening on port 40613 [services] root/client[4250] stdout: the worker is ready: the
//   client starts now
//   ... Ctrl-C (the one connection was warden's readiness check) ...
//   [services] root/worker[4242] stdout: worker 1b4e...: SIGTERM after 1 connections, bye
//   [services] root/worker[4242] exited: exit 0
