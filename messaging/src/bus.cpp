#include "warden/messaging/bus.hpp"

#include <deque>
#include <map>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "warden/actors/bus_message.hpp"
#include "warden/actors/error.hpp"
#include "warden/messaging/topic.hpp"

namespace warden {

namespace {

struct subscription {
  std::string pattern;
  std::string path;
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

/// The distinct paths subscribed to `topic`, dropping subscriptions of
/// children that left the tree.
std::vector<std::string> subscribers_of(bus_state& st, const std::string& topic) {
  std::vector<std::string> paths;
  for (auto i = st.subs.begin(); i != st.subs.end();) {
    if (!topic_matches(i->pattern, topic)) {
      ++i;
      continue;
    }
    if (!st.registry->find(i->path)) {
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

void deliver_to(bus_actor* self, const std::string& path, const bus_message& msg,
                const fan_out_ptr& waiter) {
  auto& st = self->state;
  auto instance = st.registry->whereis(path);
  if (!instance) {
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
    return;
  }
  if (waiter == nullptr) {
    self->send(instance, deliver_atom::value, msg);
    return;
  }
  // A subscriber that crashes on a message still counts as having had it:
  // redelivering would only crash it again.
  self->request(instance, caf::infinite, deliver_atom::value, msg)
      .then([waiter](bool) { waiter->done(); },
            [waiter](caf::error&) { waiter->done(); });
}

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

/// Delivers `msg` to its local subscribers; answers through `waiter` (if
/// any) once every subscriber handled it.
void fan_out_local(bus_actor* self, const bus_message& msg, const fan_out_ptr& waiter) {
  auto paths = subscribers_of(self->state, msg.topic);
  if (waiter != nullptr) {
    waiter->remaining = paths.size() + 1;
  }
  for (auto& path : paths)
    deliver_to(self, path, msg, waiter);
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
          return caf::ok_atom::value;
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
        for (auto& x : st.subs)
          if (x.path == path && x.pattern == pattern)
            return;
        st.subs.push_back(subscription{pattern, path});
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
        if (ev.kind == lifecycle_kind::started)
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
