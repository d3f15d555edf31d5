#include "runtime.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <set>
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
#include "warden/services/process_groups.hpp"
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

/// After a forced stop killed the OS processes, the tree has this long to
/// finish stopping in order (the gateway closes its outbox on the way out)
/// before the root is killed.
constexpr auto force_grace = std::chrono::seconds{3};

/// While it does, the OS processes are killed again this often: a `process`
/// child that was still starting may have forked meanwhile.
constexpr auto force_sweep = std::chrono::milliseconds{50};

/// After the actor system is gone, how long the process reactor has to reap
/// what is left and log its last lines (before spdlog shuts down).
constexpr auto reap_grace = std::chrono::seconds{2};

/// The children that have not stopped yet, "root/a (stopping)", by path.
std::vector<std::string> stragglers_of(const path_registry& registry) {
  std::vector<std::string> result;
  for (auto& diag : registry.subtree("root")) {
    auto st = diag->state();
    bool alive = st == child_state::starting || st == child_state::running ||
                 st == child_state::stopping || st == child_state::backoff;
    if (alive && diag->path() != "root")
      result.push_back(diag->path() + " (" + to_string(st) + ")");
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::string joined(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ", ") + x;
  return result.empty() ? std::string{"none"} : result;
}

/// Hands the signals that the signal thread takes to the main loop while it
/// runs. The thread cannot be woken from sigwait, so it is detached and
/// outlives the actor system: from `close` on, what it takes is dropped (a
/// signal after the tree stopped changes nothing).
class signal_relay {
public:
  void open(caf::actor target) {
    std::lock_guard<std::mutex> guard{mtx_};
    target_ = std::move(target);
  }

  void close() {
    std::lock_guard<std::mutex> guard{mtx_};
    target_ = nullptr;
  }

  void deliver(int sig) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (target_)
      caf::anon_send(target_, signal_atom::value, sig);
  }

private:
  std::mutex mtx_;
  caf::actor target_;
};

/// The signal thread: takes SIGINT, SIGTERM and SIGHUP (blocked in every
/// other thread) and hands them to `relay`.
void start_signal_thread(sigset_t signals, std::shared_ptr<signal_relay> relay) {
  std::thread{[signals, relay] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) == 0)
        relay->deliver(sig);
    }
  }}.detach();
}

/// A forced stop in progress: the OS processes are dead, the tree has until
/// `deadline` to finish stopping in order.
struct forced_stop {
  std::chrono::steady_clock::time_point deadline;
  std::set<int32_t> reported; // pids named in the log already
  bool root_killed = false;
};

/// SIGKILL to every OS process still running; logs those not named before.
void kill_processes(forced_stop& force, spdlog::logger& log) {
  for (auto& p : kill_all_processes())
    if (force.reported.insert(p.pid).second)
      log.warn("forced stop: SIGKILL to the process group of {} (pid {})", p.path, p.pid);
}

/// `warden run` from the actor system's start to its end; returns the exit
/// code. Every actor is gone when this returns.
int run_system(loaded_config& loaded, const std::string& path, load_options& opts,
               systemd_notifier& notifier, sigset_t signals, spdlog::logger& log) {
  auto& cfg = loaded.config;
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
    log.error("cannot start the tree: {}", describe(root.error()));
    sys.registry().erase(bus_name);
    self_destruct(sys, bus);
    self_destruct(sys, control);
    self_destruct(sys, ticker);
    return exit_config;
  }
  log.info("{} on {}: running {} ({} threads)", cfg.program, cfg.node, cfg.source,
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
      log.info("control: listening on {}:{}{}", cfg.control.listen, *port,
               tls ? " (TLS)" : "");
    else
      log.error("control: cannot listen on {}:{}: {}", cfg.control.listen,
                cfg.control.port, sys.render(port.error()));
  }
  auto relay = std::make_shared<signal_relay>();
  relay->open(caf::actor_cast<caf::actor>(self));
  start_signal_thread(signals, relay);
  int code = exit_ok;
  int interrupts = 0;
  bool done = false;
  bool ready_logged = false;
  std::optional<forced_stop> force;
  auto root_diag = ctx.registry->find("root");
  // The root is killed (exit_reason::kill skips the orderly stop): a third
  // signal, or the grace after a forced stop ran out.
  auto kill_root = [&](const std::string& why) {
    log.error("{}: killing the tree; not stopped yet: {}", why,
              joined(stragglers_of(*ctx.registry)));
    force->root_killed = true;
    self->send_exit(*root, caf::exit_reason::kill);
  };
  //   running ──signal──▶ stopping in order ──(root down)──▶ exit 0 (3: gave up)
  //   stopping ──signal──▶ forced: SIGKILL to every OS process, the rest
  //     stops in order within force_grace ──(root down)──▶ exit 128+signal
  //   forced ──signal / grace over──▶ the root killed ──(root down)──▶ same
  while (!done) {
    auto now = std::chrono::steady_clock::now();
    auto wait = std::chrono::milliseconds(ready_logged ? 1000 : 5);
    if (force && !force->root_killed)
      wait = std::min<std::chrono::milliseconds>(
          force_sweep, std::max(std::chrono::milliseconds{0},
                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                    force->deadline - now)));
    self->receive(
        [&](caf::down_msg& msg) {
          done = true;
          auto tree_code = exit_code_for(msg.reason, log);
          if (!force)
            code = tree_code;
        },
        [&](signal_atom, int sig) {
          if (sig == SIGHUP) {
            log.info("SIGHUP: reloading the config");
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
          ++interrupts;
          if (interrupts == 1) {
            log.info("{}: stopping the tree (again to force)", strsignal(sig));
            self->send_exit(*root, caf::exit_reason::user_shutdown);
          } else if (interrupts == 2) {
            code = 128 + sig;
            force.emplace();
            force->deadline = std::chrono::steady_clock::now() + force_grace;
            log.warn("{} again: forcing the stop (exit code {}); not stopped yet: {}",
                     strsignal(sig), code, joined(stragglers_of(*ctx.registry)));
            kill_processes(*force, log);
          } else if (!force->root_killed) {
            kill_root(strsignal(sig));
          }
        },
        caf::after(wait) >>
            [&] {
              if (force && !force->root_killed) {
                kill_processes(*force, log);
                if (std::chrono::steady_clock::now() >= force->deadline)
                  kill_root("the tree did not stop within " +
                            std::to_string(force_grace.count()) +
                            " s of the forced stop");
                return;
              }
              if (!ready_logged && root_diag &&
                  root_diag->state() == child_state::running) {
                ready_logged = true;
                auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count() /
                          1000.0;
                log.info("tree running: {} children, started in {:.1f} ms",
                         ctx.registry->size() - 1, ms);
                notifier.ready(tree_status(*ctx.registry));
              }
            });
  }
  relay->close();
  notifier.stopping(code == exit_gave_up ? "stopping: the root supervisor gave up"
                                         : "stopping");
  // Registry entries and self-arming timers would keep the system alive.
  if (watchdog)
    self_destruct(sys, watchdog);
  sys.registry().erase(reloader_name);
  sys.registry().erase(bus_name);
  self->send_exit(reload_actor, caf::exit_reason::kill);
  self_destruct(sys, control);
  self_destruct(sys, bus);
  self_destruct(sys, ticker);
  return code; // ~actor_system waits for every actor
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

  std::string why;
  if (!setup_logging(loaded.config.log, loaded.config.base_dir, &why)) {
    spdlog::error("{}", why);
    return exit_config;
  }
  auto log = spdlog::get("warden");
  auto code = run_system(loaded, path, opts, notifier, signals, *log);
  // Every actor is gone. The process reactor may still reap a program that
  // its actor killed on the way out and log its last lines: it does so now,
  // not after spdlog's shutdown.
  if (!await_processes_gone(reap_grace)) {
    for (auto& p : kill_all_processes())
      log->warn("{} (pid {}) still runs after the tree stopped: SIGKILL to its group",
                p.path, p.pid);
    if (!await_processes_gone(reap_grace))
      log->error("OS processes not reaped {} s after the tree stopped",
                 2 * reap_grace.count());
  }
  log->info("stopped (exit code {})", code);
  spdlog::shutdown();
  return code;
}

} // namespace warden
