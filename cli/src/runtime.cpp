#include "runtime.hpp"

#include <csignal>
#include <filesystem>
#include <pthread.h>
#include <sys/stat.h>
#include <thread>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "logging.hpp"
#include "systemd_notify.hpp"
#include "warden/cli/ticker.hpp"
#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/identity.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/cli/reload_diff.hpp"
#include "warden/config/config_edit.hpp"
#include "warden/control/control.hpp"
#include "warden/cli/run_main.hpp"
#include "warden/messaging/bus.hpp"
#include "warden/messaging/gateway.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden {

namespace {

using signal_atom = caf::atom_constant<caf::atom("wd_signal")>;
using check_atom = caf::atom_constant<caf::atom("wd_check")>;

constexpr int exit_ok = 0;
constexpr int exit_config = 1;
constexpr int exit_gave_up = 3;

/// What identifies a version of the config file on disk.
struct file_stamp {
  int64_t mtime_ns = 0;
  int64_t size = 0;
  uint64_t inode = 0;

  bool operator==(const file_stamp& y) const noexcept {
    return mtime_ns == y.mtime_ns && size == y.size && inode == y.inode;
  }
};

std::optional<file_stamp> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::nullopt;
  return file_stamp{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                        st.st_mtim.tv_nsec,
                    static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
}

/// The RabbitMQ gateway's child name, first child of the root supervisor.
constexpr const char* gateway_child_name = "rabbitmq";

/// The gateway's settings from the config's `rabbitmq` section.
gateway_settings gateway_settings_of(const warden_config& cfg) {
  auto& rmq = cfg.rabbitmq;
  gateway_settings out;
  out.link.url = rmq.url;
  out.link.exchange = rmq.exchange;
  out.link.heartbeat_s = static_cast<int>(rmq.heartbeat.count());
  out.link.confirm = rmq.confirm;
  out.link.prefetch = rmq.prefetch;
  auto queue_base = "warden." + cfg.program + "." + cfg.node;
  if (!rmq.subscribe.empty())
    out.link.queues.push_back(amqp_queue{queue_base, rmq.subscribe});
  // Control.Request.<node>: permanent, in a queue of its own.
  out.link.queues.push_back(
      amqp_queue{queue_base + ".control", {"Control.Request." + cfg.node}});
  auto temporary = rmq.subscribe_temporary;
  if (std::find(temporary.begin(), temporary.end(), "Health.Request") == temporary.end())
    temporary.push_back("Health.Request");
  out.link.queues.push_back(amqp_queue{"", temporary});
  auto dir = std::filesystem::path{rmq.outbox};
  if (dir.is_relative())
    dir = std::filesystem::path{cfg.base_dir} / dir;
  out.outbox.dir = dir.lexically_normal().string();
  out.outbox.max_bytes = rmq.outbox_max_mb << 20;
  out.confirm_window = rmq.confirm ? rmq.confirm_window : 1000;
  out.publish_patterns = rmq.publish;
  return out;
}

bool same_rabbitmq(const warden_config& x, const warden_config& y) {
  auto& a = x.rabbitmq;
  auto& b = y.rabbitmq;
  return a.enabled == b.enabled && a.url == b.url && a.exchange == b.exchange &&
         a.outbox == b.outbox && a.outbox_max_mb == b.outbox_max_mb &&
         a.heartbeat == b.heartbeat && a.confirm == b.confirm &&
         a.confirm_window == b.confirm_window && a.prefetch == b.prefetch &&
         a.publish == b.publish && a.subscribe == b.subscribe &&
         a.subscribe_temporary == b.subscribe_temporary && x.program == y.program &&
         x.node == y.node;
}

/// The root spec of `cfg` with the gateway in front when the config has a
/// `rabbitmq` section: it starts first and stops last.
supervisor_spec with_gateway(const warden_config& cfg, gateway_context ctx) {
  auto spec = cfg.supervisor;
  if (cfg.rabbitmq.enabled) {
    ctx.program = cfg.program;
    ctx.node = cfg.node;
    spec.children.insert(
        spec.children.begin(),
        gateway_child(gateway_child_name, gateway_settings_of(cfg), ctx));
  }
  return spec;
}

struct reloader_state {
  gateway_context gateway;
  loaded_config current;
  std::string path;
  load_options opts;
  caf::actor root;
  caf::actor ticker;
  std::optional<file_stamp> applied;
  std::optional<file_stamp> pending;
  std::shared_ptr<spdlog::logger> log;
};

/// Owns the running config: reloads on `reload_atom` (SIGHUP, code, the
/// control plane) and when the file changed. A change is applied once the
/// file has stayed the same for one check interval, so a file still being
/// written is never applied half-way; an invalid file is refused whole.
caf::behavior reloader(caf::stateful_actor<reloader_state>* self) {
  auto reload = [self]() -> caf::expected<std::string> {
    auto& st = self->state;
    if (st.path.empty())
      return make_error(error::bad_state,
                        "no config file to reload (" + st.current.config.source + ")");
    st.applied = stamp_of(st.path);
    st.pending.reset();
    auto loaded = load_file(st.path, st.opts);
    if (!loaded.ok()) {
      for (auto& err : loaded.errors)
        st.log->error("{}", to_string(err));
      st.log->error("reload refused: {} error(s) in {}; the running tree is unchanged",
                    loaded.errors.size(), st.path);
      return make_error(error::invalid_spec,
                        std::to_string(loaded.errors.size()) + " error(s) in " + st.path);
    }
    auto& next = loaded.config->config;
    auto diff = diff_configs(st.current.config, next);
    auto gateway_path = std::string{"root/"} + gateway_child_name;
    if (!same_rabbitmq(st.current.config, next)) {
      if (!st.current.config.rabbitmq.enabled)
        diff.added.push_back(gateway_path);
      else if (!next.rabbitmq.enabled)
        diff.removed.push_back(gateway_path);
      else
        diff.restarted.push_back(gateway_path);
    }
    auto text = summary(diff);
    auto plan = make_reload_plan(next, diff);
    plan.spec = with_gateway(next, st.gateway);
    if (!diff.empty())
      self->request(st.root, caf::infinite, reload_atom::value, std::move(plan))
          .then([](caf::ok_atom) {},
                [self](caf::error& err) {
                  self->state.log->error("reload not applied: {}", describe(err));
                });
    self->send(st.ticker, schedules_of(loaded.config->config));
    set_identity(identity{next.program, next.node, next.base_dir});
    st.log->info("{}", text);
    st.current = std::move(*loaded.config);
    return text;
  };
  if (!self->state.path.empty()) {
    self->state.applied = stamp_of(self->state.path);
    self->delayed_send(self, self->state.current.config.config_check, check_atom::value);
  }
  return {
      [reload](reload_atom) -> caf::result<std::string> {
        auto result = reload();
        if (!result)
          return result.error();
        return *result;
      },
      [self, reload](enable_atom, const std::string& child,
                     bool on) -> caf::result<std::string> {
        auto& st = self->state;
        if (st.path.empty())
          return make_error(error::bad_state,
                            "enable/disable need a config file to persist in, not " +
                                st.current.config.source);
        auto i = st.current.config.children.find(child);
        if (i == st.current.config.children.end() || child == "root")
          return make_error(error::unknown_child, "no configured child '" + child + "'");
        auto why = set_setting_in_file(st.path, i->second.setting + ".enabled",
                                       on ? "true" : "false", st.opts);
        if (!why.empty())
          return make_error(error::invalid_spec, why);
        auto result = reload();
        if (!result)
          return result.error();
        return *result;
      },
      [self, reload](check_atom) {
        auto& st = self->state;
        auto now = stamp_of(st.path);
        if (now && !(st.applied && *now == *st.applied)) {
          if (st.pending && *now == *st.pending)
            reload(); // unchanged for one interval: complete
          else
            st.pending = now; // changed: wait one interval
        }
        self->delayed_send(self, st.current.config.config_check, check_atom::value);
      },
  };
}

/// Stops `actor` and waits for it (the ticker saves its state on the way).
void self_destruct(caf::actor_system& sys, const caf::actor& actor) {
  caf::scoped_actor waiter{sys};
  waiter->monitor(actor);
  waiter->send_exit(actor, caf::exit_reason::user_shutdown);
  waiter->receive([](caf::down_msg&) {});
}

int exit_code_for(const caf::error& reason, spdlog::logger& log) {
  if (!reason || reason == caf::exit_reason::user_shutdown ||
      reason == caf::exit_reason::kill)
    return exit_ok;
  if (reason.category() == error_category &&
      reason.code() == static_cast<uint8_t>(error::intensity_exceeded)) {
    log.critical("the root supervisor gave up: {}", describe(reason));
    return exit_gave_up;
  }
  log.critical("the root supervisor stopped: {}", describe(reason));
  return exit_gave_up;
}

} // namespace

int run_tree(loaded_config loaded, const std::string& path, load_options opts) {
  // Signals are taken by one thread with sigwait; block them everywhere
  // else before CAF starts its threads. An inherited SIG_IGN (a background
  // job) would discard them before sigwait could see them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    std::signal(sig, SIG_DFL);
    sigaddset(&signals, sig);
  }
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // systemd's notify protocol (Type=notify): a no-op without NOTIFY_SOCKET.
  systemd_notifier notifier;

  auto& cfg = loaded.config;
  std::string why;
  if (!setup_logging(cfg.log, cfg.base_dir, &why)) {
    spdlog::error("{}", why);
    return exit_config;
  }
  auto log = spdlog::get("warden");
  runtime_options rt;
  rt.threads = cfg.threads;
  system_config sys_cfg{rt};
  bool tls = !cfg.control.tls_cert.empty() && !cfg.control.tls_key.empty();
  add_control_types(sys_cfg, cfg.control.port != 0, tls);
  if (tls) {
    auto base = std::filesystem::path{cfg.base_dir};
    auto resolve = [&](const std::string& p) {
      auto x = std::filesystem::path{p};
      return (x.is_relative() ? base / x : x).string();
    };
    sys_cfg.set("openssl.certificate", resolve(cfg.control.tls_cert));
    sys_cfg.set("openssl.key", resolve(cfg.control.tls_key));
    // CAF's openssl module verifies both ends: clients present the same
    // certificate (the `warden` client takes it from the config).
    sys_cfg.set("openssl.cafile", resolve(cfg.control.tls_cert));
  }
  caf::actor_system sys{sys_cfg};
  supervisor_context ctx;
  ctx.log = spdlog::get("supervisor");
  ctx.registry = std::make_shared<path_registry>();
  ctx.events = std::make_shared<lifecycle_bus>();
  auto started = std::chrono::steady_clock::now();
  set_identity(identity{cfg.program, cfg.node, cfg.base_dir});
  // The bus first: services find it in CAF's registry from their first turn.
  bus_options bus_opts;
  bus_opts.gateway_expected = cfg.rabbitmq.enabled;
  bus_opts.out_patterns =
      cfg.rabbitmq.enabled ? cfg.rabbitmq.publish : std::vector<std::string>{};
  auto bus = spawn_bus(sys, ctx.registry, ctx.events, bus_opts);
  sys.registry().put(bus_name, caf::actor_cast<caf::strong_actor_ptr>(bus));
  gateway_context gw_ctx;
  gw_ctx.registry = ctx.registry;
  gw_ctx.events = ctx.events;
  gw_ctx.started_ms = wall_clock_ms();
  // The control plane: one actor for the middleman, the client and
  // Control.Request over RabbitMQ, before the tree so that it subscribes
  // to its topic before the gateway delivers anything.
  control_context cc;
  cc.registry = ctx.registry;
  cc.events = ctx.events;
  cc.reloader_name = reloader_name;
  cc.token = cfg.control.token;
  cc.token_for_reads = !is_loopback(cfg.control.listen);
  cc.program = cfg.program;
  cc.node = cfg.node;
  cc.started_ms = gw_ctx.started_ms;
  auto control = spawn_control(sys, cc);
  // The ticker next: it must see the first start of every child.
  auto state_file =
      (std::filesystem::path{cfg.base_dir} / "state" / "last_fire").string();
  auto ticker =
      spawn_ticker(sys, schedules_of(cfg), ctx.registry, ctx.events, state_file);
  auto root = spawn_supervisor(sys, "root", with_gateway(cfg, gw_ctx), ctx);
  if (!root) {
    log->error("cannot start the tree: {}", describe(root.error()));
    sys.registry().erase(bus_name);
    self_destruct(sys, bus);
    self_destruct(sys, control);
    self_destruct(sys, ticker);
    return exit_config;
  }
  log->info("{} on {}: running {} ({} threads)", cfg.program, cfg.node, cfg.source,
            sys_cfg.threads());
  caf::scoped_actor self{sys};
  self->monitor(*root);
  auto watchdog = spawn_watchdog(sys, *root, ctx.registry, notifier.watchdog_interval());
  // The state comes in as spawn arguments: CAF 0.17 dereferences a null
  // argument tuple for function actors spawned without any (UBSan).
  auto reload_actor = sys.spawn(
      [](caf::stateful_actor<reloader_state>* r, loaded_config current, std::string file,
         load_options options, caf::actor tree, caf::actor ticks, gateway_context gw) {
        r->state.gateway = std::move(gw);
        r->state.current = std::move(current);
        r->state.path = std::move(file);
        r->state.opts = std::move(options);
        r->state.root = std::move(tree);
        r->state.ticker = std::move(ticks);
        r->state.log = spdlog::get("config");
        return reloader(r);
      },
      loaded, path, opts, *root, ticker, gw_ctx);
  // Code in this process (and the control plane) reloads through the
  // registry: `sys.registry().get(reloader_name)` ← `reload_atom`.
  sys.registry().put(reloader_name, caf::actor_cast<caf::strong_actor_ptr>(reload_actor));

  // Listening: not being able to is logged, never fatal.
  if (cfg.control.port != 0) {
    auto port = publish_control(sys, control, cfg.control.listen, cfg.control.port,
                                cfg.control.tls_cert, cfg.control.tls_key);
    if (port)
      log->info("control: listening on {}:{}{}", cfg.control.listen, *port,
                tls ? " (TLS)" : "");
    else
      log->error("control: cannot listen on {}:{}: {}", cfg.control.listen,
                 cfg.control.port, sys.render(port.error()));
  }
  auto main_handle = caf::actor_cast<caf::actor>(self);
  std::thread waiter{[signals, main_handle] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0)
        continue;
      caf::anon_send(main_handle, signal_atom::value, sig);
    }
  }};
  waiter.detach();
  int code = exit_ok;
  int interrupts = 0;
  bool done = false;
  bool ready_logged = false;
  auto root_diag = ctx.registry->find("root");
  while (!done) {
    self->receive(
        [&](caf::down_msg& msg) {
          done = true;
          code = exit_code_for(msg.reason, *log);
        },
        [&](signal_atom, int sig) {
          if (sig == SIGHUP) {
            log->info("SIGHUP: reloading the config");
            if (!ready_logged) {
              caf::anon_send(reload_actor, reload_atom::value);
              return;
            }
            // For systemd: RELOADING=1, then READY=1 once the reloader answers.
            notifier.reloading();
            std::string outcome;
            self->request(reload_actor, std::chrono::seconds{30}, reload_atom::value)
                .receive(
                    [](std::string&) {},
                    [&](caf::error& err) { outcome = "; reload: " + describe(err); });
            notifier.ready(tree_status(*ctx.registry) + outcome);
            return;
          }
          notifier.stopping(std::string{"stopping: "} + strsignal(sig));
          if (++interrupts == 1) {
            log->info("{}: stopping the tree (again to force)", strsignal(sig));
            self->send_exit(*root, caf::exit_reason::user_shutdown);
          } else {
            log->warn("{}: forcing the stop", strsignal(sig));
            self->send_exit(*root, caf::exit_reason::kill);
          }
        },
        caf::after(std::chrono::milliseconds(ready_logged ? 1000 : 5)) >>
            [&] {
              if (!ready_logged && root_diag &&
                  root_diag->state() == child_state::running) {
                ready_logged = true;
                auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count() /
                          1000.0;
                log->info("tree running: {} children, started in {:.1f} ms",
                          ctx.registry->size() - 1, ms);
                notifier.ready(tree_status(*ctx.registry));
              }
            });
  }
  notifier.stopping(code == exit_ok ? "stopping"
                                    : "stopping: the root supervisor gave up");
  // Registry entries and self-arming timers would keep the system alive.
  if (watchdog)
    self_destruct(sys, watchdog);
  sys.registry().erase(reloader_name);
  sys.registry().erase(bus_name);
  self->send_exit(reload_actor, caf::exit_reason::kill);
  self_destruct(sys, control);
  self_destruct(sys, bus);
  self_destruct(sys, ticker);
  log->info("stopped (exit code {})", code);
  spdlog::shutdown();
  return code;
}

} // namespace warden
