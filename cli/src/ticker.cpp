#include "warden/cli/ticker.hpp"

#include <cstdio>
#include <chrono>
#include <filesystem>
#include <unordered_set>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "warden/actors/tick.hpp"
#include "warden/schedule/find_zone.hpp"
#include "warden/schedule/last_fire_file.hpp"
#include "warden/schedule/schedule_book.hpp"

namespace warden {

namespace {

using tick_timer_atom = caf::atom_constant<caf::atom("wd_ttimer")>;
using tick_flush_atom = caf::atom_constant<caf::atom("wd_tflush")>;

constexpr auto save_interval = std::chrono::seconds{1};
constexpr auto show_interval = std::chrono::milliseconds{250};
/// Schedules whose values one turn of the ticker shows (~7 µs each).
constexpr size_t show_batch = 32;

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

int64_t to_us(schedule_time t) {
  using namespace std::chrono;
  return duration_cast<microseconds>(t.time_since_epoch()).count();
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
  /// The time of day (the system clock, or a test's manual clock).
  ticker_clock clock;
  std::map<std::string, schedule_spec> specs; // key → spec, to diff reloads
  std::map<std::string, std::string> groups;  // key → child path
  /// child path → its keys (rebuilt by `apply`): lifecycle events look a
  /// child up here instead of scanning every schedule.
  std::unordered_map<std::string, std::vector<std::string>> keys_of;
  std::optional<schedule_time> armed;
  uint64_t gen = 0;
  bool dirty = false;
  schedule_time last_save{};
  /// Fired since the diagnostics were updated.
  std::unordered_set<std::string> unshown;
  schedule_time last_show{};
  bool showing = false;     // a batch is being shown, turn by turn
  bool flush_armed = false; // a tick_flush_atom is on its way
  /// Counts the starts and stops of each child: the answer to a tick sent to
  /// an earlier instance must not mark a tick of the current one handled.
  std::unordered_map<std::string, uint64_t> runs;
  /// Ticks sent and not answered yet, by key: only these schedules can skip.
  std::unordered_map<std::string, uint64_t> waiting;
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
  else
    diag->clear_value(prefix + "next");
  if (info->last_fire)
    diag->set_value(prefix + "last", iso(*info->last_fire));
  diag->set_value(prefix + "fired", std::to_string(info->fired));
  diag->set_value(prefix + "late", std::to_string(info->late));
  diag->set_value(prefix + "skipped", std::to_string(info->skipped));
  diag->set_value(prefix + "missed", std::to_string(info->missed));
  auto worst_us =
      std::chrono::duration_cast<std::chrono::microseconds>(info->worst_lateness).count();
  char worst[32];
  std::snprintf(worst, sizeof(worst), "%.3f", static_cast<double>(worst_us) / 1000.0);
  diag->set_value(prefix + "worst_late_ms", worst);
}

/// Removes what `show` wrote for a schedule that is gone.
void unshow(ticker_actor* self, const std::string& key) {
  auto& st = self->state;
  auto group = st.groups.find(key);
  auto spec = st.book.spec(key);
  if (group == st.groups.end() || spec == nullptr)
    return;
  auto diag = st.registry->find(group->second);
  if (!diag)
    return;
  auto prefix = "schedule." + spec->tick + ".";
  for (auto name :
       {"next", "last", "fired", "late", "skipped", "missed", "worst_late_ms"})
    diag->clear_value(prefix + name);
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
  auto delay = std::max(*next - st.clock(), schedule_duration::zero());
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::nanoseconds>(delay),
                     tick_timer_atom::value, st.gen);
}

/// Diagnostics at most every 250 ms and the file at most every second:
/// formatting and writing must not make the next tick late. The values are
/// shown `show_batch` schedules per turn (a timer message that arrives in
/// between is handled first); what is left waits for one flush message
/// (armed only while something is pending, so an idle ticker has no timer
/// of its own).
void tidy(ticker_actor* self, schedule_time now) {
  auto& st = self->state;
  if (!st.unshown.empty() && (st.showing || now - st.last_show >= show_interval)) {
    auto i = st.unshown.begin();
    for (size_t n = 0; n < show_batch && i != st.unshown.end(); ++n) {
      show(self, *i);
      i = st.unshown.erase(i);
    }
    st.showing = !st.unshown.empty();
    if (!st.showing)
      st.last_show = now;
  }
  bool unsaved = st.dirty && !st.state_file.empty();
  if (unsaved && now - st.last_save >= save_interval) {
    save(self, now);
    unsaved = false;
  }
  if (st.flush_armed || (st.unshown.empty() && !unsaved))
    return;
  st.flush_armed = true;
  if (st.showing) {
    // Anonymous: a message to self naming self as its sender would keep the
    // actor alive while it waits in the mailbox of an actor nobody runs.
    caf::anon_send(caf::actor_cast<caf::actor>(self), tick_flush_atom::value);
    return;
  }
  auto at =
      st.unshown.empty() ? st.last_save + save_interval : st.last_show + show_interval;
  if (unsaved)
    at = std::min(at, st.last_save + save_interval);
  auto delay = std::max(at - now, schedule_duration::zero());
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::nanoseconds>(delay),
                     tick_flush_atom::value);
}

/// The answer to a tick: handled, unless it comes from an earlier instance
/// of the child (whose ticks the book dropped when it stopped).
void answered(ticker_actor* self, const std::string& key, const std::string& group,
              uint64_t run) {
  auto& st = self->state;
  auto r = st.runs.find(group);
  if (r == st.runs.end() || r->second != run)
    return;
  st.book.handled(key);
  if (auto w = st.waiting.find(key); w != st.waiting.end() && --w->second == 0)
    st.waiting.erase(w);
}

/// A child started or stopped: the book drops its outstanding ticks.
void new_run(ticker_actor* self, const std::string& group) {
  auto& st = self->state;
  ++st.runs[group];
  if (auto i = st.keys_of.find(group); i != st.keys_of.end())
    for (auto& key : i->second)
      st.waiting.erase(key);
}

void fire(ticker_actor* self) {
  auto& st = self->state;
  auto now = st.clock();
  for (auto& t : st.book.due(now)) {
    st.dirty = true;
    st.unshown.insert(t.key);
    auto target = st.registry->whereis(t.group);
    if (!target) {
      st.book.handled(t.key);
      continue;
    }
    tick msg{t.tick, to_string(t.kind), to_us(t.due),
             std::chrono::duration_cast<std::chrono::microseconds>(t.lateness).count(),
             t.missed};
    ++st.waiting[t.key];
    self->request(target, caf::infinite, std::move(msg))
        .then([self, key{t.key}, group{t.group},
               run{st.runs[t.group]}](bool) { answered(self, key, group, run); },
              [self, key{t.key}, group{t.group}, run{st.runs[t.group]}](caf::error&) {
                answered(self, key, group, run);
              });
  }
  // A schedule whose tick is unanswered may just have skipped one.
  for (auto& [key, n] : st.waiting)
    st.unshown.insert(key);
  tidy(self, now);
}

/// Adds, replaces or removes schedules so that they match `set`.
void apply(ticker_actor* self, const schedule_set& set) {
  auto& st = self->state;
  auto now = st.clock();
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
      unshow(self, i->first);
      st.book.remove(i->first);
      st.groups.erase(i->first);
      st.waiting.erase(i->first);
      st.unshown.erase(i->first);
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
          diag && (diag->state() == child_state::running ||
                   diag->state() == child_state::starting))
        st.book.start(key, false, now);
      show(self, key);
    } else if (known->second != spec) {
      if (st.book.replace(key, spec, now, &why)) {
        known->second = spec;
        show(self, key);
      } else {
        st.log->error("ticker: {}: {}", key, why);
      }
    }
  }
  st.keys_of.clear();
  for (auto& [key, path] : st.groups)
    st.keys_of[path].push_back(key);
}

caf::behavior ticker(ticker_actor* self, schedule_set initial, path_registry_ptr registry,
                     lifecycle_bus_ptr events, std::string state_file,
                     ticker_clock clock) {
  auto& st = self->state;
  st.registry = std::move(registry);
  st.events = std::move(events);
  st.state_file = std::move(state_file);
  st.clock = std::move(clock);
  if (!st.clock)
    st.clock = [] { return std::chrono::system_clock::now(); };
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
    save(self, self->state.clock());
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
      [self](tick_flush_atom) {
        self->state.flush_armed = false;
        tidy(self, self->state.clock());
      },
      [self](const lifecycle_event& ev) {
        auto& st = self->state;
        auto now = st.clock();
        switch (ev.kind) {
          case lifecycle_kind::started:
          case lifecycle_kind::restarted:
            new_run(self, ev.child);
            st.book.on_child_start(ev.child, ev.kind == lifecycle_kind::started, now);
            break;
          case lifecycle_kind::stopped:
          case lifecycle_kind::crashed:
          case lifecycle_kind::backoff:
          case lifecycle_kind::done:
            new_run(self, ev.child);
            st.book.on_child_stop(ev.child);
            break;
          default:
            return;
        }
        if (auto i = st.keys_of.find(ev.child); i != st.keys_of.end())
          for (auto& key : i->second)
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
                        std::string state_file, ticker_clock clock) {
  auto bus = events;
  auto result = sys.spawn(ticker, std::move(initial), std::move(registry),
                          std::move(events), std::move(state_file), std::move(clock));
  // Subscribed before this returns, not when the actor first runs: the
  // tree may start (and report its children started) in between.
  bus->subscribe(result);
  return result;
}

} // namespace warden
