#include "warden/cli/ticker.hpp"

#include <chrono>
#include <filesystem>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "warden/actors/tick.hpp"
#include "warden/schedule/find_zone.hpp"
#include "warden/schedule/last_fire_file.hpp"
#include "warden/schedule/schedule_book.hpp"

namespace warden {

namespace {

using tick_timer_atom = caf::atom_constant<caf::atom("wd_ttimer")>;

constexpr auto save_interval = std::chrono::seconds{1};
constexpr auto show_interval = std::chrono::milliseconds{250};

std::string key_of(const std::string& path, const std::string& tick_name) {
  return path + "#" + tick_name;
}

/// The config's schedule as the scheduling core takes it.
std::optional<schedule_spec> to_spec(const schedule_config& x, std::string* why) {
  schedule_spec spec;
  spec.tick = x.tick;
  if (x.every)
    spec.every = *x.every;
  if (!x.cron.empty()) {
    auto expr = cron_expr::parse(x.cron, why);
    if (!expr)
      return std::nullopt;
    spec.cron = std::move(*expr);
  }
  if (!x.timezone.empty() || spec.cron) {
    spec.zone = find_zone(x.timezone, why);
    if (spec.zone == nullptr)
      return std::nullopt;
  }
  spec.at_start = static_cast<start_policy>(x.at_start);
  spec.catch_up = static_cast<catch_up_policy>(x.catch_up);
  spec.overlap = static_cast<overlap_policy>(x.overlap);
  spec.jitter = x.jitter;
  if (!spec.validate(why))
    return std::nullopt;
  return spec;
}

int64_t to_ms(schedule_time t) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::string iso(schedule_time t) {
  auto secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct ticker_state {
  schedule_book book;
  path_registry_ptr registry;
  lifecycle_bus_ptr events;
  std::string state_file;
  std::map<std::string, schedule_spec> specs; // key → spec, to diff reloads
  std::map<std::string, std::string> groups;  // key → child path
  std::optional<schedule_time> armed;
  uint64_t gen = 0;
  bool dirty = false;
  schedule_time last_save{};
  std::set<std::string> unshown; // fired since the diagnostics were updated
  schedule_time last_show{};
  std::shared_ptr<spdlog::logger> log;
};

using ticker_actor = caf::stateful_actor<ticker_state>;

void show(ticker_actor* self, const std::string& key) {
  auto& st = self->state;
  auto info = st.book.info(key);
  auto group = st.groups.find(key);
  if (!info || group == st.groups.end())
    return;
  auto diag = st.registry->find(group->second);
  if (!diag)
    return;
  auto prefix = "schedule." + st.book.spec(key)->tick + ".";
  if (info->next_fire)
    diag->set_value(prefix + "next", iso(*info->next_fire));
  if (info->last_fire)
    diag->set_value(prefix + "last", iso(*info->last_fire));
  diag->set_value(prefix + "fired", std::to_string(info->fired));
  diag->set_value(prefix + "late", std::to_string(info->late));
  diag->set_value(prefix + "skipped", std::to_string(info->skipped));
}

void save(ticker_actor* self, schedule_time now) {
  auto& st = self->state;
  if (!st.dirty || st.state_file.empty())
    return;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path{st.state_file}.parent_path(),
                                      ec);
  std::string why;
  if (!save_last_fires(st.state_file, st.book.last_fires(), &why))
    st.log->warn("ticker: cannot save last fire times: {}", why);
  st.dirty = false;
  st.last_save = now;
}

/// One timer for all schedules: re-armed only when the earliest deadline
/// changes; stale timer messages carry an old generation and are ignored.
void arm(ticker_actor* self) {
  auto& st = self->state;
  auto next = st.book.next_deadline();
  if (next == st.armed)
    return;
  st.armed = next;
  ++st.gen;
  if (!next)
    return;
  auto delay = *next - std::chrono::system_clock::now();
  if (delay < schedule_duration::zero())
    delay = schedule_duration::zero();
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::nanoseconds>(delay),
                     tick_timer_atom::value, st.gen);
}

void fire(ticker_actor* self) {
  auto& st = self->state;
  auto now = std::chrono::system_clock::now();
  for (auto& t : st.book.due(now)) {
    st.dirty = true;
    auto target = st.registry->whereis(t.group);
    if (!target) {
      st.book.handled(t.key);
      continue;
    }
    tick msg{t.tick, to_string(t.kind), to_ms(t.due),
             std::chrono::duration_cast<std::chrono::microseconds>(t.lateness).count(),
             t.missed};
    auto key = t.key;
    self->request(target, caf::infinite, std::move(msg))
        .then([self, key](bool) { self->state.book.handled(key); },
              [self, key](caf::error&) { self->state.book.handled(key); });
    st.unshown.insert(t.key);
  }
  // Diagnostics after delivery, and at most every 250 ms: formatting them
  // must not make the next tick late.
  if (now - st.last_show >= show_interval) {
    for (auto& key : st.unshown)
      show(self, key);
    st.unshown.clear();
    st.last_show = now;
  }
  if (now - st.last_save >= save_interval)
    save(self, now);
}

/// Adds, replaces or removes schedules so that they match `set`.
void apply(ticker_actor* self, const schedule_set& set) {
  auto& st = self->state;
  auto now = std::chrono::system_clock::now();
  std::map<std::string, std::pair<std::string, schedule_spec>> wanted;
  for (auto& [path, schedules] : set.by_child)
    for (auto& x : schedules) {
      std::string why;
      auto spec = to_spec(x, &why);
      if (!spec) {
        st.log->error("{}:{}: {}: {}", x.file, x.line, x.setting, why);
        continue;
      }
      wanted.emplace(key_of(path, x.tick), std::make_pair(path, std::move(*spec)));
    }
  for (auto i = st.specs.begin(); i != st.specs.end();) {
    if (wanted.count(i->first) == 0) {
      st.book.remove(i->first);
      st.groups.erase(i->first);
      i = st.specs.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& [key, entry] : wanted) {
    auto& [path, spec] = entry;
    auto known = st.specs.find(key);
    std::string why;
    if (known == st.specs.end()) {
      if (!st.book.add(key, path, spec, &why)) {
        st.log->error("ticker: {}: {}", key, why);
        continue;
      }
      st.specs.emplace(key, spec);
      st.groups.emplace(key, path);
      // A child that runs already starts its new schedule now.
      if (auto diag = st.registry->find(path);
          diag && diag->state() == child_state::running)
        st.book.start(key, false, now);
    } else if (known->second != spec) {
      if (st.book.replace(key, spec, now, &why))
        known->second = spec;
      else
        st.log->error("ticker: {}: {}", key, why);
    }
  }
}

caf::behavior ticker(ticker_actor* self, schedule_set initial, path_registry_ptr registry,
                     lifecycle_bus_ptr events, std::string state_file) {
  auto& st = self->state;
  st.registry = std::move(registry);
  st.events = std::move(events);
  st.state_file = std::move(state_file);
  st.log = spdlog::get("warden");
  if (!st.log)
    st.log = spdlog::default_logger();
  apply(self, initial);
  if (!st.state_file.empty() && std::filesystem::exists(st.state_file)) {
    auto loaded = load_last_fires(st.state_file);
    for (auto& problem : loaded.problems)
      st.log->warn("{}", problem);
    for (auto& [key, when] : loaded.times)
      st.book.restore_last_fire(key, when);
  }
  // Stopped by an exit message: save the last fire times first (the state
  // is gone by the time attached functors run).
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.events->unsubscribe(caf::actor_cast<caf::actor>(self));
    save(self, std::chrono::system_clock::now());
    self->quit(msg.reason);
  });
  arm(self);
  return {
      [self](tick_timer_atom, uint64_t gen) {
        if (gen != self->state.gen)
          return;
        self->state.armed.reset();
        fire(self);
        arm(self);
      },
      [self](const lifecycle_event& ev) {
        auto& st = self->state;
        auto now = std::chrono::system_clock::now();
        switch (ev.kind) {
          case lifecycle_kind::started:
          case lifecycle_kind::restarted:
            st.book.on_child_start(ev.child, ev.kind == lifecycle_kind::started, now);
            break;
          case lifecycle_kind::stopped:
          case lifecycle_kind::crashed:
          case lifecycle_kind::backoff:
            st.book.on_child_stop(ev.child);
            break;
          default:
            return;
        }
        for (auto& [key, path] : st.groups)
          if (path == ev.child)
            show(self, key);
        arm(self);
      },
      [self](schedule_set& set) {
        apply(self, set);
        arm(self);
      },
  };
}

} // namespace

schedule_set schedules_of(const warden_config& cfg) {
  schedule_set result;
  for (auto& [path, child] : cfg.children)
    if (!child.schedules.empty())
      result.by_child.emplace(path, child.schedules);
  return result;
}

caf::actor spawn_ticker(caf::actor_system& sys, schedule_set initial,
                        path_registry_ptr registry, lifecycle_bus_ptr events,
                        std::string state_file) {
  auto bus = events;
  auto result = sys.spawn(ticker, std::move(initial), std::move(registry),
                          std::move(events), std::move(state_file));
  // Subscribed before this returns, not when the actor first runs: the
  // tree may start (and report its children started) in between.
  bus->subscribe(result);
  return result;
}

} // namespace warden
