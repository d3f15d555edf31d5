// A small program for the `process` tests, run under warden as a child:
//
//   proc_helper listen [--delay-ms N] [--mark FILE] --port P [--guid G]
//       waits N ms, listens on 127.0.0.1:P, then writes FILE (its port),
//       accepts and closes connections until SIGTERM (exit 0)
//   proc_helper notify [--delay-ms N] [--mark FILE] [--status TEXT]
//       sends STATUS=TEXT to $NOTIFY_SOCKET, waits N ms, writes FILE, then
//       sends READY=1 with STATUS=serving and waits for SIGTERM (exit 0)
//
// Arguments it does not know (such as --guid) are ignored.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t stop = 0;

void on_term(int) {
  stop = 1;
}

void sleep_ms(long ms) {
  if (ms > 0)
    ::poll(nullptr, 0, static_cast<int>(ms));
}

bool notify(const std::string& text) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0')
    return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::strlen(name);
  if (len >= sizeof(addr.sun_path))
    return false;
  std::memcpy(addr.sun_path, name, len);
  if (addr.sun_path[0] == '@')
    addr.sun_path[0] = '\0'; // abstract namespace
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  bool ok = fd >= 0 && ::sendto(fd, text.data(), text.size(), 0,
                                reinterpret_cast<sockaddr*>(&addr), addr_len) >= 0;
  if (fd >= 0)
    ::close(fd);
  return ok;
}

void mark(const std::string& file, const std::string& text) {
  if (file.empty())
    return;
  // Written under a temporary name, then renamed: a reader sees all or nothing.
  auto tmp = file + ".tmp";
  std::ofstream{tmp} << text;
  std::rename(tmp.c_str(), file.c_str());
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: proc_helper listen|notify [options]\n");
    return 2;
  }
  std::string mode = argv[1], mark_file, status;
  long delay = 0;
  int port = 0;
  for (int i = 2; i + 1 < argc; ++i) {
    std::string key = argv[i];
    if (key == "--delay-ms")
      delay = std::atol(argv[++i]);
    else if (key == "--mark")
      mark_file = argv[++i];
    else if (key == "--port")
      port = std::atoi(argv[++i]);
    else if (key == "--status")
      status = argv[++i];
  }
  // SIGTERM stays blocked except inside ppoll: no stop is missed between
  // a check of `stop` and the wait.
  struct sigaction sa {};
  sa.sa_handler = on_term;
  ::sigaction(SIGTERM, &sa, nullptr);
  sigset_t term, none;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigemptyset(&none);
  ::sigprocmask(SIG_BLOCK, &term, nullptr);
  if (mode == "listen") {
    sleep_ms(delay);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, 16) != 0) {
      std::fprintf(stderr, "listen on port %d: %s\n", port, std::strerror(errno));
      return 1;
    }
    mark(mark_file, std::to_string(port));
    std::printf("listening on %d\n", port);
    std::fflush(stdout);
    while (!stop) {
      pollfd pfd{fd, POLLIN, 0};
      if (::ppoll(&pfd, 1, nullptr, &none) > 0) {
        int c = ::accept(fd, nullptr, nullptr);
        if (c >= 0)
          ::close(c);
      }
    }
    return 0;
  }
  if (mode == "notify") {
    if (!status.empty() && !notify("STATUS=" + status)) {
      std::fprintf(stderr, "no NOTIFY_SOCKET\n");
      return 1;
    }
    sleep_ms(delay);
    mark(mark_file, "ready");
    notify("READY=1\nSTATUS=serving");
    while (!stop)
      ::ppoll(nullptr, 0, nullptr, &none);
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
