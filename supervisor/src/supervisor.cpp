#include "warden/supervisor/supervisor.hpp"

#include <algorithm>
#include <random>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/supervisor/restart_policy.hpp"
#include "warden/supervisor/strategy.hpp"
#include "warden/supervisor/validate.hpp"

namespace warden {

namespace {

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// One child slot, in one allocation with its diagnostics (handed out
/// through aliasing pointers, so the registry keeps the slot alive). It holds
/// what restarts need of the spec, not the spec itself: a tree may have a
/// million of these, and each byte here is a megabyte there.
struct child {
  child(std::string path, std::string type)
    : diag(std::move(path), std::move(type)) {
    // nop
  }

  diagnostics diag;
  child_factory factory;
  nlohmann::json params;
  caf::actor instance;
  std::unique_ptr<backoff_policy> own_backoff; // null: the supervisor's
  std::unique_ptr<std::vector<child*>> deps;   // null: none
  backoff_state backoff;
  milliseconds shutdown{0};
  uint32_t index = 0;  // position in start order
  uint32_t serial = 0; // names the slot in messages
  uint32_t gen = 0;    // bumped to invalidate pending timers
  uint32_t run = 0;    // bumped per instance, to ignore stale messages
  restart_type restart = restart_type::permanent;
  bool significant = false;
  bool pending_start = false;
  bool hold = false; // stopped by request: stays stopped until started
  bool restart_after_stop = false;
  bool delete_after_stop = false;
  bool disabled = false; // `enabled = false`: known, not started

  std::string_view name() const noexcept {
    std::string_view path = diag.path();
    return path.substr(path.rfind('/') + 1);
  }

  child_state state() const noexcept {
    return diag.state();
  }

  bool live() const noexcept {
    auto st = state();
    return st == child_state::starting || st == child_state::running;
  }

  uint64_t key() const noexcept {
    return (static_cast<uint64_t>(index) << 32) | serial;
  }
};

using child_ptr = std::shared_ptr<child>;

enum class deps_status { ready, waiting, blocked };

/// At most this many children are starting (spawned, not yet ready) at a
/// time. Spawning a large tree in one handler would pile every new actor
/// onto one worker's queue, and CAF 0.17's work stealing takes from the tail
/// of that queue in O(length): quadratic for 100 k children.
constexpr size_t start_window = 128;

/// The supervisor. Its children run in start order; every event (ready,
/// exit, timer, request) updates the slots and then calls `next_stop` or
/// `resume_starts`, which do the only actual work: stop right to left, one at
/// a time, each within its deadline; then start left to right, each after its
/// dependencies are ready. Restart decisions come from `decide`.
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
          return stop_child(name, false);
        },
        [this](delete_child_atom, const std::string& name) -> caf::result<caf::ok_atom> {
          return stop_child(name, true);
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
          return reload(std::move(plan));
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
    children_.clear();
    stop_queue_.clear();
    stopping_ = nullptr;
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

  child* add_child(child_spec spec) {
    auto c = std::make_shared<child>(path() + "/" + spec.name, std::move(spec.type));
    c->index = static_cast<uint32_t>(children_.size());
    c->serial = next_serial_++;
    configure(c.get(), std::move(spec));
    ctx_.registry->put(diagnostics_ptr{c, &c->diag});
    children_.push_back(std::move(c));
    auto result = children_.back().get();
    if (!result->disabled)
      mark_pending(result);
    return result;
  }

  /// Takes what the slot keeps of `spec` (at creation and on reload).
  void configure(child* c, child_spec spec) {
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
    // Shown as `disabled` by inspection (the flag costs nothing for the
    // enabled majority).
    if (!spec.enabled)
      c->diag.set_flag("disabled");
    else if (c->disabled)
      c->diag.clear_flag("disabled");
    c->disabled = !spec.enabled;
    c->deps = nullptr;
    for (auto& dep : spec.depends_on)
      if (auto d = find(dep); d != nullptr && d != c) {
        if (!c->deps)
          c->deps = std::make_unique<std::vector<child*>>();
        c->deps->push_back(d);
      }
  }

  void remove_child(child* c) {
    ctx_.registry->erase(&c->diag);
    if (c->pending_start)
      --pending_count_;
    auto pos = c->index;
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(pos));
    for (auto i = pos; i < children_.size(); ++i)
      children_[i]->index = static_cast<uint32_t>(i);
    cursor_ = std::min(cursor_, children_.size());
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
    return c->deps && std::find(c->deps->begin(), c->deps->end(), dep) != c->deps->end();
  }

  const backoff_policy& backoff_of(const child* c) const {
    return c->own_backoff ? *c->own_backoff : flags_.backoff;
  }

  // -- starting ---------------------------------------------------------------

  void mark_pending(child* c) {
    if (!c->pending_start) {
      c->pending_start = true;
      ++pending_count_;
    }
    cursor_ = std::min<size_t>(cursor_, c->index);
  }

  deps_status deps_of(const child* c) const {
    auto result = deps_status::ready;
    if (!c->deps)
      return deps_status::ready;
    for (auto d : *c->deps) {
      auto st = d->state();
      if (st == child_state::running)
        continue;
      if (st == child_state::starting || st == child_state::backoff || d->pending_start ||
          d->restart_after_stop)
        result = deps_status::waiting;
      else
        return deps_status::blocked;
    }
    return result;
  }

  bool stops_in_progress() const {
    return stopping_ != nullptr || !stop_queue_.empty();
  }

  /// Starts pending children left to right from the cursor. Stops first:
  /// nothing starts while a stop is in progress.
  void resume_starts() {
    if (shutting_down_ || stops_in_progress())
      return;
    while (pending_count_ > 0 && cursor_ < children_.size()) {
      if (shutting_down_ || stops_in_progress())
        return; // a failed start escalated or restarts siblings
      auto c = children_[cursor_].get();
      if (starting_count_ >= start_window)
        break; // resumed as children report ready
      if (c->pending_start) {
        auto st = deps_of(c);
        if (st == deps_status::waiting)
          break; // resumed when a dependency gets ready or its timer fires
        if (st == deps_status::ready)
          start_instance(c);
        // blocked: stays pending; retried when any sibling gets ready
      }
      ++cursor_;
    }
    if (pending_count_ > 0 && cursor_ >= children_.size())
      blocked_ = true;
    maybe_report_ready();
  }

  void start_instance(child* c) {
    c->pending_start = false;
    --pending_count_;
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
    c->diag.state(child_state::starting);
    ++starting_count_;
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
    if (c == nullptr || c->run != run || c->state() != child_state::starting)
      return;
    c->diag.state(child_state::running);
    --starting_count_;
    if (pending_count_ > 0) {
      if (blocked_) {
        blocked_ = false;
        cursor_ = 0;
      }
      resume_starts();
    } else {
      maybe_report_ready();
    }
  }

  void maybe_report_ready() {
    if (ready_reported_ || starting_count_ > 0 ||
        (cursor_ < children_.size() && pending_count_ > 0))
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
    auto st = c->state();
    if (st == child_state::starting)
      --starting_count_;
    c->diag.exited(describe(reason), now);
    if (st == child_state::stopping) {
      // We asked for this exit.
      ++c->gen; // cancels the deadline timer
      stopping_ = nullptr;
      c->diag.state(child_state::stopped);
      emit(lifecycle_kind::stopped, c, reason);
      finish_stop(c);
      next_stop();
      return;
    }
    if (shutting_down_) {
      c->diag.state(child_state::stopped);
      emit(lifecycle_kind::stopped, c, reason);
      next_stop();
      return;
    }
    if (classify(reason) == exit_kind::abnormal)
      emit(lifecycle_kind::crashed, c, reason);
    on_crash(c, reason, now, false);
  }

  /// Runs the restart decision for a child whose instance ended by itself.
  void on_crash(child* c, const caf::error& reason, time_point now, bool via_message) {
    auto kind = classify(reason);
    auto decision =
        decide(c->restart, backoff_of(c), kind, window_, c->backoff, now, jitter_(rng_));
    if (std::holds_alternative<ignore>(decision)) {
      c->diag.state(kind == exit_kind::abnormal ? child_state::failed
                                                : child_state::stopped);
      if (kind != exit_kind::abnormal)
        emit(lifecycle_kind::stopped, c, reason);
      check_auto_shutdown(c);
      maybe_report_ready();
      return;
    }
    if (std::holds_alternative<escalate>(decision)) {
      c->diag.state(child_state::failed);
      give_up(c, reason);
      return;
    }
    c->diag.count_restart();
    restart_siblings(c);
    if (auto after = std::get_if<restart_after>(&decision)) {
      c->diag.state(child_state::backoff);
      c->diag.next_restart(now + after->delay);
      delayed_send(this, after->delay, restart_timer_atom::value, c->key(), ++c->gen);
      emit(lifecycle_kind::backoff, c, reason, after->delay.count());
      return;
    }
    c->diag.state(child_state::stopped);
    if (via_message) {
      c->diag.next_restart(now);
      send(this, restart_timer_atom::value, c->key(), ++c->gen);
      c->diag.state(child_state::backoff);
      return;
    }
    mark_pending(c);
    resume_starts();
  }

  /// Stops the siblings that the strategy restarts together with `c`.
  void restart_siblings(child* c) {
    if (flags_.strat == strategy::one_for_one)
      return;
    auto range = affected(flags_.strat, c->index, children_.size());
    for (auto i = range.first; i < range.last; ++i) {
      auto s = children_[i].get();
      if (s == c || s->hold)
        continue;
      switch (s->state()) {
        case child_state::starting:
        case child_state::running:
          s->restart_after_stop = true;
          queue_stop(s);
          break;
        case child_state::stopping:
          s->restart_after_stop = true;
          break;
        case child_state::backoff:
          ++s->gen; // its own timer no longer matters
          s->diag.next_restart(time_point{});
          s->diag.state(child_state::stopped);
          mark_pending(s);
          break;
        default:
          break;
      }
    }
    next_stop();
  }

  void on_restart_timer(uint64_t key, uint32_t gen) {
    auto c = find_key(key);
    if (c == nullptr || c->gen != gen || c->state() != child_state::backoff ||
        shutting_down_)
      return;
    c->diag.next_restart(time_point{});
    c->diag.state(child_state::stopped);
    mark_pending(c);
    resume_starts();
  }

  void give_up(child* c, const caf::error& reason) {
    auto message = path() + " gave up: more than " + std::to_string(flags_.intensity) +
                   " restarts in " + std::to_string(flags_.period.count()) + " ms";
    auto cause = c->diag.path() + ": " + describe(reason);
    auto final_reason = caf::error{static_cast<uint8_t>(error::intensity_exceeded),
                                   error_category, caf::make_message(message, cause)};
    emit(lifecycle_kind::gave_up, c, final_reason);
    begin_shutdown(std::move(final_reason));
  }

  void check_auto_shutdown(const child* c) {
    if (!c->significant || flags_.shutdown == auto_shutdown::never)
      return;
    if (flags_.shutdown == auto_shutdown::all_significant)
      for (auto& s : children_)
        if (s->significant && (s->live() || s->state() == child_state::backoff))
          return;
    begin_shutdown(caf::error{});
  }

  // -- stopping ---------------------------------------------------------------

  void queue_stop(child* c) {
    auto pos = std::lower_bound(
        stop_queue_.begin(), stop_queue_.end(), c,
        [](const child* x, const child* y) { return x->index < y->index; });
    if (pos == stop_queue_.end() || *pos != c)
      stop_queue_.insert(pos, c);
  }

  /// Stops the rightmost queued child, one at a time.
  void next_stop() {
    while (stopping_ == nullptr && !stop_queue_.empty()) {
      auto c = stop_queue_.back();
      stop_queue_.pop_back();
      if (!c->live() || !c->instance) {
        finish_stop(c);
        continue;
      }
      stopping_ = c;
      c->diag.state(child_state::stopping);
      ++c->gen;
      send_exit(c->instance, caf::exit_reason::user_shutdown);
      if (c->shutdown != shutdown_infinity)
        delayed_send(this, c->shutdown, stop_timer_atom::value, c->key(), c->gen);
    }
    if (stopping_ == nullptr && stop_queue_.empty())
      stops_done();
  }

  /// A child reached `stopped` on our request: restart, delete, or answer.
  void finish_stop(child* c) {
    if (shutting_down_)
      return;
    if (c->restart_after_stop && !c->hold) {
      c->restart_after_stop = false;
      mark_pending(c);
    }
    for (auto i = stop_waiters_.begin(); i != stop_waiters_.end();) {
      if (i->first == c) {
        i->second.deliver(caf::ok_atom::value);
        i = stop_waiters_.erase(i);
      } else {
        ++i;
      }
    }
    if (c->delete_after_stop)
      remove_child(c);
  }

  void stops_done() {
    if (!shutting_down_) {
      resume_starts();
      return;
    }
    if (log_enabled(spdlog::level::info))
      logger().info("supervisor={} event=shutdown reason=\"{}\" stragglers=[{}]", path(),
                    describe(final_reason_), join(stragglers_));
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
    if (c == nullptr || c != stopping_ || c->gen != gen || !c->instance)
      return;
    stragglers_.push_back(c->diag.path());
    if (log_enabled(spdlog::level::warn))
      logger().warn(
          "supervisor={} child={} event=killed reason=\"shutdown deadline of {} ms "
          "passed\"",
          path(), c->diag.path(), c->shutdown.count());
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
    for (auto& c : children_) {
      if (c->pending_start) {
        c->pending_start = false;
        --pending_count_;
      }
      if (c->state() == child_state::backoff) {
        ++c->gen;
        c->diag.next_restart(time_point{});
        c->diag.state(child_state::stopped);
      }
      if (c->live())
        queue_stop(c.get());
    }
    next_stop();
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
  caf::result<caf::ok_atom> stop_child(const std::string& name, bool remove) {
    auto c = find(name);
    if (c == nullptr)
      return make_error(error::unknown_child, path() + "/" + name);
    if (remove)
      for (auto& s : children_)
        if (depends_on(s.get(), c))
          return make_error(error::bad_state,
                            s->diag.path() + " depends on " + c->diag.path());
    if (!request_stop(c, remove))
      return caf::ok_atom::value;
    auto rp = make_response_promise<caf::ok_atom>();
    stop_waiters_.emplace_back(c, rp);
    return rp;
  }

  /// Stops `c` and keeps it stopped (removes it with `remove`). Returns
  /// true while the stop is still under way, false when it is done. With
  /// `now == false` the stop only joins the queue: the caller queues more
  /// and then calls `next_stop`, so that a batch stops right to left.
  bool request_stop(child* c, bool remove, bool now = true) {
    c->hold = true;
    c->restart_after_stop = false;
    c->delete_after_stop = remove;
    if (c->pending_start) {
      c->pending_start = false;
      --pending_count_;
    }
    if (c->state() == child_state::backoff) {
      ++c->gen;
      c->diag.next_restart(time_point{});
      c->diag.state(child_state::stopped);
    }
    if (c->live()) {
      queue_stop(c);
      if (now)
        next_stop();
      return true;
    }
    if (c->state() == child_state::stopping)
      return true;
    if (remove)
      remove_child(c);
    return false;
  }

  caf::result<caf::ok_atom> restart_child(const std::string& name) {
    auto c = find(name);
    if (c == nullptr)
      return make_error(error::unknown_child, path() + "/" + name);
    if (shutting_down_)
      return make_error(error::bad_state, path() + " is shutting down");
    c->hold = false;
    switch (c->state()) {
      case child_state::starting:
      case child_state::running:
        c->restart_after_stop = true;
        queue_stop(c);
        next_stop();
        break;
      case child_state::stopping:
        c->restart_after_stop = true;
        break;
      case child_state::backoff:
        ++c->gen;
        c->diag.next_restart(time_point{});
        c->diag.state(child_state::stopped);
        mark_pending(c);
        resume_starts();
        break;
      default:
        mark_pending(c);
        resume_starts();
    }
    return caf::ok_atom::value;
  }

  caf::result<caf::ok_atom> reload(reload_plan plan) {
    if (shutting_down_)
      return make_error(error::bad_state, path() + " is shutting down");
    flags_ = plan.spec.flags;
    window_.reconfigure(flags_.intensity, flags_.period);
    auto must_restart = [&](const std::string& child_path) {
      return std::find(plan.restart.begin(), plan.restart.end(), child_path) !=
             plan.restart.end();
    };
    // Removed children go first (right to left, by the stop queue). Names
    // are indexed once: a reload of a large tree stays O(n).
    std::unordered_map<std::string_view, child*> by_name;
    by_name.reserve(children_.size());
    for (auto& c : children_)
      by_name.emplace(c->name(), c.get());
    std::unordered_map<std::string_view, const child_spec*> wanted;
    wanted.reserve(plan.spec.children.size());
    for (auto& spec : plan.spec.children)
      wanted.emplace(spec.name, &spec);
    std::vector<child*> removed;
    for (auto& c : children_)
      if (wanted.count(c->name()) == 0)
        removed.push_back(c.get());
    for (auto c : removed)
      for (auto& s : children_)
        if (s.get() != c && depends_on(s.get(), c))
          s->deps->erase(std::remove(s->deps->begin(), s->deps->end(), c),
                         s->deps->end());
    for (auto c : removed) {
      by_name.erase(c->name());
      request_stop(c, true, false);
    }
    next_stop();
    for (auto i : start_order(plan.spec.children)) {
      auto& spec = plan.spec.children[i];
      auto found = by_name.find(spec.name);
      if (found == by_name.end()) {
        add_child(std::move(spec));
        continue;
      }
      auto c = found->second;
      auto nested = spec.supervisor;
      auto params_changed = spec.params != c->params;
      auto was_disabled = c->disabled;
      auto new_params = spec.params;
      configure(c, std::move(spec));
      if (c->disabled) {
        if (!was_disabled)
          request_stop(c, false);
        continue;
      }
      if (was_disabled || must_restart(c->diag.path())) {
        restart_child(std::string{c->name()});
        continue;
      }
      if (nested) {
        if (c->instance)
          request(c->instance, caf::infinite, reload_atom::value,
                  reload_plan{*nested, plan.restart})
              .then([](caf::ok_atom) {}, [](caf::error&) {});
        continue;
      }
      if (params_changed && c->instance)
        offer_params(c, new_params);
    }
    resume_starts();
    return caf::ok_atom::value;
  }

  /// Offers new params to the running instance; restarts it if it declines.
  void offer_params(child* c, const nlohmann::json& params) {
    auto run = c->run;
    auto key = c->key();
    request(c->instance, std::chrono::seconds{5}, params_atom::value, params.dump())
        .then(
            [this, key, run](bool accepted) {
              if (auto c = find_key(key); c != nullptr && c->run == run && !accepted)
                restart_child(std::string{c->name()});
            },
            [this, key, run](caf::error&) {
              if (auto c = find_key(key); c != nullptr && c->run == run)
                restart_child(std::string{c->name()});
            });
  }

  // -- reporting --------------------------------------------------------------

  spdlog::logger& logger() {
    return *ctx_.log;
  }

  bool log_enabled(spdlog::level::level_enum lvl) const {
    return ctx_.log && ctx_.log->should_log(lvl);
  }

  static std::string join(const std::vector<std::string>& xs) {
    std::string result;
    for (auto& x : xs) {
      if (!result.empty())
        result += ", ";
      result += x;
    }
    return result;
  }

  static spdlog::level::level_enum level_of(lifecycle_kind kind) {
    switch (kind) {
      case lifecycle_kind::crashed:
        return spdlog::level::err;
      case lifecycle_kind::backoff:
        return spdlog::level::warn;
      case lifecycle_kind::gave_up:
        return spdlog::level::critical;
      default:
        return spdlog::level::info;
    }
  }

  /// One lifecycle event: a log line with fixed fields and a bus message.
  /// Costs nothing when neither the log level nor a subscriber wants it.
  void emit(lifecycle_kind kind, const child* c, const caf::error& reason,
            int64_t delay_ms = 0) {
    auto lvl = level_of(kind);
    bool log = log_enabled(lvl);
    bool publish = ctx_.events && ctx_.events->has_subscribers();
    if (!log && !publish)
      return;
    lifecycle_event ev;
    ev.kind = kind;
    ev.supervisor = path();
    ev.child = c->diag.path();
    ev.reason = describe(reason);
    ev.restarts = c->diag.restarts();
    ev.delay_ms = delay_ms;
    ev.time_ms = wall_ms();
    if (log) {
      if (kind == lifecycle_kind::backoff)
        logger().log(
            lvl, "supervisor={} child={} event={} reason=\"{}\" restarts={} delay_ms={}",
            ev.supervisor, ev.child, to_string(kind), ev.reason, ev.restarts, delay_ms);
      else
        logger().log(lvl, "supervisor={} child={} event={} reason=\"{}\" restarts={}",
                     ev.supervisor, ev.child, to_string(kind), ev.reason, ev.restarts);
    }
    if (publish)
      ctx_.events->publish(ev);
  }

  // -- state ------------------------------------------------------------------

  supervisor_flags flags_;
  std::vector<child_spec> initial_;
  supervisor_context ctx_;
  service_init init_;
  intensity_window window_;
  std::minstd_rand rng_;
  std::uniform_real_distribution<double> jitter_{0.0, 1.0};

  std::vector<child_ptr> children_; // start order
  uint32_t next_serial_ = 1;

  size_t cursor_ = 0;        // start pass position
  size_t pending_count_ = 0; // children with pending_start
  size_t starting_count_ = 0;
  bool blocked_ = false; // pending children wait for a dependency that is down
  bool ready_reported_ = false;

  std::vector<child*> stop_queue_; // ascending index; stopped from the back
  child* stopping_ = nullptr;
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
