#include "process_guardian.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace warden::detail {

namespace {

/// One message to the helper: add or remove a group.
struct record {
  int32_t op;
  int32_t pgid;
};

constexpr int32_t op_add = 1;
constexpr int32_t op_remove = 2;

/// The groups the helper can track at once (preallocated before the fork:
/// the helper must not allocate).
constexpr size_t capacity = 1 << 16;

/// The helper's body: async-signal-safe calls only (the fork copied one
/// thread of a multi-threaded process). Never returns.
[[noreturn]] void guardian_main(int fd, int32_t* table) {
  ::prctl(PR_SET_NAME, "warden-guard", 0, 0, 0);
  // Out of warden's session and process group: a Ctrl-C or a kill of
  // warden's group must not take the guardian along. Signals that ask
  // politely are ignored; it leaves on its own once warden is gone.
  ::setsid();
  struct sigaction ignore;
  std::memset(&ignore, 0, sizeof(ignore));
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2})
    ::sigaction(sig, &ignore, nullptr);
  // Keep only the socket: holding copies of warden's files and sockets
  // would keep them open after warden closed them.
  int null_fd = ::open("/dev/null", O_RDWR);
  for (int i = 0; i < 3; ++i)
    if (null_fd >= 0 && null_fd != i)
      ::dup2(null_fd, i);
  if (fd != 3) {
    ::dup2(fd, 3);
    fd = 3;
  }
  if (::syscall(SYS_close_range, 4u, ~0u, 0u) != 0)
    for (int i = 4; i < 65536; ++i)
      ::close(i);
  [[maybe_unused]] auto ignored = ::chdir("/");
  size_t count = 0;
  char buf[4096];
  size_t have = 0;
  for (;;) {
    auto n = ::read(fd, buf + have, sizeof(buf) - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    have += static_cast<size_t>(n);
    size_t pos = 0;
    for (; pos + sizeof(record) <= have; pos += sizeof(record)) {
      record r;
      std::memcpy(&r, buf + pos, sizeof(r));
      if (r.op == op_add) {
        if (count < capacity)
          table[count++] = r.pgid;
      } else {
        for (size_t i = 0; i < count; ++i)
          if (table[i] == r.pgid) {
            table[i] = table[--count];
            break;
          }
      }
    }
    std::memmove(buf, buf + pos, have - pos);
    have -= pos;
  }
  for (size_t i = 0; i < count; ++i)
    ::kill(-table[i], SIGKILL);
  ::_exit(0);
}

} // namespace

bool process_guardian::start() {
  if (stopped_)
    return false;
  if (pid_ > 0) {
    // A helper that died (someone killed it): reap it before the next.
    ::waitpid(pid_, nullptr, WNOHANG);
    pid_ = -1;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return false;
  std::vector<int32_t> table(capacity);
  auto pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    ::close(fds[0]);
    guardian_main(fds[1], table.data());
  }
  ::close(fds[1]);
  fd_ = fds[0];
  pid_ = pid;
  for (auto pgid : groups_)
    if (!send(op_add, pgid))
      return false;
  return true;
}

void process_guardian::stop() {
  stopped_ = true;
  if (fd_ >= 0) {
    // End of file for the helper (also if a copy of the socket lingers in
    // some forked process): it kills what is still listed and exits.
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
  }
  if (pid_ > 0) {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR)
      ; // retry
    pid_ = -1;
  }
}

bool process_guardian::send(int op, pid_t pgid) {
  record r{op, static_cast<int32_t>(pgid)};
  const char* data = reinterpret_cast<const char*>(&r);
  size_t left = sizeof(r);
  while (left > 0) {
    auto n = ::send(fd_, data, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

void process_guardian::add(pid_t pgid) {
  groups_.push_back(pgid);
  if (fd_ >= 0 && send(op_add, pgid))
    return;
  // No helper yet, or it is gone: start one, briefed with every group.
  if (!start() && !stopped_) {
    if (auto log = spdlog::get("services"))
      log->warn("process guardian: cannot start ({}); children of a killed warden "
                "may outlive it",
                std::strerror(errno));
  }
}

void process_guardian::remove(pid_t pgid) {
  auto i = std::find(groups_.begin(), groups_.end(), pgid);
  if (i != groups_.end()) {
    *i = groups_.back();
    groups_.pop_back();
  }
  if (fd_ >= 0 && !send(op_remove, pgid))
    start();
}

} // namespace warden::detail
