#include "warden/schedule/schedule_book.hpp"

#include <algorithm>
#include <limits>

#include "warden/schedule/interval.hpp"
#include "warden/schedule/jitter.hpp"
#include "warden/schedule/next_fire.hpp"

namespace warden {

namespace {

constexpr uint32_t no_id = std::numeric_limits<uint32_t>::max();

/// How many passed-over cron times `due` counts one by one before it jumps.
constexpr uint64_t max_counted_misses = 1000;

bool valid_key(const std::string& key, std::string* why) {
  if (key.empty()) {
    if (why != nullptr)
      *why = "empty schedule key";
    return false;
  }
  for (auto c : key)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      if (why != nullptr)
        *why = "schedule key \"" + key + "\" contains a control character";
      return false;
    }
  return true;
}

} // namespace

const char* to_string(tick_kind x) noexcept {
  switch (x) {
    case tick_kind::regular:
      return "regular";
    case tick_kind::at_start:
      return "at_start";
    case tick_kind::catch_up:
      return "catch_up";
  }
  return "?";
}

schedule_book::schedule_book(schedule_book_options options)
  : options_(std::move(options))
  , random_state_(options_.seed) {}

uint32_t schedule_book::find(const std::string& key) const {
  auto i = by_key_.find(key);
  return i == by_key_.end() ? no_id : i->second;
}

bool schedule_book::contains(const std::string& key) const {
  return find(key) != no_id;
}

const schedule_spec* schedule_book::spec(const std::string& key) const {
  auto id = find(key);
  return id == no_id ? nullptr : &entries_[id].spec;
}

uint64_t schedule_book::next_random() {
  if (options_.random)
    return options_.random();
  return splitmix64_next(random_state_);
}

bool schedule_book::add(const std::string& key, const std::string& group,
                        schedule_spec spec, std::string* why) {
  if (!valid_key(key, why))
    return false;
  if (contains(key)) {
    if (why != nullptr)
      *why = "duplicate schedule key \"" + key + "\"";
    return false;
  }
  std::string problem;
  if (!spec.validate(&problem)) {
    if (why != nullptr)
      *why = "schedule \"" + key + "\": " + problem;
    return false;
  }
  uint32_t id;
  if (free_.empty()) {
    id = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  } else {
    id = free_.back();
    free_.pop_back();
  }
  auto& e = entries_[id];
  e = entry{};
  e.key = key;
  e.group = group;
  e.spec = std::move(spec);
  e.used = true;
  e.order = next_order_++;
  by_key_.emplace(key, id);
  by_group_[group].push_back(id);
  return true;
}

bool schedule_book::replace(const std::string& key, schedule_spec spec, schedule_time now,
                            std::string* why) {
  auto id = find(key);
  if (id == no_id) {
    if (why != nullptr)
      *why = "no schedule \"" + key + "\"";
    return false;
  }
  std::string problem;
  if (!spec.validate(&problem)) {
    if (why != nullptr)
      *why = "schedule \"" + key + "\": " + problem;
    return false;
  }
  auto& e = entries_[id];
  if (e.spec == spec) {
    e.spec.cron = std::move(spec.cron); // keep the text as written last
    return true;
  }
  e.spec = std::move(spec);
  if (e.running) {
    plan_regular(e, now);
    arm(id);
  }
  return true;
}

bool schedule_book::remove(const std::string& key) {
  auto id = find(key);
  if (id == no_id)
    return false;
  auto& e = entries_[id];
  heap_.erase(id);
  by_key_.erase(key);
  auto g = by_group_.find(e.group);
  if (g != by_group_.end()) {
    auto& ids = g->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty())
      by_group_.erase(g);
  }
  e = entry{};
  free_.push_back(id);
  return true;
}

bool schedule_book::restore_last_fire(const std::string& key, schedule_time when) {
  auto id = find(key);
  if (id == no_id)
    return false;
  entries_[id].last_fire = when;
  return true;
}

void schedule_book::on_child_start(const std::string& group, bool first_start,
                                   schedule_time now) {
  auto g = by_group_.find(group);
  if (g == by_group_.end())
    return;
  for (auto id : g->second)
    start_entry(id, first_start, now);
}

void schedule_book::on_child_stop(const std::string& group) {
  auto g = by_group_.find(group);
  if (g == by_group_.end())
    return;
  for (auto id : g->second)
    stop_entry(id);
}

bool schedule_book::start(const std::string& key, bool first_start, schedule_time now) {
  auto id = find(key);
  if (id == no_id)
    return false;
  start_entry(id, first_start, now);
  return true;
}

bool schedule_book::stop(const std::string& key) {
  auto id = find(key);
  if (id == no_id)
    return false;
  stop_entry(id);
  return true;
}

void schedule_book::plan_regular(entry& e, schedule_time after) {
  if (e.spec.every) {
    e.anchor = after;
    auto slot = next_interval_slot(after, *e.spec.every, after, 0);
    e.index = slot.index;
    e.nominal = slot.due;
  } else {
    e.nominal = next_fire(*e.spec.cron, after, e.spec.zone);
  }
}

bool schedule_book::missed_since_last_fire(const entry& e, schedule_time now) const {
  if (!e.last_fire)
    return false;
  if (e.spec.every)
    return *e.last_fire + *e.spec.every <= now;
  auto next = next_fire(*e.spec.cron, *e.last_fire, e.spec.zone);
  return next && *next <= now;
}

void schedule_book::start_entry(uint32_t id, bool first_start, schedule_time now) {
  auto& e = entries_[id];
  e.running = true;
  e.counters.outstanding = 0;
  plan_regular(e, now);
  auto policy = e.spec.at_start;
  if (policy == start_policy::always || (policy == start_policy::once && first_start)) {
    e.pending = tick_kind::at_start;
    e.deadline = now;
  } else if (e.spec.catch_up == catch_up_policy::one && missed_since_last_fire(e, now)) {
    e.pending = tick_kind::catch_up;
    e.deadline = now;
  } else {
    e.pending = tick_kind::regular;
  }
  arm(id);
}

void schedule_book::stop_entry(uint32_t id) {
  auto& e = entries_[id];
  e.running = false;
  e.pending = tick_kind::regular;
  e.nominal.reset();
  e.counters.outstanding = 0;
  heap_.erase(id);
}

void schedule_book::arm(uint32_t id) {
  auto& e = entries_[id];
  if (!e.running) {
    heap_.erase(id);
    return;
  }
  if (e.pending == tick_kind::regular) {
    if (!e.nominal) {
      heap_.erase(id);
      return;
    }
    e.deadline = *e.nominal + jitter_offset(e.spec.jitter, next_random());
  }
  heap_.set(id, e.deadline, e.order);
}

std::optional<schedule_time> schedule_book::next_deadline() const {
  if (heap_.empty())
    return std::nullopt;
  return heap_.top_deadline();
}

std::vector<schedule_tick> schedule_book::due(schedule_time now) {
  std::vector<schedule_tick> result;
  due(now, result);
  return result;
}

void schedule_book::due(schedule_time now, std::vector<schedule_tick>& out) {
  auto limit = now + options_.early_tolerance;
  while (!heap_.empty() && heap_.top_deadline() <= limit)
    fire(heap_.top_id(), now, out);
}

void schedule_book::fire(uint32_t id, schedule_time now,
                         std::vector<schedule_tick>& out) {
  auto& e = entries_[id];
  auto& c = e.counters;
  auto kind = e.pending;
  auto due_at = e.deadline;
  uint64_t missed = 0;
  if (kind == tick_kind::regular) {
    if (e.spec.every) {
      auto slot = next_interval_slot(e.anchor, *e.spec.every, now, e.index);
      missed = slot.missed;
      e.index = slot.index;
      e.nominal = slot.due;
    } else {
      const auto& expr = *e.spec.cron;
      auto next = next_fire(expr, *e.nominal, e.spec.zone);
      while (next && *next <= now && missed < max_counted_misses) {
        ++missed;
        next = next_fire(expr, *next, e.spec.zone);
      }
      if (next && *next <= now)
        next = next_fire(expr, now, e.spec.zone);
      e.nominal = next;
    }
    c.missed += missed;
  } else {
    e.pending = tick_kind::regular;
  }
  bool deliver = true;
  if (c.outstanding > 0) {
    if (e.spec.overlap == overlap_policy::skip) {
      ++c.skipped;
      deliver = false;
    } else {
      ++c.overlapped;
    }
  }
  if (deliver) {
    auto lateness = now - due_at;
    ++c.fired;
    ++c.outstanding;
    if (lateness > options_.late_threshold)
      ++c.late;
    if (lateness.count() < 0)
      ++c.early;
    if (c.fired == 1 || lateness > c.worst_lateness)
      c.worst_lateness = lateness;
    e.last_fire = now;
    schedule_tick t;
    t.key = e.key;
    t.group = e.group;
    t.tick = e.spec.tick;
    t.kind = kind;
    t.due = due_at;
    t.lateness = lateness;
    t.missed = missed;
    t.sequence = c.fired;
    out.push_back(std::move(t));
  }
  arm(id);
}

bool schedule_book::handled(const std::string& key) {
  auto id = find(key);
  if (id == no_id)
    return false;
  auto& c = entries_[id].counters;
  if (c.outstanding == 0)
    return false;
  --c.outstanding;
  return true;
}

schedule_info schedule_book::make_info(const entry& e) const {
  auto result = e.counters;
  result.key = e.key;
  result.group = e.group;
  result.tick = e.spec.tick;
  result.running = e.running;
  result.last_fire = e.last_fire;
  auto id = find(e.key);
  if (heap_.contains(id))
    result.next_fire = e.deadline;
  return result;
}

std::optional<schedule_info> schedule_book::info(const std::string& key) const {
  auto id = find(key);
  if (id == no_id)
    return std::nullopt;
  return make_info(entries_[id]);
}

std::vector<schedule_info> schedule_book::snapshot() const {
  std::vector<schedule_info> result;
  result.reserve(by_key_.size());
  for (auto& e : entries_)
    if (e.used)
      result.push_back(make_info(e));
  std::sort(result.begin(), result.end(),
            [](const schedule_info& x, const schedule_info& y) { return x.key < y.key; });
  return result;
}

std::map<std::string, schedule_time> schedule_book::last_fires() const {
  std::map<std::string, schedule_time> result;
  for (auto& e : entries_)
    if (e.used && e.last_fire)
      result.emplace(e.key, *e.last_fire);
  return result;
}

} // namespace warden
