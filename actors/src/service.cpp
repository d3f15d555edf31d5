#include "warden/actors/service.hpp"

#include <exception>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>

#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"

namespace warden {

namespace {

caf::error exception_reason(std::exception_ptr& ptr) {
  try {
    std::rethrow_exception(ptr);
  } catch (const std::exception& e) {
    return make_error(error::exception, e.what());
  } catch (...) {
    return make_error(error::exception, "unknown exception");
  }
}

} // namespace

service::service(caf::actor_config& cfg, service_init init)
  : super(cfg)
  , init_(std::move(init)) {
  set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& ptr) {
    return exception_reason(ptr);
  });
  // An exit message from the supervisor (or a linked actor) ends this
  // instance with the sender's reason; `on_stop` runs on the way out.
  set_exit_handler([this](caf::exit_msg& msg) {
    if (msg.reason)
      quit(std::move(msg.reason));
  });
  // warden's own messages (ticks, new params) reach the service through the
  // default handler, i.e. after its own handlers: composing behaviors would
  // allocate per instance, and a tree may have a million instances.
  set_default_handler([](caf::scheduled_actor* ptr, caf::message_view& xs) {
    auto self = static_cast<service*>(ptr);
    auto& content = xs.content();
    if (content.match_elements<tick>()) {
      self->on_tick(content.get_as<tick>(0));
      return caf::result<caf::message>{caf::make_message(true)};
    }
    if (content.match_elements<deliver_atom, bus_message>()) {
      self->on_message(content.get_as<bus_message>(1));
      // Answer a request only: CAF sends a value returned for a one-way
      // message back to its sender, where it is an unexpected message
      // (and the sender's default handler answers it with an error, which
      // kills a service with the default error handler).
      auto element = self->current_mailbox_element();
      if (element != nullptr && element->mid.is_request())
        return caf::result<caf::message>{caf::make_message(true)};
      return caf::result<caf::message>{caf::message{}};
    }
    if (content.match_elements<params_atom, std::string>())
      return caf::result<caf::message>{
          caf::make_message(self->take_params(content.get_as<std::string>(1)))};
    // Unknown input: an error for a request, nothing for a one-way message
    // (an error message would kill a sender with the default error handler).
    auto element = self->current_mailbox_element();
    if (element != nullptr && element->mid.is_request())
      return caf::result<caf::message>{caf::sec::unexpected_message};
    return caf::result<caf::message>{caf::message{}};
  });
}

bool service::take_params(const std::string& text) {
  auto params = nlohmann::json::parse(text, nullptr, false);
  if (params.is_discarded() || !on_params(params))
    return false;
  init_.params = std::move(params);
  return true;
}

service::~service() = default;

void service::on_start() {
  // nop
}

void service::on_stop() {
  // nop
}

void service::on_tick(const tick&) {
  // nop
}

bool service::on_params(const nlohmann::json&) {
  return false;
}

caf::behavior service::make_behavior() {
  // Exceptions here escape CAF's exception handler, so catch them ourselves.
  try {
    on_start();
    auto bhvr = make_service_behavior();
    if (!ready_delayed_)
      ready();
    return bhvr;
  } catch (...) {
    auto ptr = std::current_exception();
    quit(exception_reason(ptr));
    return {};
  }
}

void service::ready() {
  if (ready_sent_)
    return;
  ready_sent_ = true;
  if (init_.supervisor)
    send(init_.supervisor, ready_atom::value, init_.slot, init_.run);
}

void service::fail(std::string reason) {
  quit(make_error(error::service_failed, std::move(reason)));
}

void service::on_message(const bus_message&) {
  // nop
}

void service::on_publish_error(const bus_message& msg, const caf::error& reason) {
  set_flag("publish_failed");
  set_value("publish.error", msg.topic + ": " + describe(reason));
}

const caf::actor& service::bus() {
  if (!bus_)
    bus_ = caf::actor_cast<caf::actor>(system().registry().get(bus_name));
  return bus_;
}

void service::publish(const std::string& topic, const nlohmann::json& body) {
  bus_message msg;
  msg.topic = topic;
  // Bytes that are not UTF-8 (a file name, say) become U+FFFD: JSON is text,
  // and a throw here would crash the service on every such input.
  msg.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  publish(std::move(msg));
}

void service::publish(bus_message msg) {
  if (msg.message_id.empty())
    msg.message_id = next_message_id();
  if (msg.timestamp_ms == 0)
    msg.timestamp_ms = wall_clock_ms();
  msg.source = path();
  auto& target = bus();
  if (!target) {
    on_publish_error(msg, make_error(error::bad_state, "no message bus in this system"));
    return;
  }
  // The message stays here only until the answer: refusals are rare, and
  // the copy keeps the error report complete.
  request(target, caf::infinite, publish_atom::value, msg)
      .then([](caf::ok_atom) {},
            [this, msg](caf::error& err) { on_publish_error(msg, err); });
}

void service::subscribe(const std::string& pattern) {
  if (auto& target = bus())
    send(target, subscribe_atom::value, path(), pattern);
}

void service::unsubscribe(const std::string& pattern) {
  if (auto& target = bus())
    send(target, unsubscribe_atom::value, path(), pattern);
}

void service::set_flag(const std::string& flag) {
  init_.diag->set_flag(flag);
}

void service::clear_flag(const std::string& flag) {
  init_.diag->clear_flag(flag);
}

void service::set_value(const std::string& key, std::string value) {
  init_.diag->set_value(key, std::move(value));
}

void service::clear_value(const std::string& key) {
  init_.diag->clear_value(key);
}

caf::invoke_message_result service::consume(caf::mailbox_element& x) {
  // The mailbox is counted on every 16th message only: counting drains
  // CAF's inbox into its queues, which costs more than the count is worth
  // under load (a busy gateway takes 50 k messages a second).
  init_.diag->count_handled((++consumed_ & 15) == 1 ? mailbox().size() : SIZE_MAX);
  return super::consume(x);
}

const char* service::name() const {
  return "warden::service";
}

void service::on_exit() {
  try {
    on_stop();
  } catch (...) {
    // The instance is gone already; a throwing on_stop must not take
    // the scheduler thread with it.
  }
  super::on_exit();
}

function_service::function_service(caf::actor_config& cfg, service_init init, body fn)
  : service(cfg, std::move(init))
  , fn_(std::move(fn)) {
  // nop
}

caf::behavior function_service::make_service_behavior() {
  return fn_(*this);
}

} // namespace warden
