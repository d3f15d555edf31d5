// Suite `control`: the control plane's round trips and its biggest answer.
//   control_bench [quick] WARDEN_BINARY
// - `status` through CAF's middleman on loopback: a CAF client in a second
//   actor system sends control_request and waits for the reply (p50/p99);
// - `status` through the `warden` client (a process per call, as an
//   operator runs it: process start, connect, request, print);
// - `tree --json` of a 100 k-child tree through the middleman: time and
//   bytes of the answer.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <spawn.h>
#include <thread>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/system_config.hpp"
#include "warden/control/control.hpp"
#include "warden/supervisor/supervisor.hpp"

extern char** environ;

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

void print(const char* name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name, value, unit);
  std::fflush(stdout);
}

double pct(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  auto rank = std::max<size_t>(1, static_cast<size_t>(p * xs.size() + 0.999999));
  return xs[std::min(rank, xs.size()) - 1];
}

class idle : public warden::service {
public:
  using service::service;
  caf::behavior make_service_behavior() override {
    return {[](int x) { return x; }};
  }
};

/// A tree of `n` idle children with a published control actor.
struct server {
  warden::system_config cfg;
  caf::actor_system sys;
  warden::supervisor_context ctx;
  caf::actor root;
  caf::actor control;
  uint16_t port = 0;

  static warden::runtime_options options() {
    warden::runtime_options rt;
    rt.threads = 2;
    return rt;
  }

  static warden::system_config& with_types(warden::system_config& c) {
    warden::add_control_types(c, true, false);
    return c;
  }

  explicit server(int n)
    : cfg(options())
    , sys(with_types(cfg)) {
    ctx.log = std::make_shared<spdlog::logger>(
        "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    ctx.registry = std::make_shared<warden::path_registry>();
    ctx.events = std::make_shared<warden::lifecycle_bus>();
    warden::supervisor_spec spec;
    spec.flags.intensity = 10;
    for (int i = 0; i < n; ++i)
      spec.children.push_back(
          warden::worker("c" + std::to_string(i), warden::make_factory<idle>()));
    root = *warden::spawn_supervisor(sys, "root", spec, ctx);
    auto diag = ctx.registry->find("root");
    while (diag->state() != warden::child_state::running)
      std::this_thread::sleep_for(1ms);
    warden::control_context cc;
    cc.registry = ctx.registry;
    cc.events = ctx.events;
    control = warden::spawn_control(sys, cc);
    port = *warden::publish_control(sys, control, "127.0.0.1", 0);
  }

  ~server() {
    caf::scoped_actor self{sys};
    for (auto& x : {control, root}) {
      self->monitor(x);
      self->send_exit(x, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
    }
  }
};

/// A CAF program on the other end of the loopback connection.
struct client {
  warden::system_config cfg;
  caf::actor_system sys;
  caf::actor remote;

  explicit client(uint16_t port)
    : cfg(server::options())
    , sys(server::with_types(cfg)) {
    remote = *sys.middleman().remote_actor("127.0.0.1", port);
  }

  /// Milliseconds for one request/reply; the reply's size in `bytes`.
  double ask(const std::string& command, size_t* bytes = nullptr) {
    caf::scoped_actor self{sys};
    auto t0 = steady_clock::now();
    self->request(remote, 60s, warden::control_request{command, "", {}, "", ""})
        .receive(
            [&](warden::control_reply& r) {
              if (bytes != nullptr)
                *bytes = r.result.size();
            },
            [](caf::error&) {});
    return duration<double, std::milli>(steady_clock::now() - t0).count();
  }
};

double run_client_process(const std::string& binary, uint16_t port) {
  std::string connect = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> args{binary,  "status", "--connect",
                                connect, "-c",     "/nonexistent/warden.cfg"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  auto t0 = steady_clock::now();
  pid_t pid = 0;
  posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  int status = 0;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
  return duration<double, std::milli>(steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string{argv[1]} == "quick";
  std::string binary = quick ? (argc > 2 ? argv[2] : "") : (argc > 1 ? argv[1] : "");
  {
    server srv{10};
    client cl{srv.port};
    for (int i = 0; i < 100; ++i) // warm up
      cl.ask("status");
    std::vector<double> xs;
    for (int i = 0; i < (quick ? 1000 : 5000); ++i)
      xs.push_back(cl.ask("status"));
    print("control_status_middleman_p50_ms", pct(xs, 0.5), "ms");
    print("control_status_middleman_p99_ms", pct(xs, 0.99), "ms");
    if (!binary.empty()) {
      std::vector<double> ys;
      for (int i = 0; i < (quick ? 10 : 50); ++i)
        ys.push_back(run_client_process(binary, srv.port));
      print("control_status_client_p50_ms", pct(ys, 0.5), "ms");
      print("control_status_client_p99_ms", pct(ys, 0.99), "ms");
    }
  }
  {
    server srv{quick ? 10000 : 100000};
    client cl{srv.port};
    std::vector<double> xs;
    size_t bytes = 0;
    for (int i = 0; i < 3; ++i)
      xs.push_back(cl.ask("tree", &bytes));
    print("control_tree_json_100k_s", pct(xs, 0.5) / 1000.0, "s");
    print("control_tree_json_100k_bytes", static_cast<double>(bytes), "bytes");
  }
  return 0;
}
