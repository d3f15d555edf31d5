#include "warden/messaging/bus.hpp"

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "warden/actors/bus_message.hpp"
#include "warden/actors/child_state.hpp"
#include "warden/actors/error.hpp"
#include "warden/messaging/topic.hpp"

namespace warden {

namespace {

struct subscription {
  std::string pattern;
  /// The subscribing child's path, or empty for an actor outside the tree.
  std::string path;
  caf::actor actor;
};

/// Counts the answers of one fan-out; answers its requester after the last.
struct fan_out {
  caf::response_promise rp;
  size_t remaining = 0;

  void done() {
    if (--remaining == 0 && rp.pending())
      rp.deliver(true);
  }
};

using fan_out_ptr = std::shared_ptr<fan_out>;

/// A message waiting for a subscriber that is not running.
struct pending_delivery {
  bus_message msg;
  fan_out_ptr waiter; // null for local (unacknowledged) messages
};

/// A message for the broker waiting for the gateway to come back.
struct held_publish {
  bus_message msg;
  caf::response_promise rp;
};

struct bus_state {
  path_registry_ptr registry;
  lifecycle_bus_ptr events;
  bus_options opts;
  std::shared_ptr<spdlog::logger> log;
  std::vector<subscription> subs;
  std::map<std::string, std::deque<pending_delivery>> pending;
  caf::actor gateway;
  std::vector<std::string> out_patterns;
  std::deque<held_publish> held;
  uint64_t dropped = 0;
  static inline const char* name = "warden.bus";
};

using bus_actor = caf::stateful_actor<bus_state>;

bool goes_out(const bus_state& st, const std::string& topic) {
  for (auto& p : st.out_patterns)
    if (topic_matches(p, topic))
      return true;
  return false;
}

/// Whether `path` left the tree for good (deleted, or dropped by a reload)
/// rather than being away while a supervisor above it restarts: a child
/// missing from the registry is removed when its parent supervisor runs,
/// or when the parent was removed as well. (Supervisors report no event
/// for a removal, and a nested supervisor's children leave the registry
/// while it restarts.)
bool removed(const path_registry& registry, std::string_view path) {
  if (registry.find(path))
    return false;
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos)
    return true;
  auto parent = path.substr(0, slash);
  if (auto diag = registry.find(parent))
    return diag->state() == child_state::running;
  return removed(registry, parent);
}

/// Ends the subscriptions of a removed child and drops what waited for
/// it: local messages go with it, incoming ones count as handled (nobody
/// will take them).
void forget(bus_state& st, const std::string& path) {
  auto& subs = st.subs;
  subs.erase(std::remove_if(subs.begin(), subs.end(),
                            [&](const subscription& x) {
                              if (x.actor || x.path != path)
                                return false;
                              st.log->debug("{}: removed from the tree; subscription {} "
                                            "ends",
                                            x.path, x.pattern);
                              return true;
                            }),
             subs.end());
  auto i = st.pending.find(path);
  if (i == st.pending.end())
    return;
  st.log->debug("{}: removed from the tree; {} waiting message(s) dropped", path,
                i->second.size());
  auto queue = std::move(i->second);
  st.pending.erase(i);
  for (auto& x : queue)
    if (x.waiter != nullptr)
      x.waiter->done();
}

/// Forgets the children with waiting messages that were removed meanwhile
/// (a child removed while not running sends no event).
void prune_pending(bus_state& st) {
  std::vector<std::string> gone;
  for (auto& [path, queue] : st.pending)
    if (removed(*st.registry, path))
      gone.push_back(path);
  for (auto& path : gone)
    forget(st, path);
}

/// The distinct paths subscribed to `topic`, dropping subscriptions of
/// children that left the tree.
std::vector<std::string> subscribers_of(bus_state& st, const std::string& topic,
                                        std::vector<caf::actor>& actors) {
  std::vector<std::string> paths;
  for (auto i = st.subs.begin(); i != st.subs.end();) {
    if (!topic_matches(i->pattern, topic)) {
      ++i;
      continue;
    }
    if (i->actor) {
      if (std::find(actors.begin(), actors.end(), i->actor) == actors.end())
        actors.push_back(i->actor);
      ++i;
      continue;
    }
    if (removed(*st.registry, i->path)) {
      st.log->debug("{}: removed from the tree; subscription {} ends", i->path,
                    i->pattern);
      i = st.subs.erase(i);
      continue;
    }
    if (std::find(paths.begin(), paths.end(), i->path) == paths.end())
      paths.push_back(i->path);
    ++i;
  }
  return paths;
}

/// Keeps `msg` for `path` until its next instance starts.
void hold_for(bus_state& st, const std::string& path, const bus_message& msg,
              const fan_out_ptr& waiter) {
  auto& queue = st.pending[path];
  if (waiter == nullptr && queue.size() >= st.opts.max_pending_per_subscriber) {
    // Only local messages are dropped: broker messages are bounded by
    // the consumer prefetch and stay unacknowledged until delivered.
    for (auto i = queue.begin(); i != queue.end(); ++i)
      if (i->waiter == nullptr) {
        queue.erase(i);
        ++st.dropped;
        break;
      }
  }
  queue.push_back(pending_delivery{msg, waiter});
}

void deliver_to(bus_actor* self, const std::string& path, const bus_message& msg,
                const fan_out_ptr& waiter);

/// Sends what waited for `path` to its current instance, in order.
void flush_pending(bus_actor* self, const std::string& path) {
  auto& st = self->state;
  auto i = st.pending.find(path);
  if (i == st.pending.end())
    return;
  auto queue = std::move(i->second);
  st.pending.erase(i);
  for (auto& x : queue)
    deliver_to(self, path, x.msg, x.waiter);
}

/// A delivery that found its instance gone (it ended before taking the
/// message): the message waits for the next instance, unless the child
/// was removed.
void redeliver(bus_actor* self, const std::string& path, const bus_message& msg,
               const fan_out_ptr& waiter, const caf::actor& gone) {
  auto& st = self->state;
  if (removed(*st.registry, path)) {
    if (waiter != nullptr)
      waiter->done();
    return;
  }
  auto instance = st.registry->whereis(path);
  if (instance && instance != gone) {
    deliver_to(self, path, msg, waiter);
    return;
  }
  // Its supervisor has not seen the exit yet, or the child is in backoff:
  // the `started` or `restarted` event flushes the queue.
  hold_for(st, path, msg, waiter);
}

void deliver_to(bus_actor* self, const std::string& path, const bus_message& msg,
                const fan_out_ptr& waiter) {
  auto& st = self->state;
  auto instance = st.registry->whereis(path);
  if (!instance) {
    hold_for(st, path, msg, waiter);
    return;
  }
  // What waited for this child goes first: the bus may see a new instance
  // before the event that announces it.
  if (st.pending.count(path) > 0)
    flush_pending(self, path);
  // A request even for local messages: an instance that ended with the
  // message in its mailbox (or before it arrived) bounces it, and it waits
  // for the next instance. A subscriber that crashes on a message still
  // counts as having had it: redelivering would only crash it again.
  self->request(instance, caf::infinite, deliver_atom::value, msg)
      .then(
          [waiter](bool) {
            if (waiter != nullptr)
              waiter->done();
          },
          [self, path, msg, waiter, instance](caf::error& err) {
            if (err == caf::sec::request_receiver_down) {
              redeliver(self, path, msg, waiter, instance);
              return;
            }
            if (waiter != nullptr)
              waiter->done();
          });
}

/// Delivers `msg` to its local subscribers; answers through `waiter` (if
/// any) once every subscriber handled it.
void fan_out_local(bus_actor* self, const bus_message& msg, const fan_out_ptr& waiter) {
  if (!self->state.pending.empty())
    prune_pending(self->state);
  std::vector<caf::actor> actors;
  auto paths = subscribers_of(self->state, msg.topic, actors);
  if (waiter != nullptr) {
    waiter->remaining = paths.size() + actors.size() + 1;
  }
  for (auto& path : paths)
    deliver_to(self, path, msg, waiter);
  for (auto& actor : actors) {
    if (waiter == nullptr) {
      self->send(actor, deliver_atom::value, msg);
      continue;
    }
    self->request(actor, caf::infinite, deliver_atom::value, msg)
        .then([waiter](bool) { waiter->done(); },
              [waiter](caf::error&) { waiter->done(); });
  }
  if (waiter != nullptr)
    waiter->done();
}

caf::behavior bus_behavior(bus_actor* self) {
  auto& st = self->state;
  st.events->subscribe(self);
  st.out_patterns = st.opts.out_patterns;
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.events->unsubscribe(caf::actor_cast<caf::actor>(self));
    for (auto& x : self->state.held)
      x.rp.deliver(make_error(error::unavailable, "warden is stopping"));
    self->state.held.clear();
    self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    st.subs.erase(std::remove_if(st.subs.begin(), st.subs.end(),
                                 [&](const subscription& x) {
                                   return x.actor && x.actor.address() == msg.source;
                                 }),
                  st.subs.end());
    if (msg.source != st.gateway.address())
      return;
    st.gateway = nullptr;
    if (!msg.reason || msg.reason == caf::exit_reason::user_shutdown) {
      // Removed or shut down: nothing will take held messages.
      st.opts.gateway_expected = false;
      for (auto& x : st.held)
        x.rp.deliver(make_error(error::unavailable, "the RabbitMQ gateway stopped"));
      st.held.clear();
    }
  });
  return {
      [self](publish_atom, bus_message& msg) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        // A direct reply (AMQP reply_to: a queue, through the default
        // exchange) goes to the broker only, and only if there is one.
        if (msg.topic.empty() && !msg.reply_to.empty()) {
          if (!st.gateway)
            return caf::ok_atom::value;
          self->delegate(st.gateway, publish_atom::value, std::move(msg));
          return caf::delegated<caf::ok_atom>{};
        }
        if (!valid_topic(msg.topic))
          return make_error(error::invalid_argument, "invalid topic '" + msg.topic + "'");
        fan_out_local(self, msg, nullptr);
        if (!goes_out(st, msg.topic))
          return caf::ok_atom::value;
        if (st.gateway) {
          self->delegate(st.gateway, publish_atom::value, std::move(msg));
          return caf::delegated<caf::ok_atom>{};
        }
        if (!st.opts.gateway_expected)
          // The gateway stopped for good: refused, never a silent drop.
          return make_error(error::unavailable,
                            "no RabbitMQ gateway takes '" + msg.topic + "'");
        if (st.held.size() >= st.opts.max_held)
          return make_error(error::unavailable,
                            "the RabbitMQ gateway is restarting and " +
                                std::to_string(st.held.size()) + " messages wait for it");
        auto rp = self->make_response_promise();
        st.held.push_back(held_publish{std::move(msg), rp});
        return caf::delegated<caf::ok_atom>{};
      },
      [self](deliver_atom, bus_message& msg) -> caf::result<bool> {
        auto waiter = std::make_shared<fan_out>();
        waiter->rp = self->make_response_promise();
        fan_out_local(self, msg, waiter);
        return caf::delegated<bool>{};
      },
      [self](subscribe_atom, const std::string& path, const std::string& pattern) {
        auto& st = self->state;
        if (!valid_pattern(pattern)) {
          st.log->warn("{}: invalid subscription pattern '{}' ignored", path, pattern);
          return;
        }
        // An empty path: the sender itself, an actor outside the tree
        // (the control actor); it is dropped when it goes down.
        caf::actor actor;
        if (path.empty()) {
          actor = caf::actor_cast<caf::actor>(self->current_sender());
          if (!actor)
            return;
        }
        for (auto& x : st.subs)
          if (x.path == path && x.actor == actor && x.pattern == pattern)
            return;
        if (actor)
          self->monitor(actor);
        st.subs.push_back(subscription{pattern, path, actor});
      },
      [self](unsubscribe_atom, const std::string& path, const std::string& pattern) {
        auto& subs = self->state.subs;
        subs.erase(std::remove_if(subs.begin(), subs.end(),
                                  [&](const subscription& x) {
                                    return x.path == path &&
                                           (pattern.empty() || x.pattern == pattern);
                                  }),
                   subs.end());
      },
      [self](gateway_atom, std::vector<std::string>& patterns) {
        auto& st = self->state;
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (!sender)
          return;
        if (st.gateway != sender) {
          st.gateway = sender;
          self->monitor(sender);
        }
        st.out_patterns = std::move(patterns);
        st.opts.gateway_expected = true;
        // Held messages go first, in order.
        auto held = std::move(st.held);
        st.held.clear();
        for (auto& x : held) {
          auto rp = x.rp;
          self->request(st.gateway, caf::infinite, publish_atom::value, std::move(x.msg))
              .then([rp](caf::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
                    [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        }
      },
      [self](const lifecycle_event& ev) {
        // `started` is a first start, `restarted` one after a crash.
        if (ev.kind == lifecycle_kind::started || ev.kind == lifecycle_kind::restarted)
          flush_pending(self, ev.child);
      },
  };
}

} // namespace

caf::actor spawn_bus(caf::actor_system& sys, path_registry_ptr registry,
                     lifecycle_bus_ptr events, bus_options opts) {
  return sys.spawn(
      [](bus_actor* self, path_registry_ptr reg, lifecycle_bus_ptr ev, bus_options o) {
        self->state.registry = std::move(reg);
        self->state.events = std::move(ev);
        self->state.opts = o;
        self->state.log = spdlog::get("bus");
        if (!self->state.log)
          self->state.log = spdlog::default_logger();
        return bus_behavior(self);
      },
      std::move(registry), std::move(events), opts);
}

} // namespace warden
