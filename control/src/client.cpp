#include <atomic>
#include <cstdio>
#include <memory>
#include <iostream>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "warden/actors/system_config.hpp"
#include "warden/control/client.hpp"
#include "warden/control/protocol.hpp"

namespace warden {

namespace {

/// `tail`: an event-based actor subscribes (warden streams to the sender of
/// the request) and prints events until warden goes away.
int tail(caf::actor_system& sys, const caf::actor& remote, control_request req,
         const client_options& opts, const std::string& where) {
  auto code = std::make_shared<std::atomic<int>>(client_ok);
  auto printer = sys.spawn(
      [](caf::event_based_actor* self, caf::actor ctl, control_request r,
         client_options o, std::string at,
         std::shared_ptr<std::atomic<int>> result) -> caf::behavior {
        self->monitor(ctl);
        self->set_down_handler([self, at](caf::down_msg&) {
          std::fprintf(stderr, "warden: %s went away\n", at.c_str());
          self->quit();
        });
        self->request(ctl, o.timeout, r)
            .then(
                [self, result](control_reply& reply) {
                  if (!reply.ok) {
                    std::fprintf(stderr, "warden: %s\n", reply.error.c_str());
                    *result = reply.error.rfind("refused:", 0) == 0 ? client_unreachable
                                                                    : client_error;
                    self->quit();
                  }
                },
                [self, at, result](caf::error& err) {
                  std::fprintf(stderr, "warden: no answer from %s: %s\n", at.c_str(),
                               self->system().render(err).c_str());
                  *result = client_unreachable;
                  self->quit();
                });
        return {
            [o](control_event& ev) {
              if (o.json)
                std::cout << ev.json << "\n";
              else
                std::cout << render_event(nlohmann::json::parse(ev.json, nullptr, false),
                                          o.color);
              std::cout.flush();
            },
        };
      },
      remote, std::move(req), opts, where, code);
  caf::scoped_actor self{sys};
  self->monitor(printer);
  self->receive([](caf::down_msg&) {});
  return code->load();
}

} // namespace

int run_client(const std::string& command, const std::string& target,
               const client_options& opts) {
  runtime_options rt;
  rt.threads = 1;
  system_config cfg{rt};
  if (opts.tls && (opts.tls_cert.empty() || opts.tls_key.empty())) {
    std::fprintf(stderr, "warden: TLS needs a certificate and key (control.tls_cert and "
                         "control.tls_key of the config)\n");
    return client_unreachable;
  }
  add_control_types(cfg, true, opts.tls);
  if (opts.tls) {
    cfg.set("openssl.certificate", opts.tls_cert);
    cfg.set("openssl.key", opts.tls_key);
    if (!opts.tls_ca.empty())
      cfg.set("openssl.cafile", opts.tls_ca);
  }
  // CAF's own logging of connection failures would only repeat ours.
  caf::actor_system sys{cfg};
  auto where = opts.host + ":" + std::to_string(opts.port);
  caf::expected<caf::actor> remote = caf::sec::cannot_connect_to_node;
  if (opts.tls)
    remote = caf::openssl::remote_actor<caf::actor>(sys, opts.host, opts.port);
  else
    remote = sys.middleman().remote_actor(opts.host, opts.port);
  if (!remote) {
    std::fprintf(stderr, "warden: cannot connect to %s: %s\n", where.c_str(),
                 sys.render(remote.error()).c_str());
    return client_unreachable;
  }
  caf::scoped_actor self{sys};
  control_request req;
  req.command = command;
  req.target = target;
  req.token = opts.token;
  if (command == "tail")
    return tail(sys, *remote, std::move(req), opts, where);
  int code = client_ok;
  self->request(*remote, opts.timeout, req)
      .receive(
          [&](control_reply& reply) {
            if (!reply.ok) {
              std::fprintf(stderr, "warden: %s\n", reply.error.c_str());
              code = reply.error.rfind("refused:", 0) == 0 ? client_unreachable
                                                           : client_error;
              return;
            }
            auto result = nlohmann::json::parse(reply.result, nullptr, false);
            if (opts.json)
              std::cout << result.dump(2) << "\n";
            else if (command == "tree" && opts.dot)
              std::cout << render_dot(result);
            else
              std::cout << render_text(command, result, opts.color);
            // Like `systemctl is-system-running`: scripts can test the tree.
            if (command == "status" && result.is_object() &&
                result.value("status", "") != "ok")
              code = client_not_ok;
          },
          [&](caf::error& err) {
            std::fprintf(stderr, "warden: no answer from %s: %s\n", where.c_str(),
                         sys.render(err).c_str());
            code = client_unreachable;
          });
  return code;
}

} // namespace warden
