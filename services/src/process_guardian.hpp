#pragma once

#include <sys/types.h>

#include <vector>

namespace warden::detail {

/// Kills the process groups of warden's children when warden dies without
/// stopping them (kill -9, a crash). A small helper process, forked from
/// warden (no exec), that holds the other end of a socket: warden tells it
/// each group it starts and each group that is gone; when the socket reaches
/// end of file (every warden thread is gone) it sends SIGKILL to the groups
/// still listed and exits. PR_SET_PDEATHSIG covers the group leaders; this
/// covers their children too. The helper runs only async-signal-safe code.
///
/// Used by the process reactor's thread only; not thread-safe.
class process_guardian {
public:
  process_guardian() = default;
  process_guardian(const process_guardian&) = delete;
  process_guardian& operator=(const process_guardian&) = delete;

  /// A new group (its leader's pid). Starts the helper when needed.
  void add(pid_t pgid);

  /// A group that is gone (its leader not yet reaped, so the id is not
  /// reused before the helper has forgotten it).
  void remove(pid_t pgid);

  /// At warden's normal exit: ends the helper (which kills the groups still
  /// listed) and reaps it, so that it is not left as a zombie where nobody
  /// reaps orphans. Later calls to `add` start no new helper.
  void stop();

private:
  bool send(int op, pid_t pgid);
  bool start();

  int fd_ = -1;
  pid_t pid_ = -1;
  std::vector<pid_t> groups_; // to brief a restarted helper
  bool stopped_ = false;
};

} // namespace warden::detail
