// Model-based randomized testing of the supervisor, the way Erlang shops
// test stateful systems with QuickCheck/PropEr state machines: a pure
// reference model of a supervisor, random command sequences run against a
// real tree on CAF's test coordinator (virtual time), and after every step
// the tree must match the model: every child's state and restart count, who
// has an instance, the order of starts and stops (lifecycle events), and
// escalation exactly when the model escalates. RapidCheck shrinks a failure
// to a minimal sequence; each one found is kept as a plain regression test
// in tests/actor/supervisor_test.cpp.
//
// RC_PARAMS="max_success=N max_size=M" sets the number of sequences and
// their length (CI: tests/CMakeLists.txt; long hunts: scripts/model-check).

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include <spdlog/sinks/base_sink.h>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include "../actor/fixture.hpp"
#include "warden/actors/health.hpp"
#include "warden/supervisor/backoff.hpp"

namespace warden::test {
namespace {

// -- the model ----------------------------------------------------------------

enum class mgoal { run, hold, off, remove };

struct mchild {
  std::string name;
  restart_type restart = restart_type::permanent;
  bool one_shot = false;
  bool delay_ready = false; // reports ready only when told (`ready` command)
  bool significant = false; // its own exit may shut the supervisor down
  std::vector<std::string> deps;
  child_state state = child_state::waiting;
  uint32_t restarts = 0;
  mgoal target = mgoal::run;
  bool queued = false;
  bool noted = false; // its diagnostics name the dependency it waits for
  backoff_state bo;
  int64_t due_ms = 0;   // in backoff: when its restart timer fires
  uint64_t due_seq = 0; // timers due at the same time fire in this order
};

/// The model's clock as a time point (never the "never" of `time_point{}`).
time_point at_ms(int64_t ms) {
  return time_point{} + std::chrono::hours{1} + std::chrono::milliseconds{ms};
}

/// A supervisor as a reference model: plain data and the rules of SPEC.md
/// section 5, written for clarity, not speed. Every operation ends quiet
/// (as the real tree is after `sched.run()`).
struct model {
  strategy strat = strategy::one_for_one;
  uint32_t intensity = 3;
  int64_t period_ms = 5000;
  backoff_policy backoff; // jitter 0: the delays are exact
  auto_shutdown shutdown = auto_shutdown::never;
  uint64_t timers = 0;
  std::vector<mchild> kids;
  std::deque<int64_t> window; // restart times
  int64_t now_ms = 0;
  bool down = false;        // the root gave up or shut itself down
  bool down_normal = false; // ... shut itself down (auto_shutdown)
  int next_name = 0;
  std::vector<std::string> events; // of the current step: "started root/a"
  std::deque<std::string> readies; // started, their ready message on its way

  mchild* find(const std::string& name) {
    for (auto& k : kids)
      if (k.name == name)
        return &k;
    return nullptr;
  }

  const mchild* find(const std::string& name) const {
    return const_cast<model*>(this)->find(name);
  }

  size_t index_of(const std::string& name) const {
    for (size_t i = 0; i < kids.size(); ++i)
      if (kids[i].name == name)
        return i;
    return kids.size();
  }

  static bool live(const mchild& k) {
    return k.state == child_state::starting || k.state == child_state::running;
  }

  static bool ready(const mchild& k) {
    return k.state == child_state::running || k.state == child_state::done;
  }

  void event(const char* what, const mchild& k) {
    events.push_back(std::string{what} + " root/" + k.name);
  }

  void queue(mchild& k) {
    k.queued = true;
    k.state = child_state::waiting;
  }

  /// 0 ready, 1 coming, 2 down.
  int deps_of(const mchild& k) const {
    int result = 0;
    for (auto& name : k.deps) {
      auto d = find(name);
      if (d == nullptr || ready(*d))
        continue;
      if (d->state == child_state::starting || d->state == child_state::backoff ||
          d->queued)
        result = 1;
      else
        return 2;
    }
    return result;
  }

  /// Left to right; a child whose dependency is coming holds the rest back.
  void resume() {
    if (down)
      return;
    for (size_t i = 0; i < kids.size(); ++i) {
      auto& k = kids[i];
      if (!k.queued)
        continue;
      auto st = deps_of(k);
      if (st == 1)
        return; // the ones behind it are not looked at
      if (st == 2) {
        k.noted = true;
        continue;
      }
      k.queued = false;
      k.bo.last_start = at_ms(now_ms);
      event(k.restarts > 0 ? "restarted" : "started", k);
      // Ready once its ready message arrives: after every message already
      // in the supervisor's mailbox (timers that fired together).
      k.state = child_state::starting;
      if (!k.one_shot && !k.delay_ready)
        readies.push_back(k.name);
    }
  }

  /// The ready messages of the children started so far arrive.
  void drain() {
    while (!readies.empty()) {
      auto k = find(readies.front());
      readies.pop_front();
      if (k != nullptr && k->state == child_state::starting) {
        k->state = child_state::running;
        resume();
      }
    }
  }

  void erase(const std::string& name) {
    kids.erase(kids.begin() + static_cast<std::ptrdiff_t>(index_of(name)));
    for (auto& k : kids)
      k.deps.erase(std::remove(k.deps.begin(), k.deps.end(), name), k.deps.end());
  }

  /// A stopped child ends as its goal says.
  void settle(const std::string& name) {
    auto k = find(name);
    switch (k->target) {
      case mgoal::run:
        queue(*k);
        break;
      case mgoal::hold:
        k->state = child_state::stopped;
        break;
      case mgoal::off:
        k->state = child_state::disabled;
        break;
      case mgoal::remove:
        erase(name);
        break;
    }
  }

  /// Stops the named live children right to left, then starts what waits.
  void stop_batch(std::vector<std::string> names) {
    std::sort(names.begin(), names.end(),
              [&](auto& x, auto& y) { return index_of(x) > index_of(y); });
    for (auto& name : names) {
      event("stopped", *find(name));
      settle(name);
    }
    resume();
  }

  void give_up(mchild& c) {
    c.state = child_state::failed;
    stop_all();
  }

  /// Significant children ended: the supervisor stops itself, normally.
  void check_auto_shutdown(const mchild& c) {
    if (!c.significant || shutdown == auto_shutdown::never)
      return;
    if (shutdown == auto_shutdown::all_significant)
      for (auto& k : kids)
        if (k.significant && (live(k) || k.state == child_state::backoff || k.queued))
          return;
    down_normal = true;
    stop_all();
  }

  void stop_all() {
    down = true;
    for (auto& k : kids)
      if (k.queued || k.state == child_state::backoff) {
        k.queued = false;
        k.state = child_state::stopped;
      }
    for (size_t i = kids.size(); i-- > 0;)
      if (live(kids[i])) {
        event("stopped", kids[i]);
        kids[i].state = child_state::stopped;
      }
  }

  /// A child's instance ended by itself: normal (finished) or abnormal.
  void exited(const std::string& name, bool abnormal) {
    auto& c = *find(name);
    if (c.one_shot && !abnormal) {
      c.state = child_state::done;
      event("done", c);
      check_auto_shutdown(c);
      resume();
      return;
    }
    bool again = c.restart == restart_type::permanent ||
                 (c.restart == restart_type::transient && abnormal);
    if (!again) {
      c.state = abnormal ? child_state::failed : child_state::done;
      if (!abnormal)
        event("done", c);
      check_auto_shutdown(c);
      resume();
      return;
    }
    while (!window.empty() && now_ms - window.front() >= period_ms)
      window.pop_front();
    window.push_back(now_ms);
    if (window.size() > intensity) {
      give_up(c);
      return;
    }
    ++c.restarts;
    auto delay = next_backoff(backoff, c.bo, at_ms(now_ms), 0.0);
    if (delay.count() > 0) {
      c.state = child_state::backoff;
      c.due_ms = now_ms + delay.count();
      c.due_seq = ++timers;
    } else {
      queue(c);
    }
    std::vector<std::string> siblings;
    auto first = strat == strategy::one_for_all ? size_t{0} : index_of(name);
    if (strat != strategy::one_for_one)
      for (auto i = first; i < kids.size(); ++i) {
        auto& s = kids[i];
        if (s.name == name || s.target != mgoal::run)
          continue;
        if (live(s))
          siblings.push_back(s.name);
        else if (s.state == child_state::backoff)
          queue(s); // its own timer no longer matters
      }
    stop_batch(siblings);
  }

  /// Time passes: restart timers fire in the order they are due.
  void advance(int64_t ms) {
    now_ms += ms;
    for (;;) {
      mchild* next = nullptr;
      for (auto& k : kids)
        if (k.state == child_state::backoff && k.due_ms <= now_ms &&
            (next == nullptr || k.due_ms < next->due_ms ||
             (k.due_ms == next->due_ms && k.due_seq < next->due_seq)))
          next = &k;
      if (next == nullptr)
        return;
      queue(*next);
      resume();
    }
  }

  void operator_stop(const std::string& name, mgoal g) {
    auto& k = *find(name);
    k.target = g;
    k.queued = false;
    if (live(k)) {
      stop_batch({name});
      return;
    }
    settle(name);
    resume();
  }

  void operator_restart(const std::string& name) {
    auto& k = *find(name);
    k.target = mgoal::run;
    if (live(k))
      stop_batch({name});
    else if (k.state != child_state::waiting) {
      queue(k);
      resume();
    }
  }
};

// -- the system under test ------------------------------------------------------

/// Collects log lines until taken (a ring buffer of enough lines for a
/// long sequence would cost more to allocate than the sequence to run).
class line_sink : public spdlog::sinks::base_sink<std::mutex> {
public:
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> guard{mutex_};
    return std::exchange(lines_, {});
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

private:
  std::vector<std::string> lines_;
};

/// One actor system for all sequences: making one costs ~45 ms, more than a
/// whole sequence. Each sequence gets a fresh tree, registry and log.
struct harness {
  harness()
    : cfg(actor_fixture::testing_options())
    , sys(cfg)
    , sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  // Never destroyed: at exit, after main, CAF's and spdlog's statics may
  // be gone already (a static instance crashed there).
  static harness& get() {
    static auto instance = new harness;
    return *instance;
  }

  system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
};

/// A real tree on the test coordinator, with the log captured.
struct tree {
  tree()
    : sys(harness::get().sys)
    , sched(harness::get().sched)
    , self(sys)
    , sink(std::make_shared<line_sink>()) {
    auto log = std::make_shared<spdlog::logger>("model", sink);
    log->set_level(spdlog::level::info);
    ctx.log = log;
  }

  ~tree() {
    if (root)
      self->send_exit(root, caf::exit_reason::kill);
    sched.run();
  }

  /// The lifecycle events logged since the last call ("started root/a").
  std::vector<std::string> new_events() {
    std::vector<std::string> result;
    for (auto& line : sink->take()) {
      auto child = line.find(" child=");
      auto ev = line.find(" event=");
      if (child == std::string::npos || ev == std::string::npos)
        continue;
      auto end = line.find(' ', ev + 7);
      auto kind = line.substr(ev + 7, end - ev - 7);
      if (kind != "started" && kind != "restarted" && kind != "stopped" && kind != "done")
        continue;
      result.push_back(kind + " " + line.substr(child + 7, ev - child - 7));
    }
    return result;
  }

  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    caf::expected<T> result{caf::error{}};
    auto reply = self->request(root, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    reply.receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  void send_to(const std::string& name, caf::message msg) {
    auto target = ctx.registry->whereis("root/" + name);
    RC_ASSERT(static_cast<bool>(target));
    self->send(target, std::move(msg));
    sched.run();
  }

  std::optional<caf::error> root_down() {
    std::optional<caf::error> result;
    self->receive([&](caf::down_msg& msg) { result = msg.reason; },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    return result;
  }

  caf::actor_system& sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  std::shared_ptr<line_sink> sink;
  supervisor_context ctx;
  caf::actor root;
};

child_spec spec_of(const mchild& k) {
  auto c = probe_child(k.name, k.restart, probe::options{k.delay_ready, false, false});
  c.one_shot = k.one_shot;
  c.depends_on = k.deps;
  c.enabled = k.target != mgoal::off;
  c.significant = k.significant;
  return c;
}

supervisor_spec spec_of(const model& m) {
  supervisor_spec spec;
  spec.flags.strat = m.strat;
  spec.flags.intensity = m.intensity;
  spec.flags.period = milliseconds{m.period_ms};
  spec.flags.backoff = m.backoff;
  spec.flags.shutdown = m.shutdown;
  for (auto& k : m.kids)
    spec.children.push_back(spec_of(k));
  return spec;
}

std::string show_model(const model& m) {
  std::ostringstream out;
  out << to_string(m.strat) << " intensity=" << m.intensity << " period=" << m.period_ms
      << "ms auto_shutdown=" << to_string(m.shutdown) << " t=" << m.now_ms
      << (m.down ? " DOWN" : "") << ":";
  for (auto& k : m.kids)
    out << " " << k.name << (k.significant ? "*" : "") << "=" << to_string(k.state) << "/"
        << k.restarts;
  return out.str();
}

/// After every step: the tree is what the model says.
void check(const model& m, tree& t) {
  RC_LOG() << "model: " << show_model(m) << "\n";
  auto events = t.new_events();
  RC_ASSERT(events == m.events);
  if (m.down) {
    auto reason = t.root_down();
    RC_ASSERT(reason.has_value());
    if (m.down_normal)
      RC_ASSERT(!*reason);
    else
      RC_ASSERT(reason->code() == static_cast<uint8_t>(error::intensity_exceeded));
    t.root = nullptr;
    return;
  }
  RC_ASSERT(!t.root_down().has_value());
  auto children = t.ask<std::vector<diagnostics_snapshot>>(which_children_atom::value);
  RC_ASSERT(static_cast<bool>(children));
  RC_ASSERT(children->size() == m.kids.size());
  bool degraded = false;
  for (size_t i = 0; i < m.kids.size(); ++i) {
    auto& k = m.kids[i];
    auto& real = (*children)[i];
    RC_ASSERT(real.path == "root/" + k.name);
    RC_ASSERT(to_string(real.state) == std::string{to_string(k.state)});
    RC_ASSERT(real.restarts == k.restarts);
    bool has_instance = static_cast<bool>(t.ctx.registry->whereis(real.path));
    RC_ASSERT(has_instance == model::live(k));
    degraded = degraded || k.state == child_state::waiting ||
               k.state == child_state::failed || k.state == child_state::backoff;
    RC_ASSERT(real.values.count("waiting_for") == (k.noted ? 1u : 0u));
  }
  auto level = health_of(t.ctx.registry->subtree("root"));
  RC_ASSERT(level == (degraded ? health_level::degraded : health_level::ok));
}

// -- commands -----------------------------------------------------------------

using command = rc::state::Command<model, tree>;

/// A random name of an existing child that satisfies `pred`.
template <class Pred>
std::string pick(const model& m, Pred pred) {
  std::vector<std::string> names;
  for (auto& k : m.kids)
    if (pred(k))
      names.push_back(k.name);
  RC_PRE(!names.empty());
  return *rc::gen::elementOf(names);
}

/// Commands run so far, by kind (`WARDEN_MODEL_STATS=1` prints them).
std::map<std::string, size_t>& executed() {
  static std::map<std::string, size_t> counts;
  return counts;
}

/// A command: `change` is what the model says happens, `act` does it to the
/// tree; then the two are compared.
struct step : command {
  void apply(model& m) const final {
    m.events.clear();
    change(m);
    m.drain();
    for (auto& k : m.kids)
      k.noted = k.noted && k.state == child_state::waiting;
  }
  void run(const model& before, tree& t) const override {
    std::ostringstream name;
    show(name);
    auto kind = name.str().substr(0, name.str().find(' '));
    ++executed()[kind];
    auto m = before;
    apply(m);
    act(before, t);
    check(m, t);
  }
  virtual void change(model& m) const = 0;
  virtual void act(const model& m, tree& t) const = 0;
};

struct crash : step {
  std::string name;
  bool abnormal;
  explicit crash(const model& m)
    : name(pick(m, [](const mchild& k) { return model::live(k); }))
    , abnormal(*rc::gen::weightedElement<bool>({{3, true}, {1, false}})) {}
  void checkPreconditions(const model& m) const override {
    RC_PRE(!m.down);
    auto k = m.find(name);
    RC_PRE(bool(k != nullptr && model::live(*k)));
  }
  void change(model& m) const override {
    m.exited(name, abnormal);
  }
  void act(const model&, tree& t) const override {
    if (abnormal)
      t.send_to(name, caf::make_message(crash_atom::value, std::string{"boom"}));
    else
      t.send_to(name, caf::make_message(finish_atom::value));
  }
  void show(std::ostream& os) const override {
    os << (abnormal ? "crash " : "finish ") << name;
  }
};

struct go_ready : step {
  std::string name;
  explicit go_ready(const model& m)
    : name(pick(m, [](const mchild& k) {
      return k.state == child_state::starting && k.delay_ready && !k.one_shot;
    })) {}
  void checkPreconditions(const model& m) const override {
    RC_PRE(!m.down);
    auto k = m.find(name);
    RC_PRE(bool(k != nullptr && k->state == child_state::starting && k->delay_ready &&
                !k->one_shot));
  }
  void change(model& m) const override {
    m.find(name)->state = child_state::running;
    m.resume();
  }
  void act(const model&, tree& t) const override {
    t.send_to(name, caf::make_message(go_ready_atom::value));
  }
  void show(std::ostream& os) const override {
    os << "ready " << name;
  }
};

/// A command on one child that the config has not disabled.
struct on_enabled_child : step {
  std::string name;
  explicit on_enabled_child(const model& m)
    : name(pick(m, [](const mchild& k) { return k.target != mgoal::off; })) {}
  void checkPreconditions(const model& m) const override {
    RC_PRE(!m.down);
    auto k = m.find(name);
    RC_PRE(bool(k != nullptr && k->target != mgoal::off));
  }
};

struct stop : on_enabled_child {
  using on_enabled_child::on_enabled_child;
  void change(model& m) const override {
    m.operator_stop(name, mgoal::hold);
  }
  void act(const model&, tree& t) const override {
    RC_ASSERT(static_cast<bool>(t.ask<caf::ok_atom>(stop_child_atom::value, name)));
  }
  void show(std::ostream& os) const override {
    os << "stop " << name;
  }
};

struct restart : on_enabled_child {
  using on_enabled_child::on_enabled_child;
  void change(model& m) const override {
    m.operator_restart(name);
  }
  void act(const model& before, tree& t) const override {
    auto reply = t.ask<caf::ok_atom>(restart_child_atom::value, name);
    // Refused exactly when it cannot start: a dependency is down.
    auto m = before;
    apply(m);
    auto k = m.find(name);
    bool blocked = m.deps_of(*k) == 2;
    RC_ASSERT(static_cast<bool>(reply) == !blocked);
  }
  void show(std::ostream& os) const override {
    os << "restart " << name;
  }
};

/// A new child's spec, its dependencies among `m`'s children.
mchild gen_child(const model& m, const std::string& name) {
  mchild k;
  k.name = name;
  k.restart = *rc::gen::element(restart_type::permanent, restart_type::transient,
                                restart_type::temporary);
  k.one_shot = *rc::gen::weightedElement<bool>({{5, false}, {1, true}});
  k.delay_ready = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  for (auto& other : m.kids)
    if (*rc::gen::weightedElement<bool>({{3, false}, {1, true}}))
      k.deps.push_back(other.name);
  if (m.shutdown != auto_shutdown::never && k.restart != restart_type::permanent)
    k.significant = *rc::gen::weightedElement<bool>({{2, false}, {1, true}});
  return k;
}

struct add : step {
  mchild spec;
  explicit add(const model& m)
    : spec(gen_child(m, "n" + std::to_string(m.next_name))) {}
  void checkPreconditions(const model& m) const override {
    RC_PRE(bool(!m.down && m.kids.size() < 8));
    RC_PRE(m.find(spec.name) == nullptr);
    for (auto& d : spec.deps)
      RC_PRE(m.find(d) != nullptr);
  }
  void change(model& m) const override {
    ++m.next_name;
    m.kids.push_back(spec);
    m.queue(m.kids.back());
    m.resume();
  }
  void act(const model&, tree& t) const override {
    auto reply = t.ask<caf::ok_atom>(start_child_atom::value, spec_of(spec));
    RC_ASSERT(static_cast<bool>(reply));
  }
  void show(std::ostream& os) const override {
    os << "add " << spec.name << " " << to_string(spec.restart)
       << (spec.one_shot ? " one_shot" : "") << (spec.delay_ready ? " delay_ready" : "")
       << (spec.significant ? " significant" : "") << " deps=[";
    for (auto& d : spec.deps)
      os << d << " ";
    os << "]";
  }
};

struct remove : step {
  std::string name;
  explicit remove(const model& m)
    : name(pick(m, [](const mchild&) { return true; })) {}
  void checkPreconditions(const model& m) const override {
    RC_PRE(bool(!m.down && m.find(name) != nullptr));
  }
  bool refused(const model& m) const {
    for (auto& k : m.kids)
      if (std::find(k.deps.begin(), k.deps.end(), name) != k.deps.end())
        return true;
    return false;
  }
  void change(model& m) const override {
    if (!refused(m))
      m.operator_stop(name, mgoal::remove);
  }
  void act(const model& m, tree& t) const override {
    auto reply = t.ask<caf::ok_atom>(delete_child_atom::value, name);
    RC_ASSERT(static_cast<bool>(reply) == !refused(m));
  }
  void show(std::ostream& os) const override {
    os << "delete " << name;
  }
};

/// A config reload: some children removed (a rename when one is added
/// too), some added, one toggled between enabled and disabled.
struct reload : step {
  std::vector<std::string> removed;
  std::vector<mchild> added;
  std::string toggled;
  explicit reload(const model& m) {
    for (auto& k : m.kids)
      if (*rc::gen::weightedElement<bool>({{4, false}, {1, true}}))
        removed.push_back(k.name);
    model kept = m;
    for (auto& name : removed)
      kept.erase(name);
    auto n = *rc::gen::inRange(0, 3);
    for (int i = 0; i < n; ++i) {
      added.push_back(gen_child(kept, "n" + std::to_string(m.next_name + i)));
      kept.kids.push_back(added.back());
    }
    if (!kept.kids.empty() && *rc::gen::arbitrary<bool>())
      toggled = kept.kids[*rc::gen::inRange<size_t>(0, kept.kids.size())].name;
  }
  void checkPreconditions(const model& m) const override {
    RC_PRE(!m.down);
    for (auto& name : removed)
      RC_PRE(m.find(name) != nullptr);
    for (auto& k : added)
      RC_PRE(m.find(k.name) == nullptr);
    RC_PRE(m.kids.size() - removed.size() + added.size() <= 8);
    if (!toggled.empty())
      RC_PRE(std::find(removed.begin(), removed.end(), toggled) == removed.end());
    for (auto& k : added)
      for (auto& d : k.deps) {
        bool known = false;
        for (auto& other : added)
          known = known || other.name == d;
        RC_PRE(bool(known ||
                    (m.find(d) != nullptr &&
                     std::find(removed.begin(), removed.end(), d) == removed.end())));
      }
    if (!toggled.empty())
      RC_PRE(m.find(toggled) != nullptr ||
             std::any_of(added.begin(), added.end(),
                         [&](const mchild& k) { return k.name == toggled; }));
  }
  /// The new spec as the model sees it (the kept children with their new
  /// `enabled`, then the added ones).
  std::vector<mchild> next_children(const model& m) const {
    model next = m;
    for (auto& name : removed)
      next.erase(name);
    for (auto k : added) {
      k.state = child_state::waiting;
      next.kids.push_back(k);
    }
    for (auto& k : next.kids)
      if (k.name == toggled)
        k.target = k.target == mgoal::off ? mgoal::run : mgoal::off;
    return next.kids;
  }
  void change(model& m) const override {
    auto next = next_children(m);
    std::vector<std::string> stops;
    for (auto& name : removed) {
      auto k = m.find(name);
      k->target = mgoal::remove;
      k->queued = false;
      for (auto& other : m.kids)
        other.deps.erase(std::remove(other.deps.begin(), other.deps.end(), name),
                         other.deps.end());
      if (model::live(*k))
        stops.push_back(name);
      else
        m.erase(name);
    }
    for (auto& k : added) {
      m.next_name = std::max(m.next_name, std::stoi(k.name.substr(1)) + 1);
      m.kids.push_back(k);
      if (m.kids.back().target == mgoal::off)
        m.kids.back().state = child_state::disabled;
      else
        m.queue(m.kids.back());
    }
    for (auto& want : next) {
      if (want.name != toggled)
        continue;
      auto k = m.find(want.name);
      bool added_now = std::any_of(added.begin(), added.end(),
                                   [&](const mchild& a) { return a.name == want.name; });
      if (want.target == mgoal::off) {
        k->target = mgoal::off;
        k->queued = false;
        if (model::live(*k))
          stops.push_back(k->name);
        else
          k->state = child_state::disabled;
      } else if (k->target == mgoal::off && !added_now) {
        k->target = mgoal::run;
        m.queue(*k);
      }
    }
    m.stop_batch(stops);
  }
  void act(const model& m, tree& t) const override {
    model next = m;
    next.kids = next_children(m);
    auto reply = t.ask<caf::ok_atom>(reload_atom::value, reload_plan{spec_of(next)});
    RC_ASSERT(static_cast<bool>(reply));
  }
  void show(std::ostream& os) const override {
    os << "reload removed=[";
    for (auto& x : removed)
      os << x << " ";
    os << "] added=[";
    for (auto& k : added) {
      os << k.name << ":" << to_string(k.restart) << (k.one_shot ? ",one_shot" : "")
         << (k.delay_ready ? ",delay_ready" : "") << ",deps=";
      for (auto& d : k.deps)
        os << d << "+";
      os << " ";
    }
    os << "] toggled=" << toggled;
  }
};

struct advance : step {
  int64_t ms;
  explicit advance(const model&)
    : ms(*rc::gen::element<int64_t>(100, 1000, 3000)) {}
  void checkPreconditions(const model& m) const override {
    RC_PRE(!m.down);
  }
  void change(model& m) const override {
    m.advance(ms);
  }
  void act(const model&, tree& t) const override {
    t.sched.advance_time(milliseconds{ms});
    t.sched.run();
  }
  void show(std::ostream& os) const override {
    os << "advance " << ms << "ms";
  }
};

RC_GTEST_PROP(supervisor_model, the_tree_matches_the_model_after_every_step, ()) {
  model m;
  m.strat = *rc::gen::element(strategy::one_for_one, strategy::one_for_all,
                              strategy::rest_for_one);
  m.intensity = *rc::gen::inRange<uint32_t>(1, 12);
  m.period_ms = *rc::gen::element<int64_t>(1000, 5000);
  if (*rc::gen::arbitrary<bool>())
    m.backoff = backoff_policy{100ms, 1000ms, 0.0, 2000ms};
  m.shutdown =
      *rc::gen::weightedElement<auto_shutdown>({{2, auto_shutdown::never},
                                                {1, auto_shutdown::any_significant},
                                                {1, auto_shutdown::all_significant}});
  auto n = *rc::gen::inRange(1, 6);
  for (int i = 0; i < n; ++i)
    m.kids.push_back(gen_child(m, "c" + std::to_string(i)));
  for (auto& k : m.kids)
    m.queue(k);
  m.resume();
  m.drain();
  tree t;
  auto root = spawn_supervisor(t.sys, "root", spec_of(m), t.ctx);
  RC_ASSERT(static_cast<bool>(root));
  t.root = *root;
  t.self->monitor(t.root);
  t.sched.run();
  RC_TAG(to_string(m.strat));
  check(m, t);
  m.events.clear();
  rc::state::check(
      m, t,
      rc::state::gen::execOneOfWithArgs<crash, crash, go_ready, stop, restart, add,
                                        remove, reload, advance>());
  static size_t sequences = 0;
  if (++sequences % 500 == 0 && std::getenv("WARDEN_MODEL_STATS") != nullptr) {
    std::cerr << "after " << sequences << " sequences:";
    for (auto& [kind, n] : executed())
      std::cerr << " " << kind << "=" << n;
    std::cerr << "\n";
  }
}

} // namespace
} // namespace warden::test
