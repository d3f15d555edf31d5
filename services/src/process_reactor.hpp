#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <spdlog/fwd.h>

#include "process_guardian.hpp"

namespace warden::detail {

/// reactor → owner: `started_atom, id, pid`: the program is executing.
using proc_started_atom = caf::atom_constant<caf::atom("wd_pstart")>;
/// reactor → owner: `failed_atom, id, why`: it could not be started.
using proc_failed_atom = caf::atom_constant<caf::atom("wd_pfail")>;
/// reactor → owner: `exit_atom, id, code, signal, core_dumped`: it ended
/// (code -1 when killed by `signal`). Its output has been logged by then.
using proc_exit_atom = caf::atom_constant<caf::atom("wd_pexit")>;
/// reactor → owner: `notify_atom, id, text`: a datagram on its notify socket.
using proc_notify_atom = caf::atom_constant<caf::atom("wd_pnotify")>;

/// What to start.
struct spawn_request {
  uint64_t id = 0;
  /// The child's path, for log lines.
  std::string path;
  std::vector<std::string> argv;
  /// Set in the child's copy of warden's environment.
  std::map<std::string, std::string> env;
  std::string cwd;
  std::string user;
  /// Written to standard input, then closed; otherwise /dev/null.
  bool stdin_pipe = false;
  std::string stdin_text;
  /// An abstract unix socket name (without the leading '@') to bind and
  /// read datagrams from; passed as NOTIFY_SOCKET.
  std::string notify_name;
};

/// One thread that owns every OS process warden starts: it forks them (so
/// PR_SET_PDEATHSIG follows this long-lived thread, never a CAF worker),
/// notices their exit through a pidfd, reads their stdout and stderr into
/// the log line by line, feeds their standard input, reads their notify
/// sockets, and is the only one that signals or reaps them (a group is never
/// signalled after its leader was reaped, so ids are never confused).
/// Actors talk to it with `spawn`, `signal` and `release`, and hear back by
/// messages; nothing here blocks a CAF worker.
///
/// Each process runs in its own session and process group. When its leader
/// exits, what is left of the group is killed before the leader is reaped;
/// signals go to the whole group.
///
/// A forced stop (`kill_all_now`) signals from the calling thread: the
/// groups whose leaders are not reaped yet are listed under a mutex that the
/// reactor holds while it reaps, so that an id is never signalled after its
/// reuse here either.
class process_reactor {
public:
  /// A program not reaped yet, as `kill_all_now` saw it.
  struct running {
    std::string path;
    pid_t pid = -1;
  };

  /// The one reactor of this process (started on first use, never stopped).
  static process_reactor& instance();

  /// The reactor if it has been started, else null (no program ever ran).
  static process_reactor* if_started() noexcept;

  /// A process-wide unique id for `spawn_request::id`.
  static uint64_t next_id();

  /// Starts `req`; `owner` hears `started` or `failed`, then `notify`
  /// messages, then `exit`.
  void spawn(spawn_request req, caf::actor owner);

  /// Sends `sig` to the process group of `id`, if it still runs.
  void signal(uint64_t id, int sig);

  /// The owner is gone: no more messages for it, and SIGKILL to the group
  /// of `id` if it still runs.
  void release(uint64_t id);

  /// SIGKILL to the group of every program not reaped yet, sent by the
  /// calling thread before this returns (any thread). The reactor reaps them,
  /// logs and reports their exits as usual. Returns what was signalled.
  std::vector<running> kill_all_now();

  /// Waits until no spawn request is pending and every program has been
  /// reaped, its last output and its exit logged and reported, at most
  /// `timeout`. True when nothing is left.
  bool await_idle(std::chrono::milliseconds timeout);

  process_reactor(const process_reactor&) = delete;
  process_reactor& operator=(const process_reactor&) = delete;

private:
  process_reactor();

  struct signal_cmd {
    uint64_t id;
    int sig;
  };
  struct quit_cmd {};
  using command = std::variant<spawn_request, signal_cmd, quit_cmd>;

  /// A line-splitting reader of one output pipe.
  struct output {
    int fd = -1;
    std::string buf;
  };

  struct proc {
    uint64_t id = 0;
    pid_t pid = -1;
    std::string path;
    int pidfd = -1;
    output out;
    output err;
    int in = -1;
    std::string in_data;
    size_t in_offset = 0;
    int notify = -1;
  };

  /// At warden's normal exit (atexit): SIGKILL to every group still
  /// running, the thread joined (before spdlog's registry is destroyed),
  /// the guardian reaped.
  static void at_exit();
  void stop();
  void kill_all();

  void push(command cmd);
  void run();
  void take_commands();
  void start(spawn_request& req);
  void on_signal(const signal_cmd& cmd);
  void on_event(uint64_t tag, uint32_t events);
  void on_exit(proc& p);
  /// Reads what `o` has (all of it with `drain`); logs whole lines.
  void read_output(proc& p, output& o, const char* stream, bool drain);
  void write_input(proc& p);
  void read_notify(proc& p);
  void close_fd(int& fd);
  void log_line(const proc& p, const char* stream, const std::string& line);
  /// The "services" logger, held here: a line logged after the registry
  /// dropped it (spdlog::shutdown) still has a valid logger and sinks.
  /// Never null (a logger without sinks when none was ever registered).
  spdlog::logger& log();
  /// Sends to the owner of `id`, if it has one (under `owners_mtx_`).
  template <class... Ts>
  void tell(uint64_t id, bool last, Ts&&... xs);
  bool has_owner(uint64_t id);

  int epoll_ = -1;
  int wake_ = -1;
  std::mutex queue_mtx_;
  std::deque<command> queue_;
  std::mutex owners_mtx_;
  std::unordered_map<uint64_t, caf::actor> owners_;
  std::unordered_map<uint64_t, proc> procs_; // the reactor thread's own
  /// A program from its fork until its exit has been logged and reported.
  struct live_entry {
    pid_t pid = -1;
    std::string path;
    bool reaped = false; // its group id may name another group now
  };
  std::mutex live_mtx_;
  std::condition_variable live_cv_; // `live_` shrank or `pending_spawns_` fell
  std::unordered_map<uint64_t, live_entry> live_;
  size_t pending_spawns_ = 0;           // queued spawn requests (under live_mtx_)
  std::shared_ptr<spdlog::logger> log_; // the reactor thread's own
  process_guardian guardian_;
  pid_t creator_ = -1; // a forked copy of warden must not stop the reactor
  bool quitting_ = false;
  std::thread thread_;
};

} // namespace warden::detail
