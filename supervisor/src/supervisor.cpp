#include "warden/supervisor/supervisor.hpp"

#include <algorithm>
#include <random>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "child_slot.hpp"
#include "reporter.hpp"
#include "start_queue.hpp"
#include "stop_queue.hpp"
#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/supervisor/plan_reload.hpp"
#include "warden/supervisor/restart_policy.hpp"
#include "warden/supervisor/strategy.hpp"
#include "warden/supervisor/validate.hpp"

namespace warden {

namespace {

using detail::child;
using detail::child_ptr;
using detail::dep_check;
using detail::goal;

/// At most this many children are starting (spawned, not yet ready) at a
/// time. Spawning a large tree in one handler would pile every new actor
/// onto one worker's queue, and CAF 0.17's work stealing takes from the tail
/// of that queue in O(length): quadratic for 100 k children.
constexpr size_t start_window = 128;

/// The supervisor. Its children run in start order; every event (ready,
/// exit, timer, request) updates the slots and then calls `next_stop` or
/// `resume_starts`, which do the only actual work: stop right to left, one at
/// a time, each within its deadline; then start left to right from the start
/// queue, each after its dependencies are ready. Restart decisions come from
/// `decide`, reload decisions from `plan_reload`; every state change goes
/// through `set_state`.
///
///            init ──▶ starting children ──(all ready)──▶ ready
///                         ▲      │ crash: decide ─▶ restart / backoff / ignore
///                         └──────┘
///   shutdown / exit / escalate ──▶ stopping all, right to left ──▶ quit
class supervisor_actor : public caf::event_based_actor {
public:
  supervisor_actor(caf::actor_config& cfg, supervisor_spec spec, supervisor_context ctx,
                   service_init init)
    : caf::event_based_actor(cfg)
    , flags_(std::move(spec.flags))
    , initial_(std::move(spec.children))
    , ctx_(std::move(ctx))
    , init_(std::move(init))
    , report_(ctx_.log, ctx_.events)
    , window_(flags_.intensity, flags_.period)
    , rng_(static_cast<uint32_t>(id())) {
    // nop
  }

  const char* name() const override {
    return "warden::supervisor";
  }

  caf::behavior make_behavior() override {
    // Bad input never takes a supervisor down: an unknown request gets an
    // error reply, an unknown one-way message or a stray error is ignored.
    // (CAF's `drop` would answer one-way messages with an error, which
    // kills a sender that has the default error handler.)
    set_default_handler([](caf::scheduled_actor* self, caf::message_view&) {
      auto element = self->current_mailbox_element();
      if (element != nullptr && element->mid.is_request())
        return caf::result<caf::message>{caf::sec::unexpected_message};
      return caf::result<caf::message>{caf::message{}};
    });
    set_error_handler([](caf::error&) {});
    set_exit_handler([this](caf::exit_msg& msg) { on_exit_msg(msg); });
    children_.reserve(initial_.size());
    for (auto i : start_order(initial_))
      add_child(std::move(initial_[i]));
    initial_.clear();
    initial_.shrink_to_fit();
    if (!parent())
      init_.diag->state(child_state::starting);
    resume_starts();
    return {
        [this](ready_atom, uint64_t key, uint32_t run) { on_ready(key, run); },
        [this](child_down_atom, uint64_t key, uint32_t run, const caf::error& reason) {
          if (auto c = find_key(key); c != nullptr && c->run == run && c->instance)
            on_child_exit(c, reason);
        },
        [this](restart_timer_atom, uint64_t key, uint32_t gen) {
          on_restart_timer(key, gen);
        },
        [this](stop_timer_atom, uint64_t key, uint32_t gen) { on_stop_timer(key, gen); },
        [this](start_child_atom, child_spec& spec) -> caf::result<caf::ok_atom> {
          return start_child(std::move(spec));
        },
        [this](stop_child_atom, const std::string& name) -> caf::result<caf::ok_atom> {
          return stop_child(name, goal::hold);
        },
        [this](delete_child_atom, const std::string& name) -> caf::result<caf::ok_atom> {
          return stop_child(name, goal::remove);
        },
        [this](restart_child_atom, const std::string& name) -> caf::result<caf::ok_atom> {
          return restart_child(name);
        },
        [this](which_children_atom) {
          std::vector<diagnostics_snapshot> result;
          result.reserve(children_.size());
          auto now = clock().now();
          for (auto& c : children_)
            result.push_back(c->diag.snapshot(now));
          return result;
        },
        [this](info_atom) {
          supervisor_info info;
          auto now = clock().now();
          info.strategy = to_string(flags_.strat);
          info.intensity = flags_.intensity;
          info.period_ms = flags_.period.count();
          info.restarts_in_window = static_cast<uint32_t>(window_.used(now));
          info.children.reserve(children_.size());
          for (auto& c : children_)
            info.children.push_back(c->diag.snapshot(now));
          return info;
        },
        [this](reload_atom, reload_plan& plan) -> caf::result<caf::ok_atom> {
          return reload(std::move(plan.spec));
        },
        [this](shutdown_atom) -> caf::result<std::vector<std::string>> {
          auto rp = make_response_promise<std::vector<std::string>>();
          shutdown_waiters_.push_back(rp);
          begin_shutdown(caf::error{});
          return rp;
        },
    };
  }

  void on_exit() override {
    // Normally every child is stopped by now. If we end any other way (an
    // exception, a kill), no child may outlive us.
    auto now = clock().now();
    for (auto& c : children_)
      if (c->instance) {
        send_exit(c->instance, caf::exit_reason::kill);
        // Drop our handles: an instance holds its slot, so a slot holding
        // the instance would keep both alive forever.
        c->instance = nullptr;
        c->diag.exited("killed: its supervisor " + path() + " exited", now);
        c->diag.state(child_state::stopped);
      }
    // Our slots leave the registry with us; a restarted instance of this
    // supervisor registers fresh ones.
    for (auto& c : children_)
      ctx_.registry->erase(&c->diag);
    if (!parent()) {
      // The root's diagnostics hold its handle, and it holds them.
      init_.diag->exited(describe(final_reason_), now);
      ctx_.registry->erase(init_.diag.get());
    }
    starts_.clear();
    stops_.clear();
    children_.clear();
    caf::event_based_actor::on_exit();
  }

private:
  // -- slots ------------------------------------------------------------------

  const std::string& path() const {
    return init_.diag->path();
  }

  const caf::actor& parent() const {
    return init_.supervisor;
  }

  /// The one place a child's state changes.
  void set_state(child* c, child_state st) {
    auto before = c->state();
    if (before == st)
      return;
    if (before == child_state::starting)
      --starting_count_;
    if (st == child_state::starting)
      ++starting_count_;
    if (before == child_state::waiting && c->reported_waiting) {
      c->reported_waiting = false;
      c->diag.clear_value("waiting_for");
    }
    c->diag.state(st);
  }

  child* add_child(child_spec spec) {
    auto c = std::make_shared<child>(path() + "/" + spec.name, std::move(spec.type));
    c->index = static_cast<uint32_t>(children_.size());
    c->serial = next_serial_++;
    configure(c.get(), std::move(spec));
    ctx_.registry->put(diagnostics_ptr{c, &c->diag});
    children_.push_back(std::move(c));
    auto result = children_.back().get();
    if (result->target == goal::run)
      queue_start(result);
    else
      set_state(result, child_state::disabled);
    return result;
  }

  /// Takes what the slot keeps of `spec` (at creation and on reload); an
  /// enabled child keeps its goal, a disabled one gets `off`.
  void configure(child* c, child_spec spec) {
    c->nested = spec.supervisor != nullptr;
    if (spec.supervisor) {
      c->factory = [nested{std::move(spec.supervisor)},
                    ctx{ctx_}](caf::local_actor& parent, service_init init) {
        return parent.spawn<supervisor_actor>(*nested, ctx, std::move(init));
      };
    } else {
      c->factory = std::move(spec.factory);
    }
    c->params = std::move(spec.params);
    c->own_backoff =
        spec.backoff ? std::make_unique<backoff_policy>(*spec.backoff) : nullptr;
    c->shutdown = spec.shutdown;
    c->restart = spec.restart;
    c->significant = spec.significant;
    c->one_shot = spec.one_shot;
    c->settings_hash = spec.settings_hash;
    if (!spec.enabled)
      c->target = goal::off;
    else if (c->target == goal::off)
      c->target = goal::run;
    c->deps.clear();
    for (auto& dep : spec.depends_on)
      if (auto d = find(dep); d != nullptr && d != c)
        c->deps.push_back(d);
  }

  /// What `plan_reload` compares of a slot.
  child_facts facts_of(const child& c) const {
    child_facts result;
    result.name = std::string{c.name()};
    result.type = c.diag.type();
    result.settings_hash = c.settings_hash;
    result.nested = c.nested;
    result.params = &c.params;
    result.enabled = c.target != goal::off;
    result.restart = c.restart;
    result.shutdown = c.shutdown;
    for (auto d : c.deps)
      result.depends_on.emplace_back(d->name());
    result.significant = c.significant;
    result.one_shot = c.one_shot;
    if (c.own_backoff)
      result.backoff = *c.own_backoff;
    return result;
  }

  /// Drops `c` from every sibling's `depends_on`.
  void forget(const child* c) {
    for (auto& s : children_)
      s->deps.erase(std::remove(s->deps.begin(), s->deps.end(), c), s->deps.end());
  }

  /// Deletes a slot that is not running (its stop has been settled).
  void remove_child(child* c) {
    ctx_.registry->erase(&c->diag);
    starts_.erase(c);
    stops_.erase(c);
    forget(c);
    auto pos = c->index;
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(pos));
    for (auto i = pos; i < children_.size(); ++i)
      children_[i]->index = static_cast<uint32_t>(i);
  }

  child* find(std::string_view name) const {
    for (auto& c : children_)
      if (c->name() == name)
        return c.get();
    return nullptr;
  }

  /// The slot named by `key` (index and serial); O(1) unless a deletion
  /// moved it, then a scan.
  child* find_key(uint64_t key) const {
    auto index = static_cast<size_t>(key >> 32);
    auto serial = static_cast<uint32_t>(key);
    if (index < children_.size() && children_[index]->serial == serial)
      return children_[index].get();
    for (auto& c : children_)
      if (c->serial == serial)
        return c.get();
    return nullptr;
  }

  bool depends_on(const child* c, const child* dep) const {
    return std::find(c->deps.begin(), c->deps.end(), dep) != c->deps.end();
  }

  const backoff_policy& backoff_of(const child* c) const {
    return c->own_backoff ? *c->own_backoff : flags_.backoff;
  }

  // -- starting ---------------------------------------------------------------

  /// Puts `c` into the start queue: it is `waiting` until it starts.
  void queue_start(child* c) {
    if (c->state() == child_state::backoff) {
      ++c->gen; // its own timer no longer matters
      c->diag.next_restart(time_point{});
    }
    starts_.push(c);
    set_state(c, child_state::waiting);
  }

  /// Starts queued children left to right. Stops first: nothing starts
  /// while a stop is in progress.
  void resume_starts() {
    if (shutting_down_ || stops_.busy())
      return;
    bool held_back = false;
    uint32_t from = 0;
    while (auto c = starts_.first_from(from)) {
      if (starting_count_ >= start_window) {
        held_back = true; // resumed as children report ready
        break;
      }
      auto deps = detail::check_deps(*c);
      if (deps.status == dep_check::ready) {
        start_instance(c);
        if (shutting_down_ || stops_.busy())
          return; // a failed start escalated or restarts siblings
        from = c->index + 1;
        continue;
      }
      if (deps.status == dep_check::coming) {
        held_back = true; // resumed when the dependency gets ready
        break;
      }
      note_waiting(c, deps.culprit);
      from = c->index + 1;
    }
    if (!held_back)
      maybe_report_ready();
  }

  /// A queued child cannot start because `dep` is down: its diagnostics
  /// and the log say so, once.
  void note_waiting(child* c, const child* dep) {
    auto what = dep->diag.path() + " (" + to_string(dep->state()) + ")";
    if (!c->reported_waiting) {
      c->reported_waiting = true;
      c->diag.set_value("waiting_for", what);
      report_.emit(lifecycle_kind::waiting, path(), c->diag.path(), "depends on " + what,
                   c->diag.restarts());
    }
  }

  void start_instance(child* c) {
    starts_.erase(c);
    auto now = clock().now();
    ++c->run;
    // A strong handle to us lives in the child only: kept here, it would
    // keep this actor alive forever.
    service_init init{diagnostics_ptr{children_[c->index], &c->diag},
                      caf::actor_cast<caf::actor>(this), c->params, c->key(), c->run};
    caf::actor instance;
    caf::error failure;
    try {
      instance = c->factory(*this, std::move(init));
      if (!instance)
        failure = make_error(error::start_failed, "factory returned no actor");
    } catch (const std::exception& e) {
      failure = make_error(error::start_failed, e.what());
    } catch (...) {
      failure = make_error(error::start_failed, "factory threw");
    }
    if (failure) {
      // Decide as for a crash, but retry through a message to ourselves:
      // never a restart loop inside one handler.
      c->diag.exited(describe(failure), now);
      emit(lifecycle_kind::crashed, c, failure);
      on_crash(c, failure, now, true);
      return;
    }
    watch(c, instance);
    c->instance = instance;
    c->backoff.last_start = now;
    c->diag.started(std::move(instance), now);
    set_state(c, child_state::starting);
    emit(c->diag.restarts() > 0 ? lifecycle_kind::restarted : lifecycle_kind::started, c,
         caf::error{});
  }

  /// Tells us when `instance` ends, with its slot's key: no lookup table
  /// from actor IDs to slots. (Not a link: CAF 0.17 drops a link when an
  /// exit message travels along it, which would hide the stopped child's
  /// exit. Not a monitor: a down message names only the actor.)
  void watch(const child* c, const caf::actor& instance) {
    instance->attach_functor(
        [sup{address()}, key{c->key()}, run{c->run}](const caf::error& reason) {
          if (auto handle = caf::actor_cast<caf::actor>(sup))
            caf::anon_send(handle, child_down_atom::value, key, run, reason);
        });
  }

  void on_ready(uint64_t key, uint32_t run) {
    auto c = find_key(key);
    if (c == nullptr || c->run != run || c->state() != child_state::starting ||
        c->one_shot)
      return; // a one-shot is ready when it has exited
    set_state(c, child_state::running);
    resume_starts();
  }

  void maybe_report_ready() {
    if (ready_reported_ || starting_count_ > 0)
      return;
    ready_reported_ = true;
    if (parent())
      send(parent(), ready_atom::value, init_.slot, init_.run);
    else
      init_.diag->state(child_state::running);
  }

  // -- exits and restarts -----------------------------------------------------

  void on_exit_msg(caf::exit_msg& msg) {
    // Our parent (or a linked actor) went down or asks us to stop.
    if (msg.reason)
      begin_shutdown(std::move(msg.reason));
  }

  void on_child_exit(child* c, const caf::error& reason) {
    c->instance = nullptr;
    auto now = clock().now();
    auto was = c->state();
    c->diag.exited(describe(reason), now);
    if (was == child_state::stopping || c->target != goal::run || shutting_down_) {
      // We asked for this exit (or were about to).
      if (was == child_state::stopping) {
        ++c->gen; // cancels the deadline timer
        stops_.current(nullptr);
      }
      emit(lifecycle_kind::stopped, c, reason);
      settle(c);
      next_stop();
      return;
    }
    auto kind = classify(reason);
    if (c->one_shot && kind == exit_kind::normal) {
      set_state(c, child_state::done);
      emit(lifecycle_kind::done, c, reason);
      check_auto_shutdown(c);
      resume_starts(); // its dependants may start now
      return;
    }
    if (kind == exit_kind::abnormal)
      emit(lifecycle_kind::crashed, c, reason);
    on_crash(c, reason, now, false);
  }

  /// Runs the restart decision for a child whose instance ended by itself.
  void on_crash(child* c, const caf::error& reason, time_point now, bool via_message) {
    auto kind = classify(reason);
    auto decision =
        decide(c->restart, backoff_of(c), kind, window_, c->backoff, now, jitter_(rng_));
    if (std::holds_alternative<ignore>(decision)) {
      set_state(c, kind == exit_kind::abnormal ? child_state::failed : child_state::done);
      if (kind != exit_kind::abnormal)
        emit(lifecycle_kind::done, c, reason);
      check_auto_shutdown(c);
      resume_starts(); // dependants that wait for it: start, or say why not
      return;
    }
    if (std::holds_alternative<escalate>(decision)) {
      set_state(c, child_state::failed);
      give_up(c, reason);
      return;
    }
    c->diag.count_restart();
    // Its state first: the siblings' stops below may resume starts, and
    // its dependants must not take it for running.
    auto after = std::get_if<restart_after>(&decision);
    if (after != nullptr || via_message) {
      auto delay = after != nullptr ? after->delay : milliseconds{0};
      set_state(c, child_state::backoff);
      c->diag.next_restart(now + delay);
      if (delay.count() > 0) {
        delayed_send(this, delay, restart_timer_atom::value, c->key(), ++c->gen);
        emit(lifecycle_kind::backoff, c, reason, delay.count());
      } else {
        send(this, restart_timer_atom::value, c->key(), ++c->gen);
      }
    } else {
      queue_start(c);
    }
    restart_siblings(c);
    resume_starts();
  }

  /// Stops the siblings that the strategy restarts together with `c`.
  void restart_siblings(child* c) {
    if (flags_.strat == strategy::one_for_one)
      return;
    auto range = affected(flags_.strat, c->index, children_.size());
    for (auto i = range.first; i < range.last; ++i) {
      auto s = children_[i].get();
      if (s == c || s->target != goal::run)
        continue;
      switch (s->state()) {
        case child_state::starting:
        case child_state::running:
          stops_.push(s); // its goal is `run`: queued again once stopped
          break;
        case child_state::backoff:
          queue_start(s);
          break;
        default:
          break; // stopping (for a restart), waiting, done, failed: as they are
      }
    }
    next_stop();
  }

  void on_restart_timer(uint64_t key, uint32_t gen) {
    auto c = find_key(key);
    if (c == nullptr || c->gen != gen || c->state() != child_state::backoff ||
        shutting_down_)
      return;
    queue_start(c);
    resume_starts();
  }

  void give_up(child* c, const caf::error& reason) {
    auto message = path() + " gave up: more than " + std::to_string(flags_.intensity) +
                   " restarts in " + std::to_string(flags_.period.count()) + " ms";
    auto cause = c->diag.path() + ": " + describe(reason);
    auto final_reason = caf::error{static_cast<uint8_t>(error::intensity_exceeded),
                                   error_category, caf::make_message(message, cause)};
    emit(lifecycle_kind::gave_up, c, final_reason);
    if (!parent())
      init_.diag->state(child_state::failed); // health: failing from now on
    begin_shutdown(std::move(final_reason));
  }

  void check_auto_shutdown(const child* c) {
    if (!c->significant || flags_.shutdown == auto_shutdown::never)
      return;
    if (flags_.shutdown == auto_shutdown::all_significant)
      for (auto& s : children_)
        if (s->significant && (s->live() || s->coming()))
          return;
    begin_shutdown(caf::error{});
  }

  // -- stopping ---------------------------------------------------------------

  /// Stops the rightmost queued child, one at a time.
  void next_stop() {
    while (stops_.current() == nullptr) {
      auto c = stops_.pop_back();
      if (c == nullptr)
        break;
      if (!c->live() || !c->instance)
        continue; // it exited meanwhile and has been settled
      stops_.current(c);
      set_state(c, child_state::stopping);
      ++c->gen;
      send_exit(c->instance, caf::exit_reason::user_shutdown);
      if (c->shutdown != shutdown_infinity)
        delayed_send(this, c->shutdown, stop_timer_atom::value, c->key(), c->gen);
    }
    if (!stops_.busy())
      stops_done();
  }

  /// A child's instance is gone on our request: it ends as its goal says
  /// (`stopped` in a shutdown), and whoever waited for the stop is answered.
  void settle(child* c) {
    for (auto i = stop_waiters_.begin(); i != stop_waiters_.end();) {
      if (i->first == c) {
        i->second.deliver(caf::ok_atom::value);
        i = stop_waiters_.erase(i);
      } else {
        ++i;
      }
    }
    if (shutting_down_) {
      set_state(c, child_state::stopped);
      return;
    }
    switch (c->target) {
      case goal::run:
        queue_start(c);
        break;
      case goal::hold:
        set_state(c, child_state::stopped);
        break;
      case goal::off:
        set_state(c, child_state::disabled);
        break;
      case goal::remove:
        set_state(c, child_state::stopped);
        remove_child(c);
        break;
    }
  }

  void stops_done() {
    if (!shutting_down_) {
      resume_starts();
      return;
    }
    report_.shutdown(path(), describe(final_reason_), stragglers_);
    for (auto& rp : shutdown_waiters_)
      rp.deliver(stragglers_);
    shutdown_waiters_.clear();
    for (auto& w : stop_waiters_)
      w.second.deliver(caf::ok_atom::value);
    stop_waiters_.clear();
    if (!parent())
      init_.diag->state(final_reason_ ? child_state::failed : child_state::stopped);
    quit(final_reason_);
  }

  void on_stop_timer(uint64_t key, uint32_t gen) {
    auto c = find_key(key);
    if (c == nullptr || c != stops_.current() || c->gen != gen || !c->instance)
      return;
    stragglers_.push_back(c->diag.path());
    report_.killed(path(), c->diag.path(), c->shutdown.count());
    send_exit(c->instance, caf::exit_reason::kill);
  }

  void begin_shutdown(caf::error reason) {
    if (shutting_down_) {
      if (!final_reason_ && reason)
        final_reason_ = std::move(reason);
      return;
    }
    shutting_down_ = true;
    final_reason_ = std::move(reason);
    if (!parent() && init_.diag->state() != child_state::failed)
      init_.diag->state(child_state::stopping);
    starts_.clear();
    for (auto& c : children_) {
      auto st = c->state();
      if (st == child_state::backoff || st == child_state::waiting) {
        ++c->gen;
        c->diag.next_restart(time_point{});
        set_state(c.get(), child_state::stopped);
      }
      if (c->live())
        stops_.push(c.get());
    }
    next_stop();
  }

  /// Stops `c` for good (`hold`, `off` or `remove`). Returns true while the
  /// stop is still under way, false when it is done. With `now == false`
  /// the stop only joins the queue: the caller queues more and then calls
  /// `next_stop`, so that a batch stops right to left.
  bool request_stop(child* c, goal g, bool now = true) {
    c->target = g;
    starts_.erase(c);
    if (c->live()) {
      stops_.push(c);
      if (now)
        next_stop();
      return true;
    }
    if (c->state() == child_state::stopping)
      return true; // settled by its goal once gone
    if (c->state() == child_state::backoff) {
      ++c->gen;
      c->diag.next_restart(time_point{});
    }
    settle(c);
    if (now)
      resume_starts(); // it may have held back the ones behind it
    return false;
  }

  /// Starts `c` anew: a running instance is stopped first, a waiting or
  /// stopping one is left to start on its own.
  void restart_instance(child* c) {
    c->target = goal::run;
    switch (c->state()) {
      case child_state::starting:
      case child_state::running:
        stops_.push(c);
        next_stop();
        break;
      case child_state::stopping:
      case child_state::waiting:
        break;
      default:
        queue_start(c);
        resume_starts();
    }
  }

  // -- requests ---------------------------------------------------------------

  caf::result<caf::ok_atom> start_child(child_spec spec) {
    if (shutting_down_)
      return make_error(error::bad_state, path() + " is shutting down");
    std::vector<std::string> names;
    names.reserve(children_.size());
    for (auto& c : children_)
      names.emplace_back(c->name());
    if (auto errors = validate_child(spec, names, flags_, path()); !errors.empty())
      return make_error(error::invalid_spec, to_string(errors));
    add_child(std::move(spec));
    resume_starts();
    return caf::ok_atom::value;
  }

  /// The `stop_child_atom` / `delete_child_atom` request: answered once the
  /// child has stopped (and is removed).
  caf::result<caf::ok_atom> stop_child(const std::string& name, goal g) {
    auto c = find(name);
    if (c == nullptr)
      return make_error(error::unknown_child, path() + "/" + name);
    if (g == goal::remove)
      for (auto& s : children_)
        if (depends_on(s.get(), c))
          return make_error(error::bad_state,
                            s->diag.path() + " depends on " + c->diag.path());
    if (c->target == goal::off && g == goal::hold)
      return caf::ok_atom::value; // disabled: stays so
    if (!request_stop(c, g))
      return caf::ok_atom::value;
    auto rp = make_response_promise<caf::ok_atom>();
    stop_waiters_.emplace_back(c, rp);
    return rp;
  }

  /// The `restart_child_atom` request (`warden restart` and `start`).
  /// Answers with an error when the child cannot start because a
  /// dependency is down (it is `waiting` and starts once the dependency is
  /// ready).
  caf::result<caf::ok_atom> restart_child(const std::string& name) {
    auto c = find(name);
    if (c == nullptr)
      return make_error(error::unknown_child, path() + "/" + name);
    if (shutting_down_)
      return make_error(error::bad_state, path() + " is shutting down");
    if (c->target == goal::off)
      return make_error(error::bad_state,
                        c->diag.path() + " is disabled in the config (enable it)");
    restart_instance(c);
    if (auto deps = detail::check_deps(*c); deps.status == dep_check::down)
      return make_error(error::bad_state, c->diag.path() + " is waiting: it depends on " +
                                              deps.culprit->diag.path() + ", which is " +
                                              to_string(deps.culprit->state()));
    return caf::ok_atom::value;
  }

  caf::result<caf::ok_atom> reload(supervisor_spec spec) {
    if (shutting_down_)
      return make_error(error::bad_state, path() + " is shutting down");
    std::vector<child_facts> current;
    current.reserve(children_.size());
    for (auto& c : children_)
      current.push_back(facts_of(*c));
    auto steps = plan_reload(current, flags_, spec);
    current.clear();
    flags_ = spec.flags;
    window_.reconfigure(flags_.intensity, flags_.period);
    // Removed children go first (right to left, by the stop queue).
    for (auto& name : steps.removed)
      if (auto c = find(name)) {
        forget(c); // its dependants may start without it now
        request_stop(c, goal::remove, false);
      }
    enum class step : uint8_t { keep, add, restart, offer, nested };
    std::vector<step> what(spec.children.size(), step::keep);
    for (auto i : steps.added)
      what[i] = step::add;
    for (auto i : steps.restarted)
      what[i] = step::restart;
    for (auto i : steps.offered)
      what[i] = step::offer;
    for (auto i : steps.nested)
      what[i] = step::nested;
    for (auto i : start_order(spec.children)) {
      auto& child_spec = spec.children[i];
      if (what[i] == step::add) {
        add_child(std::move(child_spec));
        continue;
      }
      auto c = find(child_spec.name);
      if (c == nullptr)
        continue;
      auto nested = child_spec.supervisor;
      auto was = c->target;
      configure(c, std::move(child_spec));
      if (c->target == goal::off) {
        if (was != goal::off)
          request_stop(c, goal::off, false);
        continue;
      }
      if (was == goal::off) {
        queue_start(c); // enabled again
        continue;
      }
      if (c->target != goal::run)
        continue; // stopped by an operator: stays so, with its new settings
      switch (what[i]) {
        case step::restart:
          restart_instance(c);
          break;
        case step::nested:
          if (c->instance)
            request(c->instance, caf::infinite, reload_atom::value, reload_plan{*nested})
                .then([](caf::ok_atom) {}, [](caf::error&) {});
          break;
        case step::offer:
          if (c->instance)
            offer_params(c);
          break;
        default:
          break;
      }
    }
    next_stop();
    resume_starts();
    return caf::ok_atom::value;
  }

  /// Offers the new params to the running instance; restarts it if it
  /// declines (or does not answer).
  void offer_params(child* c) {
    auto run = c->run;
    auto key = c->key();
    auto retry = [this, key, run] {
      if (auto c = find_key(key); c != nullptr && c->run == run && c->target == goal::run)
        restart_instance(c);
    };
    request(c->instance, std::chrono::seconds{5}, params_atom::value, c->params.dump())
        .then(
            [retry](bool accepted) {
              if (!accepted)
                retry();
            },
            [retry](caf::error&) { retry(); });
  }

  // -- reporting --------------------------------------------------------------

  void emit(lifecycle_kind kind, const child* c, const caf::error& reason,
            int64_t delay_ms = 0) {
    report_.emit(kind, path(), c->diag.path(), describe(reason), c->diag.restarts(),
                 delay_ms);
  }

  // -- state ------------------------------------------------------------------

  supervisor_flags flags_;
  std::vector<child_spec> initial_;
  supervisor_context ctx_;
  service_init init_;
  detail::reporter report_;
  intensity_window window_;
  std::minstd_rand rng_;
  std::uniform_real_distribution<double> jitter_{0.0, 1.0};

  std::vector<child_ptr> children_; // start order
  uint32_t next_serial_ = 1;

  detail::start_queue starts_;
  size_t starting_count_ = 0; // kept by set_state
  bool ready_reported_ = false;

  detail::stop_queue stops_;
  std::vector<std::pair<child*, caf::response_promise>> stop_waiters_;
  std::vector<caf::response_promise> shutdown_waiters_;
  std::vector<std::string> stragglers_;

  bool shutting_down_ = false;
  caf::error final_reason_;
};

std::shared_ptr<spdlog::logger> default_logger() {
  if (auto log = spdlog::get("supervisor"))
    return log;
  auto log = spdlog::stdout_color_mt("supervisor");
  return log;
}

} // namespace

caf::expected<caf::actor> spawn_supervisor(caf::actor_system& sys, std::string name,
                                           supervisor_spec spec,
                                           supervisor_context& ctx) {
  if (auto errors = validate(spec, name); !errors.empty())
    return make_error(error::invalid_spec, to_string(errors));
  if (!ctx.registry)
    ctx.registry = std::make_shared<path_registry>();
  set_registry_of(sys, ctx.registry);
  if (!ctx.events)
    ctx.events = std::make_shared<lifecycle_bus>();
  if (!ctx.log)
    ctx.log = default_logger();
  auto diag = std::make_shared<diagnostics>(std::move(name), "supervisor");
  ctx.registry->put(diag);
  service_init init{diag, caf::actor{}, nlohmann::json{}};
  auto sup = sys.spawn<supervisor_actor>(std::move(spec), ctx, std::move(init));
  diag->started(sup, sys.clock().now());
  return sup;
}

} // namespace warden
