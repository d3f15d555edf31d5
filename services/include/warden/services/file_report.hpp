#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>

#include "warden/actors/service.hpp"

namespace warden {

/// Built-in type `file_report`: remembers the files a `dir_watcher`
/// reported and answers `File.ReportRequest.<node>` with `File.Report.<node>`
/// listing those detected within the last hour (the seed's file report).
///
/// Params (all optional):
/// - `detected` (default `File.Detected.<node>`): the pattern it subscribes
///   to, e.g. `File.Detected.*` for every node on the broker.
/// - `request` (default `File.ReportRequest.<node>`) and `topic` (default
///   `File.Report.<node>`): the request it answers and the answer's topic.
///   From the broker, the request needs `rabbitmq.subscribe`.
/// - `window_s` (default 3600): how far back the report reaches.
/// - `max_files` (default 100000): entries kept at most; beyond, the
///   oldest go first.
///
/// The answer (JSON):
/// ```
/// {"id": "<the request's id, or empty>", "program": "...", "node": "...",
///  "time": <ms since the epoch>, "window_s": 3600, "count": 2,
///  "files": [{"path": "...", "size": 10, "mtime": <ms>, "detected": <ms>}, ...]}
/// ```
/// `files` are in order of detection (`detected`: the `File.Detected`
/// message's timestamp); a file (path, size, mtime) reported twice is listed
/// once. A `prune` tick (the child's `schedule`) drops entries older than the
/// window; answers leave them out anyway. Kept in memory only: a restart
/// starts an empty report. Diagnostics values: `files` (entries kept),
/// `reports` (answers sent).
class file_report : public service {
public:
  using service::service;

  const char* name() const override;

  void on_start() override;

  void on_message(const bus_message& msg) override;

  void on_tick(const tick& x) override;

  caf::behavior make_service_behavior() override;

private:
  struct entry {
    std::string key; // path, size and mtime
    std::string path;
    int64_t size = 0;
    int64_t mtime = 0;
    int64_t detected = 0;
  };

  void record(const bus_message& msg);

  void answer(const bus_message& msg);

  /// Drops entries detected before `now` − window.
  void prune(int64_t now);

  void show();

  std::string detected_;
  std::string request_;
  std::string topic_;
  int64_t window_ms_ = 3600 * 1000;
  size_t max_files_ = 100000;
  std::deque<entry> entries_; // in order of arrival
  std::unordered_set<std::string> keys_;
  uint64_t reports_ = 0;
};

} // namespace warden
