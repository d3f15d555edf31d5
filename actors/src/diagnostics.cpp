#include "warden/actors/diagnostics.hpp"

#include <algorithm>
#include <set>

namespace warden {

namespace {

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t ms_between(int64_t from_ticks, time_point to) {
  auto from = time_point{time_point::duration{from_ticks}};
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

const std::string* intern(std::string name) {
  static std::mutex mtx;
  static std::set<std::string> names;
  std::lock_guard<std::mutex> guard{mtx};
  return &*names.insert(std::move(name)).first;
}

} // namespace

diagnostics::diagnostics(std::string path, std::string type)
  : path_(std::move(path))
  , type_(intern(std::move(type))) {
  // nop
}

diagnostics::details& diagnostics::get_details() {
  if (!details_)
    details_ = std::make_unique<details>();
  return *details_;
}

void diagnostics::started(caf::actor instance, time_point now) {
  started_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  next_restart_.store(0, std::memory_order_relaxed);
  mailbox_.store(0, std::memory_order_relaxed);
  handled_.store(0, std::memory_order_relaxed);
  std::lock_guard<spin_mutex> guard{mtx_};
  current_ = std::move(instance);
}

void diagnostics::exited(std::string reason, time_point) {
  started_.store(0, std::memory_order_relaxed);
  std::lock_guard<spin_mutex> guard{mtx_};
  current_ = nullptr;
  auto& d = get_details();
  exit_record rec{std::move(reason), wall_ms()};
  if (d.exits.size() < max_exits) {
    d.exits.push_back(std::move(rec));
  } else {
    d.exits[d.exits_head] = std::move(rec);
    d.exits_head = (d.exits_head + 1) % max_exits;
  }
}

caf::actor diagnostics::current() const {
  std::lock_guard<spin_mutex> guard{mtx_};
  return current_;
}

void diagnostics::set_flag(const std::string& flag) {
  std::lock_guard<spin_mutex> guard{mtx_};
  auto& flags = get_details().flags;
  if (std::find(flags.begin(), flags.end(), flag) == flags.end())
    flags.push_back(flag);
}

void diagnostics::clear_flag(const std::string& flag) {
  std::lock_guard<spin_mutex> guard{mtx_};
  if (!details_)
    return;
  auto& flags = details_->flags;
  flags.erase(std::remove(flags.begin(), flags.end(), flag), flags.end());
}

bool diagnostics::has_flag(const std::string& flag) const {
  std::lock_guard<spin_mutex> guard{mtx_};
  return details_ && std::find(details_->flags.begin(), details_->flags.end(), flag) !=
                         details_->flags.end();
}

void diagnostics::set_value(const std::string& key, std::string value) {
  std::lock_guard<spin_mutex> guard{mtx_};
  get_details().values[key] = std::move(value);
}

void diagnostics::clear_value(const std::string& key) {
  std::lock_guard<spin_mutex> guard{mtx_};
  if (details_)
    details_->values.erase(key);
}

diagnostics_snapshot diagnostics::snapshot(time_point now) const {
  diagnostics_snapshot x;
  x.path = path_;
  x.type = *type_;
  x.state = state();
  x.restarts = restarts();
  if (auto started = started_.load(std::memory_order_relaxed); started != 0)
    x.uptime_ms = std::max<int64_t>(0, ms_between(started, now));
  if (auto next = next_restart_.load(std::memory_order_relaxed); next != 0)
    x.next_restart_ms = std::max<int64_t>(0, -ms_between(next, now));
  x.handled = handled_.load(std::memory_order_relaxed);
  x.mailbox = mailbox_.load(std::memory_order_relaxed);
  std::lock_guard<spin_mutex> guard{mtx_};
  if (details_) {
    x.flags = details_->flags;
    x.values = details_->values;
    auto& ring = details_->exits;
    x.exits.reserve(ring.size());
    for (size_t i = 0; i < ring.size(); ++i)
      x.exits.push_back(ring[(details_->exits_head + i) % ring.size()]);
  }
  return x;
}

} // namespace warden
