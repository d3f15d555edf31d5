#pragma once

#include <functional>
#include <string>

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "warden/actors/bus_message.hpp"
#include "warden/actors/diagnostics.hpp"
#include "warden/actors/tick.hpp"

namespace warden {

/// What a supervisor hands to every service instance it starts.
struct service_init {
  /// The child's diagnostic block (shared with the supervisor).
  diagnostics_ptr diag;
  /// The supervisor, which expects a `ready_atom` from the service.
  caf::actor supervisor;
  /// The child's parameters (`params` in the config), `null` when none.
  nlohmann::json params;
  /// Identifies this instance to the supervisor in `ready_atom` messages.
  uint64_t slot = 0;
  uint32_t run = 0;
};

/// Base class of warden services: a CAF event-based actor with lifecycle
/// hooks and one call each for diagnostics, readiness and failure.
///
/// ```
/// class counter : public warden::service {
/// public:
///   using service::service;
///   caf::behavior make_service_behavior() override {
///     return { [=](caf::add_atom, int n) { set_value("total", std::to_string(total_ +=
///     n)); } };
///   }
/// private:
///   int total_ = 0;
/// };
/// ```
///
/// Any exception escaping a hook or handler is a crash whose exit reason
/// (`warden::error::exception`) keeps the exception's message.
class service : public caf::event_based_actor {
public:
  using super = caf::event_based_actor;

  service(caf::actor_config& cfg, service_init init);

  ~service() override;

  // -- hooks for subclasses ---------------------------------------------------

  /// The service's message handlers.
  virtual caf::behavior make_service_behavior() = 0;

  /// Runs before the first message. Call `delay_ready()` here to report
  /// readiness later with `ready()`; otherwise the service is ready as soon
  /// as this returns.
  virtual void on_start();

  /// Runs when the service exits for any reason (stop, crash, failure).
  virtual void on_stop();

  /// A scheduled tick (the child's `schedule` in the config). Runs in the
  /// service's own turn; an exception is a crash like any other.
  virtual void on_tick(const tick& x);

  /// New parameters from a config reload. Return true to accept them live
  /// (`params()` then returns them); false (the default) has the supervisor
  /// restart this child with the new parameters. (They arrive through the
  /// default handler: a service that sets its own default handler gets
  /// restarted on every params change.)
  virtual bool on_params(const nlohmann::json& params);

  /// A message on a topic this service subscribed to. Runs in the
  /// service's own turn; the sender (the broker, for messages from outside)
  /// counts it as delivered once this returns.
  virtual void on_message(const bus_message& msg);

  /// A publish was refused (no bus, the gateway's outbox is full or its
  /// disk failed). The default sets the flag `publish_failed` and the value
  /// `publish.error`; override to retry or slow down.
  virtual void on_publish_error(const bus_message& msg, const caf::error& reason);

  // -- calls for subclasses ---------------------------------------------------

  /// Reports readiness later: dependants wait until `ready()`.
  void delay_ready() noexcept {
    ready_delayed_ = true;
  }

  /// Reports that the start work is done (once; later calls do nothing).
  void ready();

  /// Ends this instance as a crash with `reason`; the supervisor decides.
  void fail(std::string reason);

  /// Publishes `body` (JSON) on `topic`: to local subscribers, and to the
  /// broker when the gateway bridges the topic. Refusals reach
  /// `on_publish_error`.
  void publish(const std::string& topic, const nlohmann::json& body);

  /// Publishes a prepared message (its id and time are filled in if empty).
  void publish(bus_message msg);

  /// Subscribes this child to a topic pattern (`*` one word, `#` any
  /// number). The subscription belongs to the child's path: it survives
  /// restarts and ends when the child is removed. Subscribing twice is one
  /// subscription.
  void subscribe(const std::string& pattern);

  /// Ends a subscription; an empty pattern ends all of this child's.
  void unsubscribe(const std::string& pattern);

  void set_flag(const std::string& flag);
  void clear_flag(const std::string& flag);
  void set_value(const std::string& key, std::string value);
  void clear_value(const std::string& key);

  /// The child's path, e.g. "root/workers/parser".
  const std::string& path() const noexcept {
    return init_.diag->path();
  }

  /// The child's parameters as given at start.
  const nlohmann::json& params() const noexcept {
    return init_.params;
  }

  const diagnostics& diag() const noexcept {
    return *init_.diag;
  }

  // -- CAF overrides ----------------------------------------------------------

  caf::invoke_message_result consume(caf::mailbox_element& x) override;

  const char* name() const override;

protected:
  caf::behavior make_behavior() final;

  void on_exit() override;

private:
  /// Offers new params (JSON text) to `on_params`; true if taken.
  bool take_params(const std::string& text);

  /// The bus from CAF's registry (looked up on first use).
  const caf::actor& bus();

  service_init init_;
  caf::actor bus_;
  uint32_t consumed_ = 0;
  bool ready_delayed_ = false;
  bool ready_sent_ = false;
};

/// A service whose behavior comes from a function, for services that need
/// no state of their own beyond what the function captures.
class function_service : public service {
public:
  using body = std::function<caf::behavior(service&)>;

  function_service(caf::actor_config& cfg, service_init init, body fn);

  caf::behavior make_service_behavior() override;

private:
  body fn_;
};

} // namespace warden
