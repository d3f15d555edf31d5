#include "warden/messaging/gateway.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <unistd.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/bus_message.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/health.hpp"
#include "warden/actors/service.hpp"

namespace warden {

namespace {

// Link → gateway (sent from the link's thread).
using link_up_atom = caf::atom_constant<caf::atom("wd_lnkup")>;
using link_down_atom = caf::atom_constant<caf::atom("wd_lnkdown")>;
using confirm_atom = caf::atom_constant<caf::atom("wd_confirm")>;
using incoming_atom = caf::atom_constant<caf::atom("wd_amqpin")>;
// Gateway → itself: refresh the diagnostics values.
using refresh_atom = caf::atom_constant<caf::atom("wd_gwstat")>;
// Gateway → itself: hand what was appended meanwhile to the link.
using pump_atom = caf::atom_constant<caf::atom("wd_gwpump")>;

constexpr auto refresh_interval = std::chrono::milliseconds{250};
// While the broker stays unreachable with the same error, how often the log
// says so again (with the attempt count): without it a link that keeps
// retrying and one that stopped look alike in the log.
constexpr auto offline_log_interval = std::chrono::seconds{10};

class gateway : public service {
public:
  gateway(caf::actor_config& cfg, service_init init, gateway_settings settings,
          gateway_context ctx)
    : service(cfg, std::move(init))
    , settings_(std::move(settings))
    , ctx_(std::move(ctx)) {
    log_ = spdlog::get("gateway");
    if (!log_)
      log_ = spdlog::default_logger();
  }

  const char* name() const override {
    return "warden.gateway";
  }

  void on_start() override {
    std::string err;
    outbox_ = outbox::open(settings_.outbox, &err);
    if (!outbox_) {
      fail("cannot open the outbox: " + err);
      return;
    }
    for (auto& warning : outbox_->open_warnings())
      log_->warn("{}: outbox: {}", path(), warning);
    if (outbox_->depth() > 0)
      log_->info("{}: {} message(s) in the outbox from before, sent first", path(),
                 outbox_->depth());
    state_ = "connecting";
    set_value("state", state_);
    refresh_values();
    // The bus sends topics for the broker here from now on.
    if (auto bus = caf::actor_cast<caf::actor>(system().registry().get(bus_name)))
      send(bus, gateway_atom::value, settings_.publish_patterns);
    subscribe("Health.Request");
    if (ctx_.events)
      ctx_.events->subscribe(this);
    // The link's callbacks run on its thread: they only send messages.
    auto self = caf::actor_cast<caf::actor>(this);
    amqp_link_events events;
    events.up = [self](uint64_t gen) { caf::anon_send(self, link_up_atom::value, gen); };
    events.down = [self](uint64_t gen, std::string reason) {
      caf::anon_send(self, link_down_atom::value, gen, std::move(reason));
    };
    events.confirmed = [self](uint64_t gen, uint64_t tag, bool multiple, bool nack) {
      caf::anon_send(self, confirm_atom::value, gen, tag, multiple, nack);
    };
    events.delivered = [self](uint64_t gen, uint64_t tag, bus_message msg) {
      caf::anon_send(self, incoming_atom::value, gen, tag, std::move(msg));
    };
    settings_.link.app_id = ctx_.program;
    log_->info("{}: connecting to {} (exchange {})", path(),
               amqp_link::redact_url(settings_.link.url), settings_.link.exchange);
    link_ = std::make_unique<amqp_link>(settings_.link, std::move(events));
    delayed_send(this, refresh_interval, refresh_atom::value);
  }

  void on_stop() override {
    if (ctx_.events)
      ctx_.events->unsubscribe(caf::actor_cast<caf::actor>(this));
    // Joins the link's thread, which drops its handle to this actor.
    link_.reset();
    // Close the outbox now, not when the actor object goes away: the next
    // instance (a restart) opens the same directory and its lock.
    if (outbox_) {
      outbox_->checkpoint();
      outbox_.reset();
    }
    set_value("state", "stopped");
  }

  caf::behavior make_service_behavior() override {
    return {
        [this](publish_atom, bus_message& msg) -> caf::result<caf::ok_atom> {
          return take(msg);
        },
        [this](link_up_atom, uint64_t gen) {
          gen_ = gen;
          next_tag_ = 1;
          inflight_.clear();
          outbox_->rewind();
          state_ = "connected";
          last_error_.clear();
          log_->info("{}: connected to {}; {} message(s) waiting in the outbox", path(),
                     amqp_link::redact_url(settings_.link.url), outbox_->depth());
          set_value("state", state_);
          clear_flag("offline");
          pump();
        },
        [this](link_down_atom, uint64_t gen, std::string& reason) {
          auto now = std::chrono::steady_clock::now();
          if (gen != 0 || state_ == "connected") {
            log_->warn("{}: connection lost: {}; reconnecting", path(), reason);
            offline_logged_ = now;
          } else if (reason != last_error_) {
            log_->warn("{}: cannot reach the broker: {}; retrying", path(), reason);
            offline_logged_ = now;
          } else if (now - offline_logged_ >= offline_log_interval) {
            log_->warn(
                "{}: still cannot reach the broker after {} attempt(s): {}; retrying",
                path(), link_ ? link_->status().attempts : 0, reason);
            offline_logged_ = now;
          }
          gen_ = 0;
          inflight_.clear();
          state_ = "offline";
          last_error_ = reason;
          set_value("state", state_);
          set_value("last_error", reason);
          set_flag("offline");
        },
        [this](confirm_atom, uint64_t gen, uint64_t tag, bool multiple, bool nack) {
          if (gen != gen_)
            return;
          on_confirm(tag, multiple, nack);
        },
        [this](incoming_atom, uint64_t gen, uint64_t tag, bus_message& msg) {
          on_incoming(gen, tag, std::move(msg));
        },
        [this](pump_atom) {
          pump_scheduled_ = false;
          pump();
        },
        [this](refresh_atom) {
          refresh_values();
          delayed_send(this, refresh_interval, refresh_atom::value);
        },
        [this](const lifecycle_event& ev) {
          if (ev.kind != lifecycle_kind::crashed)
            return;
          nlohmann::json body{{"path", ev.child},
                              {"reason", ev.reason},
                              {"restarts", ev.restarts},
                              {"time", ev.time_ms}};
          publish("Error.Message." + ctx_.program + "." + ctx_.node, body);
        },
    };
  }

  void on_message(const bus_message& msg) override {
    if (msg.topic != "Health.Request" || has_health_service())
      return;
    std::string id;
    auto request = nlohmann::json::parse(msg.body, nullptr, false);
    if (request.is_object() && request.contains("id") && request["id"].is_string())
      id = request["id"].get<std::string>();
    bus_message answer;
    answer.topic = "Health.Response." + ctx_.program + "." + ctx_.node;
    answer.body = health_body(*ctx_.registry, ctx_, id);
    publish(std::move(answer));
  }

private:
  /// Whether the tree has a child of type `health`: that one answers
  /// `Health.Request`, and the built-in answer would be a duplicate.
  bool has_health_service() const {
    for (auto& diag : ctx_.registry->subtree("root"))
      if (diag->type() == "health")
        return true;
    return false;
  }

  /// Appends `msg` to the outbox: from here on it counts as sent.
  caf::result<caf::ok_atom> take(bus_message& msg) {
    std::string err;
    // A direct reply goes to the queue named by reply_to through the
    // default exchange: the link reads a leading '.' that way (no topic
    // starts with an empty word).
    if (msg.topic.empty() && !msg.reply_to.empty())
      msg.topic = "." + msg.reply_to;
    auto seq =
        outbox_->append(msg.topic, msg.message_id, msg.body, msg.timestamp_ms, &err);
    if (seq == 0) {
      if (!full_) {
        log_->error("{}: refusing messages: {}", path(), err);
        set_flag("outbox_full");
        full_ = true;
      }
      return make_error(error::unavailable, err);
    }
    ++published_;
    schedule_pump();
    return caf::ok_atom::value;
  }

  /// Pumps once the publish requests already in the mailbox are appended:
  /// one command to the link (one wakeup of its thread) for a burst, not one
  /// per message. A full window is pumped by the confirms instead.
  void schedule_pump() {
    if (pump_scheduled_ || gen_ == 0 || inflight_.size() >= settings_.confirm_window)
      return;
    pump_scheduled_ = true;
    send(this, pump_atom::value);
  }

  /// Hands unsent records to the link, up to the confirm window.
  void pump() {
    if (gen_ == 0 || !link_)
      return;
    auto room = settings_.confirm_window > inflight_.size()
                    ? settings_.confirm_window - inflight_.size()
                    : 0;
    if (room == 0)
      return;
    batch_.clear();
    outbox_->take_unsent(room, batch_);
    if (batch_.empty())
      return;
    for (auto& rec : batch_)
      inflight_.emplace(next_tag_++, rec.seq);
    link_->publish(gen_, std::move(batch_));
    batch_ = {};
  }

  void on_confirm(uint64_t tag, bool multiple, bool nack) {
    if (nack) {
      // The broker could not take them: send everything unconfirmed again
      // (consumers drop duplicates by message_id).
      log_->warn("{}: the broker refused message(s) up to tag {}; resending", path(),
                 tag);
      inflight_.clear();
      outbox_->rewind();
      pump();
      return;
    }
    auto end = multiple ? inflight_.upper_bound(tag) : inflight_.find(tag);
    if (!multiple) {
      if (end == inflight_.end())
        return;
      outbox_->confirm(end->second, false);
      inflight_.erase(end);
      ++confirmed_;
    } else {
      for (auto i = inflight_.begin(); i != end; ++i) {
        outbox_->confirm(i->second, false);
        ++confirmed_;
      }
      inflight_.erase(inflight_.begin(), end);
    }
    outbox_->checkpoint();
    if (full_ && outbox_->bytes() < settings_.outbox.max_bytes / 2) {
      full_ = false;
      clear_flag("outbox_full");
    }
    pump();
  }

  void on_incoming(uint64_t gen, uint64_t tag, bus_message msg) {
    ++received_;
    auto done = [this, gen, tag] {
      if (gen == gen_ && link_)
        link_->ack(gen, tag);
    };
    if (msg.body.size() > settings_.max_body) {
      log_->warn("{}: dropped a {} byte message on {} (limit {})", path(),
                 msg.body.size(), msg.topic, settings_.max_body);
      ++rejected_;
      done();
      return;
    }
    if (!nlohmann::json::accept(msg.body)) {
      log_->warn("{}: dropped a message on {} whose body is not JSON", path(), msg.topic);
      ++rejected_;
      done();
      return;
    }
    // Ours, back from the broker: local subscribers had it when published.
    if (own_message_id(msg.message_id)) {
      done();
      return;
    }
    auto bus = caf::actor_cast<caf::actor>(system().registry().get(bus_name));
    if (!bus) {
      done();
      return;
    }
    if (msg.message_id.empty())
      msg.message_id = next_message_id();
    request(bus, caf::infinite, deliver_atom::value, std::move(msg))
        .then([done](bool) { done(); },
              [this, done](caf::error& err) {
                log_->warn("{}: delivery failed: {}", path(), describe(err));
                done();
              });
  }

  void refresh_values() {
    if (!outbox_)
      return;
    if (link_) {
      // Cheap, and what tells a link that keeps retrying (attempts grow)
      // from one stuck in a call (the same phase for longer and longer).
      auto st = link_->status();
      set_value("link.attempts", std::to_string(st.attempts));
      set_value("link.connects", std::to_string(st.connects));
      set_value("link.phase", st.phase);
      set_value("link.phase_ms", std::to_string(st.in_phase.count()));
    }
    auto depth = outbox_->depth();
    if (depth == shown_depth_ && published_ == shown_published_ &&
        received_ == shown_received_)
      return;
    shown_depth_ = depth;
    shown_published_ = published_;
    shown_received_ = received_;
    set_value("outbox.depth", std::to_string(depth));
    set_value("outbox.bytes", std::to_string(outbox_->bytes()));
    set_value("published", std::to_string(published_));
    set_value("confirmed", std::to_string(confirmed_));
    set_value("received", std::to_string(received_));
    set_value("rejected", std::to_string(rejected_));
  }

  gateway_settings settings_;
  gateway_context ctx_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<outbox> outbox_;
  std::unique_ptr<amqp_link> link_;
  std::vector<outbox_record> batch_;
  /// Delivery tag → outbox seq of unconfirmed publishes on `gen_`.
  std::map<uint64_t, uint64_t> inflight_;
  uint64_t gen_ = 0;
  uint64_t next_tag_ = 1;
  std::string state_;
  std::string last_error_;
  /// When the log last said the broker is unreachable.
  std::chrono::steady_clock::time_point offline_logged_{};
  bool full_ = false;
  bool pump_scheduled_ = false;
  uint64_t published_ = 0;
  uint64_t confirmed_ = 0;
  uint64_t received_ = 0;
  uint64_t rejected_ = 0;
  size_t shown_depth_ = SIZE_MAX;
  uint64_t shown_published_ = UINT64_MAX;
  uint64_t shown_received_ = UINT64_MAX;
};

} // namespace

child_spec gateway_child(std::string name, gateway_settings settings,
                         gateway_context ctx) {
  auto spec = worker(std::move(name), make_factory<gateway>(settings, ctx));
  spec.type = "rabbitmq";
  return spec;
}

std::string health_body(const path_registry& registry, const gateway_context& ctx,
                        const std::string& id) {
  auto all = registry.subtree("root");
  std::sort(all.begin(), all.end(),
            [](const diagnostics_ptr& x, const diagnostics_ptr& y) {
              return x->path() < y->path();
            });
  auto level = health_of(all);
  auto services = nlohmann::json::array();
  for (auto& diag : all) {
    auto state = diag->state();
    services.push_back({{"path", diag->path()},
                        {"state", to_string(state)},
                        {"restarts", diag->restarts()}});
  }
  nlohmann::json body{
      {"id", id},
      {"program", ctx.program},
      {"node", ctx.node},
      {"pid", static_cast<int64_t>(::getpid())},
      {"uptime_s", ctx.started_ms > 0 ? (wall_clock_ms() - ctx.started_ms) / 1000 : 0},
      {"status", to_string(level)},
      {"services", std::move(services)},
  };
  return body.dump();
}

} // namespace warden
