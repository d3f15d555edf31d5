#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "warden/actors/service.hpp"

namespace warden {

/// Built-in type `dir_watcher`: publishes `File.Detected.<node>` with
/// `{"path", "size", "mtime"}` once for every complete file that arrives in
/// a directory.
///
/// Params:
/// - `path`: the directory; a relative one starts at the config file's
///   directory (the working directory for `-c -` and the embedded default).
/// - `pattern` (default `"*"`): a shell glob (fnmatch) on the file's name; as
///   in the shell, a leading `.` must be matched explicitly, so the usual
///   `.name.tmp` of a writer that renames when done is never reported.
/// - `recursive` (default false): subdirectories too, including ones that
///   appear later.
/// - `topic` (default `File.Detected.<node>`).
/// - `retry_ms` (default 1000): how often a missing directory is looked for
///   (besides a watch on its parent, which notices it at once).
///
/// A file counts as arrived once it is complete: closed after writing
/// (`IN_CLOSE_WRITE`) or moved in (`IN_MOVED_TO`). A `scan` tick (the
/// child's `schedule`, `tick = "scan"`) lists the directory and reports what
/// the events missed (files that arrived while warden was down, hard links,
/// an overflowing event queue), skipping files that some process still has
/// open for writing (found in `/proc/*/fdinfo`, no `lsof`). The same file
/// (path, size and mtime) is reported once; written again, it is reported
/// again. What was reported is kept in memory only: after a restart the
/// first scan reports every matching file in the directory again (at least
/// once; consumers drop duplicates by path, size and mtime). Files present
/// when the watcher starts wait for the first scan (`at_start = true` on the
/// `scan` schedule reports them at once).
///
/// `path` is an absolute, normalised path; `mtime` is in ms since the Unix
/// epoch. A directory deleted (or moved away) sets the flag `missing`; once
/// it is back, it is watched again and everything in it is reported.
/// Diagnostics values: `watching` (the directory), `dirs` (directories
/// watched), `files_seen` (files reported), `last_file`.
class dir_watcher : public service {
public:
  dir_watcher(caf::actor_config& cfg, service_init init);

  ~dir_watcher() override;

  const char* name() const override;

  void on_start() override;

  void on_stop() override;

  void on_tick(const tick& x) override;

  caf::behavior make_service_behavior() override;

  struct state;

private:
  std::unique_ptr<state> st_;
};

/// A file as the kernel knows it: device and inode.
using file_id = std::pair<uint64_t, uint64_t>;

/// The regular files that some process has open for writing (`O_WRONLY` or
/// `O_RDWR`), from `/proc/*/fdinfo` and `/proc/*/fd`. Without root, only
/// the processes of this user are visible.
std::set<file_id> files_open_for_writing();

} // namespace warden
