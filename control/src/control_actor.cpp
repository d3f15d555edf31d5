#include "warden/control/control.hpp"

#include <algorithm>
#include <map>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/spdlog.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/bus_message.hpp"
#include "warden/actors/error.hpp"
#include "warden/messaging/gateway.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden {

namespace {

using done_fn = std::function<void(control_reply)>;

control_reply failure(const control_request& req, std::string why) {
  return control_reply{req.id, false, {}, std::move(why)};
}

control_reply success(const control_request& req, const nlohmann::json& result) {
  return control_reply{req.id, true, result.dump(), {}};
}

std::string parent_of(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? std::string{} : path.substr(0, pos);
}

std::string name_of(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string iso_time(int64_t ms) {
  if (ms <= 0)
    return {};
  auto secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string shown_state(const diagnostics_snapshot& snap) {
  return to_string(snap.state);
}

struct control_state {
  control_context ctx;
  std::vector<caf::actor> tails;
  std::shared_ptr<spdlog::logger> log;
  static inline const char* name = "warden.control";
};

using control_actor = caf::stateful_actor<control_state>;

/// Runs one request; `done` gets the reply (maybe later).
void execute(control_actor* self, control_request req, caf::actor sender, done_fn done) {
  auto& st = self->state;
  auto& ctx = st.ctx;
  auto check = check_control_request(req, ctx.token, ctx.token_for_reads);
  if (check.refused)
    st.log->warn("control: '{}' refused: {}", req.command,
                 req.token.empty() ? "no token" : "wrong token");
  if (!check.error.empty()) {
    done(failure(req, std::move(check.error)));
    return;
  }
  auto path = std::move(check.path);
  if (!path.empty() && !ctx.registry->find(path)) {
    done(failure(req, "no child at '" + path + "'"));
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (req.command == "status") {
    gateway_context gw;
    gw.program = ctx.program;
    gw.node = ctx.node;
    gw.started_ms = ctx.started_ms;
    done(success(req, nlohmann::json::parse(health_body(*ctx.registry, gw, req.id))));
    return;
  }
  if (req.command == "tree") {
    done(success(req, tree_json(*ctx.registry)));
    return;
  }
  if (req.command == "inspect") {
    auto diag = ctx.registry->find(path);
    auto result = inspect_json(diag->snapshot(now));
    if (diag->type() != "supervisor" && path != "root") {
      done(success(req, result));
      return;
    }
    auto sup = diag->current();
    if (!sup) {
      done(success(req, result));
      return;
    }
    self->request(sup, std::chrono::seconds{5}, info_atom::value)
        .then(
            [req, result, done](supervisor_info& info) mutable {
              result["strategy"] = info.strategy;
              result["intensity"] = info.intensity;
              result["period_ms"] = info.period_ms;
              result["restarts_in_window"] = info.restarts_in_window;
              auto children = nlohmann::json::array();
              for (auto& c : info.children)
                children.push_back({{"path", c.path},
                                    {"type", c.type},
                                    {"state", shown_state(c)},
                                    {"restarts", c.restarts}});
              result["children"] = std::move(children);
              done(success(req, result));
            },
            [req, result, done](caf::error&) mutable { done(success(req, result)); });
    return;
  }
  if (req.command == "restart" || req.command == "stop" || req.command == "start") {
    if (path == "root") {
      done(failure(req, "the root cannot be " +
                            std::string{req.command == "stop" ? "stopped" : "restarted"} +
                            " from the control plane: stop warden itself (SIGTERM)"));
      return;
    }
    auto parent = ctx.registry->whereis(parent_of(path));
    if (!parent) {
      done(failure(req, "the supervisor of '" + path + "' is not running"));
      return;
    }
    auto name = name_of(path);
    auto reply = [self, req, path, done](const char* what) {
      return [self, req, path, done, what](caf::ok_atom) {
        self->state.log->info("control: {} {}", what, path);
        done(success(req, {{"path", path}, {"done", what}}));
      };
    };
    auto fail = [req, done](caf::error& err) { done(failure(req, describe(err))); };
    if (req.command == "stop")
      self->request(parent, caf::infinite, stop_child_atom::value, name)
          .then(reply("stopped"), fail);
    else
      self->request(parent, caf::infinite, restart_child_atom::value, name)
          .then(reply(req.command == "start" ? "started" : "restarted"), fail);
    return;
  }
  if (req.command == "enable" || req.command == "disable") {
    bool on = req.command == "enable";
    auto reloader =
        caf::actor_cast<caf::actor>(self->system().registry().get(ctx.reloader_name));
    if (!reloader) {
      done(failure(req, "no config reloader in this process"));
      return;
    }
    self->request(reloader, caf::infinite, enable_atom::value, path, on)
        .then(
            [self, req, path, on, done](std::string& summary) {
              self->state.log->info("control: {} {}", on ? "enabled" : "disabled", path);
              done(success(req, {{"path", path},
                                 {"done", on ? "enabled" : "disabled"},
                                 {"reload", summary}}));
            },
            [req, done](caf::error& err) { done(failure(req, describe(err))); });
    return;
  }
  if (req.command == "reload") {
    auto reloader =
        caf::actor_cast<caf::actor>(self->system().registry().get(ctx.reloader_name));
    if (!reloader) {
      done(failure(req, "no config reloader in this process"));
      return;
    }
    self->request(reloader, caf::infinite, reload_atom::value)
        .then(
            [req, done](std::string& summary) {
              done(success(req, {{"reload", summary}}));
            },
            [req, done](caf::error& err) { done(failure(req, describe(err))); });
    return;
  }
  // tail
  if (!sender) {
    done(failure(req, "'tail' needs an actor to stream to"));
    return;
  }
  if (std::find(st.tails.begin(), st.tails.end(), sender) == st.tails.end()) {
    st.tails.push_back(sender);
    self->monitor(sender);
  }
  done(success(req, {{"tailing", true}}));
}

caf::behavior control_behavior(control_actor* self) {
  auto& st = self->state;
  if (st.ctx.events)
    st.ctx.events->subscribe(self);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (self->state.ctx.events)
      self->state.ctx.events->unsubscribe(caf::actor_cast<caf::actor>(self));
    self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& tails = self->state.tails;
    tails.erase(
        std::remove_if(tails.begin(), tails.end(),
                       [&](const caf::actor& x) { return x.address() == msg.source; }),
        tails.end());
  });
  // Requests over RabbitMQ arrive through the bus.
  if (auto bus = caf::actor_cast<caf::actor>(self->system().registry().get(bus_name)))
    self->send(bus, subscribe_atom::value, std::string{},
               "Control.Request." + st.ctx.node);
  // Stray messages (a malformed remote request) are answered, never fatal.
  self->set_default_handler([self](caf::scheduled_actor*, caf::message_view& xs) {
    self->state.log->warn("control: malformed message {} ignored",
                          caf::to_string(xs.content()));
    auto element = self->current_mailbox_element();
    if (element != nullptr && element->mid.is_request())
      return caf::result<caf::message>{
          make_error(error::invalid_argument,
                     "not a control request: " + caf::to_string(xs.content()))};
    return caf::result<caf::message>{caf::message{}};
  });
  self->set_error_handler([](caf::scheduled_actor*, caf::error&) {});
  return {
      [self](control_request& req) -> caf::result<control_reply> {
        // (Making the promise takes the sender out of the current message.)
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        auto rp = self->make_response_promise<control_reply>();
        execute(self, std::move(req), std::move(sender),
                [rp](control_reply reply) mutable { rp.deliver(reply); });
        return rp;
      },
      [self](const lifecycle_event& ev) {
        auto& tails = self->state.tails;
        if (tails.empty())
          return;
        control_event out;
        out.json =
            nlohmann::json{{"kind", to_string(ev.kind)}, {"supervisor", ev.supervisor},
                           {"child", ev.child},          {"reason", ev.reason},
                           {"restarts", ev.restarts},    {"delay_ms", ev.delay_ms},
                           {"time", ev.time_ms}}
                .dump();
        for (auto& t : tails)
          self->send(t, out);
      },
      [self](deliver_atom, const bus_message& msg) {
        control_request req;
        std::string why;
        auto respond = [self, reply_to = msg.reply_to](const control_reply& reply) {
          auto& ctx = self->state.ctx;
          nlohmann::json body{{"id", reply.id}, {"ok", reply.ok}};
          if (reply.ok)
            body["result"] = nlohmann::json::parse(reply.result, nullptr, false);
          else
            body["error"] = reply.error;
          auto bus = caf::actor_cast<caf::actor>(self->system().registry().get(bus_name));
          if (!bus)
            return;
          bus_message out;
          out.topic = "Control.Response." + ctx.program + "." + ctx.node;
          out.body = body.dump();
          out.message_id = next_message_id();
          out.timestamp_ms = wall_clock_ms();
          out.source = "control";
          self->send(bus, publish_atom::value, out);
          if (!reply_to.empty()) {
            out.topic.clear();
            out.reply_to = reply_to;
            out.message_id = next_message_id();
            self->send(bus, publish_atom::value, out);
          }
        };
        if (!parse_control_json(msg.body, req, why)) {
          self->state.log->warn("control: malformed request on {}: {}", msg.topic, why);
          auto id = nlohmann::json::parse(msg.body, nullptr, false);
          control_reply reply;
          if (id.is_object() && id.contains("id") && id["id"].is_string())
            reply.id = id["id"].get<std::string>();
          reply.error = "malformed request: " + why;
          respond(reply);
          return true;
        }
        execute(self, std::move(req), caf::actor{}, respond);
        return true;
      },
  };
}

} // namespace

caf::actor spawn_control(caf::actor_system& sys, control_context ctx) {
  return sys.spawn(
      [](control_actor* self, control_context c) {
        self->state.ctx = std::move(c);
        self->state.log = spdlog::get("control");
        if (!self->state.log)
          self->state.log = spdlog::default_logger();
        return control_behavior(self);
      },
      std::move(ctx));
}

caf::expected<uint16_t> publish_control(caf::actor_system& sys, const caf::actor& control,
                                        const std::string& listen, uint16_t port,
                                        const std::string& tls_cert,
                                        const std::string& tls_key) {
  const char* addr = listen.empty() ? nullptr : listen.c_str();
  if (!tls_cert.empty() && !tls_key.empty())
    return caf::openssl::publish(control, port, addr, true);
  return sys.middleman().publish(control, port, addr, true);
}

nlohmann::json inspect_json(const diagnostics_snapshot& snap) {
  nlohmann::json out;
  out["path"] = snap.path;
  out["type"] = snap.type;
  out["state"] = shown_state(snap);
  out["restarts"] = snap.restarts;
  auto exits = nlohmann::json::array();
  for (auto& e : snap.exits)
    exits.push_back({{"reason", e.reason}, {"time", iso_time(e.time_ms)}});
  if (!snap.exits.empty())
    out["last_exit"] = exits.back();
  else
    out["last_exit"] = nullptr;
  out["exits"] = std::move(exits);
  out["uptime_s"] = snap.uptime_ms / 1000.0;
  out["mailbox"] = snap.mailbox;
  out["handled"] = snap.handled;
  out["flags"] = snap.flags;
  out["values"] = snap.values;
  // Schedules from the ticker's values: schedule.<tick>.next / .last.
  std::map<std::string, nlohmann::json> schedules;
  for (auto& [key, value] : snap.values) {
    if (key.rfind("schedule.", 0) != 0)
      continue;
    auto rest = key.substr(9);
    auto dot = rest.rfind('.');
    if (dot == std::string::npos)
      continue;
    auto tick = rest.substr(0, dot);
    auto field = rest.substr(dot + 1);
    auto& entry = schedules[tick];
    entry["tick"] = tick;
    if (field == "next" || field == "last")
      entry[field] = value;
  }
  auto list = nlohmann::json::array();
  for (auto& [tick, entry] : schedules)
    list.push_back(entry);
  out["schedules"] = std::move(list);
  if (auto i = snap.values.find("pid"); i != snap.values.end()) {
    char* end = nullptr;
    auto pid = std::strtoll(i->second.c_str(), &end, 10);
    if (end != nullptr && *end == '\0')
      out["pid"] = pid;
  }
  return out;
}

nlohmann::json tree_json(const path_registry& registry) {
  auto all = registry.subtree("root");
  // Path order with '/' lowest, so that a parent's subtree is contiguous
  // ("root/a", "root/a/x", "root/a-b").
  auto rank = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c) + 1; };
  std::sort(all.begin(), all.end(),
            [&](const diagnostics_ptr& x, const diagnostics_ptr& y) {
              auto& a = x->path();
              auto& b = y->path();
              return std::lexicographical_compare(
                  a.begin(), a.end(), b.begin(), b.end(),
                  [&](char l, char r) { return rank(l) < rank(r); });
            });
  auto node_of = [](const diagnostics& d) {
    auto state = d.state();
    std::string shown = to_string(state);
    return nlohmann::json{
        {"path", d.path()},         {"name", name_of(d.path())},
        {"type", d.type()},         {"state", shown},
        {"restarts", d.restarts()}, {"children", nlohmann::json::array()}};
  };
  if (all.empty())
    return nlohmann::json::object();
  // Sorted by path, a parent comes before its children: a stack of open
  // nodes builds the nesting in one pass.
  std::vector<std::pair<std::string, nlohmann::json>> stack;
  auto close_top = [&] {
    auto top = std::move(stack.back());
    stack.pop_back();
    stack.back().second["children"].push_back(std::move(top.second));
  };
  for (auto& d : all) {
    while (stack.size() > 1 && d->path().rfind(stack.back().first + "/", 0) != 0)
      close_top();
    stack.emplace_back(d->path(), node_of(*d));
  }
  while (stack.size() > 1)
    close_top();
  return std::move(stack.front().second);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  auto n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

} // namespace warden
