#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace warden {

/// An OS process of a `process` child, not reaped yet.
struct running_process {
  /// The child's path, e.g. "root/legacy".
  std::string path;
  /// The pid of the program, which is also its process group's id.
  int32_t pid = 0;
};

/// A forced stop (`warden run`'s second SIGINT or SIGTERM): SIGKILL to the
/// process group of every OS process that `process` children started and
/// that has not been reaped yet, sent by the calling thread before this
/// returns. Thread-safe; nothing happens when no process was ever started.
/// Their exits are logged and reach their actors as usual (a `process`
/// child asked to stop then ends with the reason it was asked with). Returns
/// the processes signalled.
std::vector<running_process> kill_all_processes();

/// Waits, at most `timeout`, until every OS process that `process` children
/// started has been reaped and its last output and exit logged, and no start
/// is pending: after this nothing of theirs logs any more. True when nothing
/// is left. Call it once the actor system is gone, before `spdlog::shutdown`.
bool await_processes_gone(std::chrono::milliseconds timeout);

} // namespace warden
