#include "process_reactor.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "warden/services/process.hpp"
#include "warden/services/process_groups.hpp"

extern char** environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace warden::detail {

namespace {

/// Longer output lines are logged in pieces of this size.
constexpr size_t max_line = 8192;

// What an epoll tag refers to: (id << 3) | kind; tag 0 is the wake-up fd.
enum kind : uint64_t {
  k_wake = 0,
  k_exit = 1,
  k_out = 2,
  k_err = 3,
  k_in = 4,
  k_notify = 5,
};

uint64_t tag_of(uint64_t id, kind k) {
  return (id << 3) | k;
}

// -- the child between fork and exec --------------------------------------

/// Where starting failed, reported through the status pipe.
enum stage : int {
  stage_setsid = 1,
  stage_dup,
  stage_chdir,
  stage_setgroups,
  stage_setgid,
  stage_setuid,
  stage_prctl,
  stage_exec,
};

struct child_error {
  int stage;
  int err;
};

/// Everything the child needs, prepared before the fork. The child comes
/// from vfork: it shares warden's memory, and this thread waits until it
/// has called exec (or _exit), so starting does not copy warden's page
/// tables (twice the restart rate of fork). Between vfork and exec the
/// child therefore only makes system calls: no allocation, no locks, no
/// writes to shared memory beyond its own stack frames.
struct child_setup {
  int in, out, err, status;
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd; // null: keep
  bool switch_user;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  size_t group_count;
  pid_t parent;
};

[[noreturn]] void report(const child_setup& s, int stage) {
  child_error e{stage, errno};
  [[maybe_unused]] auto n = ::write(s.status, &e, sizeof(e));
  ::_exit(127);
}

[[noreturn]] void child_main(const child_setup& s) {
  // Its own session and process group: signals reach its children too, and
  // a terminal's Ctrl-C reaches only warden, which stops it in order.
  if (::setsid() < 0)
    report(s, stage_setsid);
  auto move_to = [](int fd, int target) {
    // (dup2 onto itself would keep close-on-exec set.)
    return fd == target ? ::fcntl(fd, F_SETFD, 0) : ::dup2(fd, target);
  };
  if (move_to(s.in, 0) < 0 || move_to(s.out, 1) < 0 || move_to(s.err, 2) < 0)
    report(s, stage_dup);
  // Nothing else of warden's leaks into the program (the status pipe closes
  // at exec, which is how the parent learns that exec succeeded).
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 4096; ++fd)
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &dfl, nullptr); // ignored signals would stay ignored
  if (s.switch_user) {
    // Raw system calls: glibc's wrappers would apply the change to every
    // thread it knows of, and after vfork those are warden's threads.
    if (::syscall(SYS_setgroups, s.group_count, s.groups) != 0)
      report(s, stage_setgroups);
    if (::syscall(SYS_setgid, s.gid) != 0)
      report(s, stage_setgid);
    if (::syscall(SYS_setuid, s.uid) != 0)
      report(s, stage_setuid);
  }
  if (s.cwd != nullptr && ::chdir(s.cwd) != 0)
    report(s, stage_chdir);
  // After the credentials change, which clears it: if this thread of warden
  // ends (warden is killed), the kernel kills the program.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    report(s, stage_prctl);
  if (::getppid() != s.parent)
    ::_exit(127); // warden died before the line above
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(s.file, s.argv, s.envp);
  report(s, stage_exec);
}

std::string stage_text(const child_error& e, const spawn_request& req) {
  std::string what;
  switch (e.stage) {
    case stage_setsid:
      what = "setsid: ";
      break;
    case stage_dup:
      what = "dup2: ";
      break;
    case stage_chdir:
      what = "cwd " + req.cwd + ": ";
      break;
    case stage_setgroups:
      what = "setgroups: ";
      break;
    case stage_setgid:
      what = "setgid: ";
      break;
    case stage_setuid:
      what = "user " + req.user + ": ";
      break;
    case stage_prctl:
      what = "prctl: ";
      break;
    default:
      break;
  }
  return what + std::strerror(e.err);
}

// -- before the fork -------------------------------------------------------

bool executable(const std::string& file) {
  struct stat st;
  return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(file.c_str(), X_OK) == 0;
}

/// `name` (no '/') in the directories of `path`, or "" when not found.
std::string search_path(const std::string& name, const std::string& path) {
  size_t start = 0;
  for (;;) {
    auto end = path.find(':', start);
    auto dir = path.substr(start, end == std::string::npos ? end : end - start);
    auto candidate = (dir.empty() ? std::string{"."} : dir) + "/" + name;
    if (executable(candidate))
      return candidate;
    if (end == std::string::npos)
      return {};
    start = end + 1;
  }
}

struct user_info {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::vector<gid_t> groups;
};

/// Looks `name` up; the error text when that fails.
std::string lookup_user(const std::string& name, user_info& out) {
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  int rc = 0;
  while ((rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (found == nullptr)
    return "unknown user '" + name + "'" +
           (rc != 0 ? std::string{" ("} + std::strerror(rc) + ")" : std::string{});
  out.uid = pw.pw_uid;
  out.gid = pw.pw_gid;
  out.home = pw.pw_dir != nullptr ? pw.pw_dir : "/";
  int count = 32;
  out.groups.resize(static_cast<size_t>(count));
  while (::getgrouplist(name.c_str(), pw.pw_gid, out.groups.data(), &count) < 0)
    out.groups.resize(static_cast<size_t>(count));
  out.groups.resize(static_cast<size_t>(count));
  return {};
}

std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> result;
  result.reserve(xs.size() + 1);
  for (auto& x : xs)
    result.push_back(x.data());
  result.push_back(nullptr);
  return result;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

} // namespace

// -- the reactor -------------------------------------------------------------

namespace {

std::atomic<process_reactor*> the_reactor{nullptr};

} // namespace

process_reactor* process_reactor::if_started() noexcept {
  return the_reactor.load();
}

process_reactor& process_reactor::instance() {
  // Never destroyed: the thread serves until the process exits (see
  // `at_exit`), and the programs it forked are bound to it
  // (PR_SET_PDEATHSIG).
  static auto* reactor = new process_reactor;
  return *reactor;
}

void process_reactor::at_exit() {
  auto reactor = the_reactor.load();
  if (reactor != nullptr && reactor->creator_ == ::getpid())
    reactor->stop();
}

void process_reactor::stop() {
  push(quit_cmd{});
  if (thread_.joinable())
    thread_.join();
  guardian_.stop();
}

void process_reactor::kill_all() {
  std::lock_guard<std::mutex> guard{live_mtx_};
  for (auto& [id, p] : procs_) {
    ::kill(-p.pid, SIGKILL);
    guardian_.remove(p.pid);
    while (::waitpid(p.pid, nullptr, 0) < 0 && errno == EINTR)
      ; // retry
    for (int* fd : {&p.pidfd, &p.out.fd, &p.err.fd, &p.in, &p.notify})
      close_fd(*fd);
  }
  procs_.clear();
  live_.clear();
  pending_spawns_ = 0;
  live_cv_.notify_all();
}

std::vector<process_reactor::running> process_reactor::kill_all_now() {
  std::vector<running> result;
  std::lock_guard<std::mutex> guard{live_mtx_};
  for (auto& [id, p] : live_) {
    if (p.reaped)
      continue;
    // Not reaped: its pid, and so its group id, is still its own.
    if (::kill(-p.pid, SIGKILL) != 0)
      ::kill(p.pid, SIGKILL); // it left its group (setsid of its own)
    result.push_back(running{p.path, p.pid});
  }
  return result;
}

bool process_reactor::await_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{live_mtx_};
  return live_cv_.wait_for(guard, timeout,
                           [this] { return live_.empty() && pending_spawns_ == 0; });
}

spdlog::logger& process_reactor::log() {
  // spdlog::get takes the registry's lock; the reactor logs a line per line
  // of output, as before. A logger that setup_logging replaced is picked up.
  if (auto x = spdlog::get("services"))
    log_ = std::move(x);
  else if (!log_)
    log_ = spdlog::default_logger();
  if (!log_) // nothing registered, or after spdlog::shutdown: no sinks
    log_ = std::make_shared<spdlog::logger>("services");
  return *log_;
}

uint64_t process_reactor::next_id() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

process_reactor::process_reactor() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_ < 0 || wake_ < 0)
    throw std::system_error(errno, std::generic_category(), "process reactor");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = k_wake;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  // The thread starts with every signal blocked: process signals belong to
  // warden's signal thread, and a write to a closed pipe returns EPIPE here
  // instead of raising SIGPIPE.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread{[this] { run(); }};
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  // spdlog's registry exists before our exit handler is registered, so it
  // is destroyed after the handler has stopped the thread that logs.
  spdlog::default_logger();
  creator_ = ::getpid();
  the_reactor = this;
  std::atexit(at_exit);
}

void process_reactor::spawn(spawn_request req, caf::actor owner) {
  {
    std::lock_guard<std::mutex> guard{owners_mtx_};
    owners_[req.id] = std::move(owner);
  }
  {
    std::lock_guard<std::mutex> guard{live_mtx_};
    ++pending_spawns_;
  }
  push(std::move(req));
}

void process_reactor::signal(uint64_t id, int sig) {
  push(signal_cmd{id, sig});
}

void process_reactor::release(uint64_t id) {
  caf::actor owner;
  {
    std::lock_guard<std::mutex> guard{owners_mtx_};
    if (auto i = owners_.find(id); i != owners_.end()) {
      owner = std::move(i->second);
      owners_.erase(i);
    }
  }
  push(signal_cmd{id, SIGKILL});
}

void process_reactor::push(command cmd) {
  {
    std::lock_guard<std::mutex> guard{queue_mtx_};
    queue_.push_back(std::move(cmd));
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof(one));
}

bool process_reactor::has_owner(uint64_t id) {
  std::lock_guard<std::mutex> guard{owners_mtx_};
  return owners_.count(id) > 0;
}

template <class... Ts>
void process_reactor::tell(uint64_t id, bool last, Ts&&... xs) {
  // Under the lock: an owner that released its id is never sent to, and no
  // handle is held outside it (an actor system may end after a release).
  std::lock_guard<std::mutex> guard{owners_mtx_};
  auto i = owners_.find(id);
  if (i == owners_.end())
    return;
  caf::anon_send(i->second, std::forward<Ts>(xs)...);
  if (last)
    owners_.erase(i);
}

void process_reactor::run() {
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_, events, 64, -1);
    if (n < 0) {
      if (errno != EINTR)
        log().error("process reactor: epoll_wait: {}", std::strerror(errno));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == k_wake) {
        uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_, &count, sizeof(count));
        take_commands();
      } else {
        on_event(events[i].data.u64, events[i].events);
      }
    }
    if (quitting_) {
      kill_all();
      return;
    }
  }
}

void process_reactor::take_commands() {
  std::deque<command> cmds;
  {
    std::lock_guard<std::mutex> guard{queue_mtx_};
    cmds.swap(queue_);
  }
  for (auto& cmd : cmds) {
    if (auto req = std::get_if<spawn_request>(&cmd)) {
      if (!quitting_)
        start(*req);
      std::lock_guard<std::mutex> guard{live_mtx_};
      if (pending_spawns_ > 0)
        --pending_spawns_;
      live_cv_.notify_all();
    } else if (auto sig = std::get_if<signal_cmd>(&cmd))
      on_signal(*sig);
    else
      quitting_ = true;
  }
}

namespace {

/// vfork in a frame of its own: `returns_twice` would make the compiler
/// assume that every local of the caller may be clobbered (-Wclobbered).
/// The child never returns from here (exec or _exit).
__attribute__((noinline)) pid_t vfork_child(const child_setup& setup) {
  auto pid = ::vfork();
  if (pid == 0)
    child_main(setup); // does not return
  return pid;
}

} // namespace

void process_reactor::start(spawn_request& req) {
  if (!has_owner(req.id))
    return; // its actor is gone already
  auto shown = req.argv.empty() ? std::string{"?"} : req.argv[0];
  auto fail = [&](const std::string& why) {
    tell(req.id, true, proc_failed_atom::value, req.id,
         "cannot start " + shown + ": " + why);
  };
  if (req.argv.empty() || req.argv[0].empty()) {
    fail("empty command");
    return;
  }
  // The environment: warden's, the user's, then the child's own settings.
  // systemd's notify and watchdog variables are for warden alone (its unit
  // has NotifyAccess=main): a child gets NOTIFY_SOCKET only from `ready`.
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv{*e};
    auto eq = kv.find('=');
    if (eq == std::string_view::npos)
      continue;
    auto name = kv.substr(0, eq);
    if (name == "NOTIFY_SOCKET" || name == "WATCHDOG_USEC" || name == "WATCHDOG_PID")
      continue;
    env[std::string{name}] = std::string{kv.substr(eq + 1)};
  }
  user_info user;
  bool switch_user = false;
  if (!req.user.empty()) {
    if (auto why = lookup_user(req.user, user); !why.empty()) {
      fail(why);
      return;
    }
    if (::geteuid() == 0) {
      switch_user = true;
      env["HOME"] = user.home;
      env["USER"] = req.user;
      env["LOGNAME"] = req.user;
    } else if (user.uid != ::geteuid()) {
      fail("user '" + req.user + "': switching users needs warden to run as root");
      return;
    }
  }
  for (auto& kv : req.env)
    env[kv.first] = kv.second;
  int notify_fd = -1;
  if (!req.notify_name.empty()) {
    notify_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    auto len = std::min(req.notify_name.size(), sizeof(addr.sun_path) - 1);
    std::memcpy(addr.sun_path + 1, req.notify_name.data(), len); // abstract
    auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + len);
    if (notify_fd < 0 ||
        ::bind(notify_fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
      auto why = std::string{"notify socket: "} + std::strerror(errno);
      if (notify_fd >= 0)
        ::close(notify_fd);
      fail(why);
      return;
    }
    env["NOTIFY_SOCKET"] = "@" + req.notify_name.substr(0, len);
  }
  // The program: a name without '/' is looked up in the child's PATH.
  std::string file = req.argv[0];
  if (file.find('/') == std::string::npos) {
    auto path =
        env.count("PATH") ? env["PATH"] : std::string{"/usr/local/bin:/usr/bin:/bin"};
    file = search_path(req.argv[0], path);
    if (file.empty()) {
      if (notify_fd >= 0)
        ::close(notify_fd);
      fail("not found in PATH (" + path + ")");
      return;
    }
  }
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (auto& kv : env)
    env_strings.push_back(kv.first + "=" + kv.second);
  auto argv = c_strings(req.argv);
  auto envp = c_strings(env_strings);
  // Standard input, output and error; the status pipe reports a failure
  // before exec (and closes at exec).
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1},
      status_pipe[2] = {-1, -1};
  bool ok = true;
  if (req.stdin_pipe) {
    ok = ::pipe2(in_pipe, O_CLOEXEC) == 0;
  } else {
    in_pipe[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ok = in_pipe[0] >= 0;
  }
  ok = ok && ::pipe2(out_pipe, O_CLOEXEC) == 0 && ::pipe2(err_pipe, O_CLOEXEC) == 0 &&
       ::pipe2(status_pipe, O_CLOEXEC) == 0;
  auto close_all = [&] {
    for (int* fd : {&in_pipe[0], &in_pipe[1], &out_pipe[0], &out_pipe[1], &err_pipe[0],
                    &err_pipe[1], &status_pipe[0], &status_pipe[1], &notify_fd})
      close_fd(*fd);
  };
  if (!ok) {
    auto why = std::string{"pipe: "} + std::strerror(errno);
    close_all();
    fail(why);
    return;
  }
  child_setup setup{in_pipe[0],         out_pipe[1],
                    err_pipe[1],        status_pipe[1],
                    file.c_str(),       argv.data(),
                    envp.data(),        req.cwd.empty() ? nullptr : req.cwd.c_str(),
                    switch_user,        user.uid,
                    user.gid,           user.groups.data(),
                    user.groups.size(), ::getpid()};
  auto pid = vfork_child(setup);
  // Here the child has called exec or _exit.
  for (int* fd : {&in_pipe[0], &out_pipe[1], &err_pipe[1], &status_pipe[1]})
    close_fd(*fd);
  if (pid < 0) {
    auto why = std::string{"fork: "} + std::strerror(errno);
    close_all();
    fail(why);
    return;
  }
  guardian_.add(pid);
  child_error e{0, 0};
  ssize_t n;
  do {
    n = ::read(status_pipe[0], &e, sizeof(e));
  } while (n < 0 && errno == EINTR);
  close_fd(status_pipe[0]);
  int pidfd = -1;
  if (n == static_cast<ssize_t>(sizeof(e))) {
    fail(stage_text(e, req));
  } else if (pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); pidfd < 0) {
    fail(std::string{"pidfd_open (Linux 5.3 or later): "} + std::strerror(errno));
    ::kill(-pid, SIGKILL);
  }
  if (pidfd < 0) {
    guardian_.remove(pid);
    ::waitpid(pid, nullptr, 0);
    close_all();
    return;
  }
  // Running: watch its exit, output, input and notify socket.
  proc p;
  p.id = req.id;
  p.pid = pid;
  p.path = std::move(req.path);
  p.pidfd = pidfd;
  p.out.fd = out_pipe[0];
  p.err.fd = err_pipe[0];
  p.in = in_pipe[1];
  p.in_data = std::move(req.stdin_text);
  p.notify = notify_fd;
  auto watch = [&](int fd, kind k, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag_of(p.id, k);
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  };
  set_nonblocking(p.out.fd);
  set_nonblocking(p.err.fd);
  watch(p.pidfd, k_exit, EPOLLIN);
  watch(p.out.fd, k_out, EPOLLIN);
  watch(p.err.fd, k_err, EPOLLIN);
  if (p.notify >= 0)
    watch(p.notify, k_notify, EPOLLIN);
  auto id = p.id;
  {
    std::lock_guard<std::mutex> guard{live_mtx_};
    live_[id] = live_entry{pid, p.path, false};
  }
  auto& stored = procs_.emplace(id, std::move(p)).first->second;
  if (stored.in >= 0) {
    set_nonblocking(stored.in);
    write_input(stored);
    if (stored.in >= 0)
      watch(stored.in, k_in, EPOLLOUT);
  }
  std::string line;
  for (auto& arg : req.argv)
    line += (line.empty() ? "" : " ") + arg;
  log().info("{}[{}] started: {}", stored.path, pid, line);
  tell(id, false, proc_started_atom::value, id, static_cast<int32_t>(pid));
}

void process_reactor::on_signal(const signal_cmd& cmd) {
  auto i = procs_.find(cmd.id);
  if (i == procs_.end())
    return; // not started or reaped already
  // The leader is not reaped yet, so its group id still names its group.
  auto pid = i->second.pid;
  if (::kill(-pid, cmd.sig) != 0)
    ::kill(pid, cmd.sig); // it left its group (setsid of its own)
}

void process_reactor::on_event(uint64_t tag, uint32_t) {
  auto i = procs_.find(tag >> 3);
  if (i == procs_.end())
    return; // gone earlier in this round
  auto& p = i->second;
  switch (tag & 7) {
    case k_exit:
      on_exit(p);
      break;
    case k_out:
      read_output(p, p.out, "stdout", false);
      break;
    case k_err:
      read_output(p, p.err, "stderr", false);
      break;
    case k_in:
      write_input(p);
      break;
    case k_notify:
      read_notify(p);
      break;
    default:
      break;
  }
}

void process_reactor::on_exit(proc& p) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  // Look without reaping: while the leader is a zombie its pid, and so its
  // group id, cannot be reused.
  if (::waitid(P_PID, static_cast<id_t>(p.pid), &info, WEXITED | WNOWAIT | WNOHANG) !=
          0 ||
      info.si_pid == 0)
    return;
  // What is left of its group (background children) goes with it.
  ::kill(-p.pid, SIGKILL);
  read_output(p, p.out, "stdout", true);
  read_output(p, p.err, "stderr", true);
  for (auto* o : {&p.out, &p.err}) {
    if (!o->buf.empty())
      log_line(p, o == &p.out ? "stdout" : "stderr", o->buf);
    close_fd(o->fd);
  }
  if (p.notify >= 0)
    read_notify(p);
  guardian_.remove(p.pid);
  {
    // Under the lock: `kill_all_now` never signals a reaped group id. The
    // leader is a zombie already, so this returns at once.
    std::lock_guard<std::mutex> guard{live_mtx_};
    siginfo_t reaped;
    while (::waitid(P_PID, static_cast<id_t>(p.pid), &reaped, WEXITED) != 0 &&
           errno == EINTR)
      ; // retry
    if (auto i = live_.find(p.id); i != live_.end())
      i->second.reaped = true;
  }
  int32_t code = -1, sig = 0;
  bool core = false;
  if (info.si_code == CLD_EXITED) {
    code = info.si_status;
  } else {
    sig = info.si_status;
    core = info.si_code == CLD_DUMPED;
  }
  close_fd(p.pidfd);
  close_fd(p.in);
  close_fd(p.notify);
  log().info("{}[{}] exited: {}", p.path, p.pid, describe_exit(code, sig, core));
  auto id = p.id;
  procs_.erase(id);
  tell(id, true, proc_exit_atom::value, id, code, sig, core);
  std::lock_guard<std::mutex> guard{live_mtx_};
  live_.erase(id);
  live_cv_.notify_all();
}

void process_reactor::read_output(proc& p, output& o, const char* stream, bool drain) {
  char chunk[65536];
  while (o.fd >= 0) {
    auto n = ::read(o.fd, chunk, sizeof(chunk));
    if (n > 0) {
      o.buf.append(chunk, static_cast<size_t>(n));
      size_t start = 0;
      for (auto nl = o.buf.find('\n'); nl != std::string::npos;
           nl = o.buf.find('\n', start)) {
        auto len = nl - start;
        if (len > 0 && o.buf[nl - 1] == '\r')
          --len;
        log_line(p, stream, o.buf.substr(start, len));
        start = nl + 1;
      }
      o.buf.erase(0, start);
      while (o.buf.size() >= max_line) {
        log_line(p, stream, o.buf.substr(0, max_line));
        o.buf.erase(0, max_line);
      }
      if (!drain)
        return; // level-triggered: the rest comes with the next round
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    // End of file (or an error): the last partial line, then done.
    if (!o.buf.empty()) {
      log_line(p, stream, o.buf);
      o.buf.clear();
    }
    close_fd(o.fd);
  }
}

void process_reactor::write_input(proc& p) {
  while (p.in >= 0 && p.in_offset < p.in_data.size()) {
    auto n =
        ::write(p.in, p.in_data.data() + p.in_offset, p.in_data.size() - p.in_offset);
    if (n > 0) {
      p.in_offset += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return; // the pipe is full: EPOLLOUT brings us back
    } else {
      break; // it closed its standard input
    }
  }
  close_fd(p.in);
  p.in_data.clear();
  p.in_data.shrink_to_fit();
}

void process_reactor::read_notify(proc& p) {
  char buf[4096];
  for (;;) {
    auto n = ::recv(p.notify, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return;
    tell(p.id, false, proc_notify_atom::value, p.id,
         std::string(buf, static_cast<size_t>(n)));
  }
}

void process_reactor::close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd); // also leaves the epoll set
    fd = -1;
  }
}

void process_reactor::log_line(const proc& p, const char* stream,
                               const std::string& line) {
  log().info("{}[{}] {}: {}", p.path, p.pid, stream, line);
}

} // namespace warden::detail

namespace warden {

std::vector<running_process> kill_all_processes() {
  std::vector<running_process> result;
  if (auto reactor = detail::process_reactor::if_started())
    for (auto& x : reactor->kill_all_now())
      result.push_back(running_process{std::move(x.path), static_cast<int32_t>(x.pid)});
  return result;
}

bool await_processes_gone(std::chrono::milliseconds timeout) {
  auto reactor = detail::process_reactor::if_started();
  return reactor == nullptr || reactor->await_idle(timeout);
}

} // namespace warden
