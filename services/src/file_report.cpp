#include "warden/services/file_report.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "params.hpp"
#include "warden/actors/identity.hpp"
#include "warden/messaging/topic.hpp"

namespace warden {

const char* file_report::name() const {
  return "warden.file_report";
}

void file_report::on_start() {
  auto node = current_identity().node;
  try {
    detected_ = detail::text_param(params(), "detected", "File.Detected." + node);
    request_ = detail::text_param(params(), "request", "File.ReportRequest." + node);
    topic_ = detail::text_param(params(), "topic", "File.Report." + node);
    window_ms_ = detail::positive_param(params(), "window_s", 3600) * 1000;
    max_files_ =
        static_cast<size_t>(detail::positive_param(params(), "max_files", 100000));
  } catch (const std::exception& e) {
    fail(e.what());
    return;
  }
  if (!valid_pattern(detected_) || !valid_pattern(request_) || !valid_topic(topic_)) {
    fail("params: 'detected' and 'request' must be topic patterns, 'topic' a topic");
    return;
  }
  subscribe(detected_);
  subscribe(request_);
  show();
}

void file_report::on_message(const bus_message& msg) {
  // A request first: the two patterns may overlap ("#").
  if (topic_matches(request_, msg.topic))
    answer(msg);
  else if (topic_matches(detected_, msg.topic))
    record(msg);
}

void file_report::on_tick(const tick& x) {
  if (x.name == "prune")
    prune(wall_clock_ms());
}

caf::behavior file_report::make_service_behavior() {
  // Everything arrives through `on_message` and `on_tick`; a behavior
  // without any handler would end the actor, so it answers `get_atom` with
  // the number of entries kept.
  return {[this](caf::get_atom) { return static_cast<uint64_t>(entries_.size()); }};
}

void file_report::record(const bus_message& msg) {
  auto body = nlohmann::json::parse(msg.body, nullptr, false);
  if (!body.is_object() || !body.contains("path") || !body["path"].is_string())
    return; // not a file detection
  entry x;
  x.path = body["path"].get<std::string>();
  if (body.contains("size") && body["size"].is_number_integer())
    x.size = body["size"].get<int64_t>();
  if (body.contains("mtime") && body["mtime"].is_number_integer())
    x.mtime = body["mtime"].get<int64_t>();
  x.detected = msg.timestamp_ms > 0 ? msg.timestamp_ms : wall_clock_ms();
  x.key = x.path + '\0' + std::to_string(x.size) + '\0' + std::to_string(x.mtime);
  if (!keys_.insert(x.key).second)
    return; // listed already
  entries_.push_back(std::move(x));
  while (entries_.size() > max_files_) {
    keys_.erase(entries_.front().key);
    entries_.pop_front();
  }
  show();
}

void file_report::answer(const bus_message& msg) {
  std::string id;
  auto request = nlohmann::json::parse(msg.body, nullptr, false);
  if (request.is_object() && request.contains("id") && request["id"].is_string())
    id = request["id"].get<std::string>();
  auto now = wall_clock_ms();
  auto since = now - window_ms_;
  auto files = nlohmann::json::array();
  for (auto& x : entries_)
    if (x.detected >= since)
      files.push_back({{"path", x.path},
                       {"size", x.size},
                       {"mtime", x.mtime},
                       {"detected", x.detected}});
  auto me = current_identity();
  nlohmann::json body{{"id", id},
                      {"program", me.program},
                      {"node", me.node},
                      {"time", now},
                      {"window_s", window_ms_ / 1000},
                      {"count", files.size()},
                      {"files", std::move(files)}};
  publish(topic_, body);
  ++reports_;
  show();
}

void file_report::prune(int64_t now) {
  auto since = now - window_ms_;
  auto old =
      std::stable_partition(entries_.begin(), entries_.end(),
                            [since](const entry& x) { return x.detected >= since; });
  for (auto i = old; i != entries_.end(); ++i)
    keys_.erase(i->key);
  entries_.erase(old, entries_.end());
  show();
}

void file_report::show() {
  set_value("files", std::to_string(entries_.size()));
  set_value("reports", std::to_string(reports_));
}

} // namespace warden
