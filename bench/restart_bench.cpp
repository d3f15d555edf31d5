// Suite `restart`: warden's side of ../shared/peers/otp/otp_sup_bench.erl,
// with the same shapes. Prints `BENCH <name> <value> <unit>` lines, each the
// median of several runs; bench/run pairs them with the OTP figures.
//
//   restart_bench [quick|full] [bench-prefix...]
//
// restart.cC   one_for_one, 1000 permanent children, C crashers each owning
//              1000/C children: t0, kill a child, wait for the restarted
//              child's `up` (sent from its on_start), call it, t1.
// restart.cold the same with a fresh supervisor every 200 cycles.
// restart.log  restart.c1 with per-restart logging to a file (info level).
// spawn.*      start M children (a spec of M children; time until the
//              supervisor reports ready), bytes of RSS per child, then the
//              ordered shutdown (right to left, one at a time).
// msg.*        1 M ping-pong round trips between two supervised services
//              and between two bare CAF actors.
// escalation.nN  crash one of N children past intensity 3: time until the
//              root's exit reaches its monitor (includes stopping N-1).

#include <algorithm>
#include <cmath>
#include <thread>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <malloc.h>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

using up_atom = caf::atom_constant<caf::atom("b_up")>;
using ping_atom = caf::atom_constant<caf::atom("b_ping")>;
using pong_atom = caf::atom_constant<caf::atom("b_pong")>;
using go_atom = caf::atom_constant<caf::atom("b_go")>;
using setup_atom = caf::atom_constant<caf::atom("b_setup")>;
using ready_atom = caf::atom_constant<caf::atom("b_ready")>;
using done_atom = caf::atom_constant<caf::atom("b_done")>;

constexpr int runs = 3;

// -- children ----------------------------------------------------------------

/// The peer's gen_server worker: announces itself and answers ping.
class worker : public warden::service {
public:
  worker(caf::actor_config& cfg, warden::service_init init, int idx, caf::actor notify)
    : service(cfg, std::move(init))
    , idx_(idx)
    , notify_(std::move(notify)) {
    // nop
  }

  void on_start() override {
    if (notify_)
      send(notify_, up_atom::value, idx_, caf::actor_cast<caf::actor>(this));
  }

  caf::behavior make_service_behavior() override {
    return {[](ping_atom) { return pong_atom::value; }};
  }

private:
  int idx_;
  caf::actor notify_;
};

struct crasher_state {
  std::map<int, caf::actor> kids;
  std::vector<int> order;
  size_t quota = 0;
  size_t done = 0;
  size_t ups = 0;
  bool running = false;
  int current = -1;
  clock_type::time_point t0;
  std::vector<int64_t> lats;
};

/// Kills its children one at a time and times kill → restarted → answered.
caf::behavior crasher(caf::stateful_actor<crasher_state>* self, caf::actor driver) {
  auto next = [self, driver] {
    auto& st = self->state;
    if (st.done == st.quota) {
      self->send(driver, done_atom::value, st.lats);
      self->quit();
      return;
    }
    st.current = st.order[st.done % st.order.size()];
    st.t0 = clock_type::now();
    self->send_exit(st.kids[st.current], caf::exit_reason::kill);
  };
  return {
      [self](setup_atom, std::vector<int> order, size_t quota) {
        self->state.order = std::move(order);
        self->state.quota = quota;
        self->state.lats.reserve(quota);
      },
      [self, driver, next](up_atom, int idx, caf::actor child) {
        auto& st = self->state;
        st.kids[idx] = child;
        if (!st.running) {
          if (++st.ups == st.order.size())
            self->send(driver, ready_atom::value);
          return;
        }
        if (idx != st.current)
          return;
        self->request(child, caf::infinite, ping_atom::value)
            .then(
                [self, next](pong_atom) {
                  auto& st = self->state;
                  st.lats.push_back((clock_type::now() - st.t0).count());
                  ++st.done;
                  next();
                },
                [self](caf::error&) { self->quit(); });
      },
      [self, next](go_atom) {
        self->state.running = true;
        next();
      },
  };
}

// -- helpers -----------------------------------------------------------------

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[(xs.size() - 1) / 2];
}

/// Nearest-rank percentile of nanosecond samples, in µs (as the peer).
double pct_us(std::vector<int64_t>& xs, double p) {
  std::sort(xs.begin(), xs.end());
  auto rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(p * xs.size())));
  return xs[rank - 1] / 1000.0;
}

double seconds(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Heap bytes in use (malloc's own count: actors, slots, registry, maps).
long heap_bytes() {
  return static_cast<long>(mallinfo2().uordblks);
}

void print(const std::string& name, double value, const std::string& unit) {
  std::printf("BENCH %s %.6g %s\n", name.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

/// Runs `fn` `runs` times and prints the median of each metric it returns.
void repeat(const std::string& name,
            const std::function<std::vector<std::pair<std::string, double>>()>& fn,
            const std::map<std::string, std::string>& units) {
  std::map<std::string, std::vector<double>> values;
  std::vector<std::string> order;
  for (int i = 0; i < runs; ++i)
    for (auto& [metric, value] : fn()) {
      if (values.count(metric) == 0)
        order.push_back(metric);
      values[metric].push_back(value);
    }
  for (auto& metric : order)
    print(name + "_" + metric, median(values[metric]), units.at(metric));
}

/// 2 workers as the peer's `+S 2`; WARDEN_BENCH_POLICY picks the policy.
warden::runtime_options options() {
  warden::runtime_options opts;
  opts.threads = 2;
  if (auto policy = std::getenv("WARDEN_BENCH_POLICY"))
    opts.policy = policy;
  return opts;
}

struct bench_system {
  explicit bench_system(std::shared_ptr<spdlog::logger> log = nullptr)
    : cfg(options())
    , sys(cfg)
    , self(sys) {
    if (!log) {
      log = std::make_shared<spdlog::logger>(
          "bench-null", std::make_shared<spdlog::sinks::null_sink_mt>());
      log->set_level(spdlog::level::off);
    }
    ctx.log = std::move(log);
  }

  warden::system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  warden::supervisor_context ctx;
};

caf::actor start_root(bench_system& b, warden::supervisor_spec spec) {
  auto root = warden::spawn_supervisor(b.sys, "root", std::move(spec), b.ctx);
  if (!root) {
    std::fprintf(stderr, "cannot start: %s\n", warden::describe(root.error()).c_str());
    std::exit(1);
  }
  return *root;
}

void stop_root(bench_system& b, const caf::actor& root) {
  b.self->monitor(root);
  b.self->send_exit(root, caf::exit_reason::user_shutdown);
  b.self->receive([](caf::down_msg&) {});
}

/// One restart run: N children, K cycles over C crashers. Returns the
/// latencies (ns) and the wall time.
std::pair<std::vector<int64_t>, clock_type::duration>
restart_cycles(bench_system& b, int n, size_t k, int c) {
  std::vector<caf::actor> crashers;
  for (int j = 0; j < c; ++j)
    crashers.push_back(b.sys.spawn(crasher, caf::actor_cast<caf::actor>(b.self)));
  for (int j = 0; j < c; ++j) {
    std::vector<int> idxs;
    for (int i = 0; i < n; ++i)
      if (i % c == j)
        idxs.push_back(i);
    size_t quota = k / c + (static_cast<size_t>(j) < k % c ? 1 : 0);
    b.self->send(crashers[j], setup_atom::value, idxs, quota);
  }
  warden::supervisor_spec spec;
  spec.flags.intensity = 1000000;
  spec.flags.period = 1s;
  for (int i = 0; i < n; ++i)
    spec.children.push_back(warden::worker(
        "w" + std::to_string(i), warden::make_factory<worker>(i, crashers[i % c])));
  auto root = start_root(b, std::move(spec));
  for (int j = 0; j < c; ++j)
    b.self->receive([](ready_atom) {});
  auto t0 = clock_type::now();
  for (auto& cr : crashers)
    b.self->send(cr, go_atom::value);
  std::vector<int64_t> lats;
  for (int j = 0; j < c; ++j)
    b.self->receive([&](done_atom, std::vector<int64_t>& xs) {
      lats.insert(lats.end(), xs.begin(), xs.end());
    });
  auto wall = clock_type::now() - t0;
  stop_root(b, root);
  return {std::move(lats), wall};
}

std::vector<std::pair<std::string, double>>
restart_bench(int n, size_t k, int c, std::shared_ptr<spdlog::logger> log) {
  bench_system b{std::move(log)};
  auto [lats, wall] = restart_cycles(b, n, k, c);
  return {{"rate", lats.size() / seconds(wall)},
          {"p50_us", pct_us(lats, 0.50)},
          {"p99_us", pct_us(lats, 0.99)}};
}

std::vector<std::pair<std::string, double>> restart_cold_bench(int n, int batches,
                                                               size_t batch_k) {
  bench_system b;
  std::vector<int64_t> all;
  clock_type::duration wall{0};
  for (int i = 0; i < batches; ++i) {
    auto [lats, w] = restart_cycles(b, n, batch_k, 1);
    all.insert(all.end(), lats.begin(), lats.end());
    wall += w;
  }
  return {{"rate", all.size() / seconds(wall)},
          {"p50_us", pct_us(all, 0.50)},
          {"p99_us", pct_us(all, 0.99)}};
}

std::vector<std::pair<std::string, double>> spawn_bench(int m) {
  bench_system b;
  auto heap0 = heap_bytes();
  warden::supervisor_spec spec;
  spec.flags.intensity = 1;
  spec.flags.period = 5s;
  auto factory = warden::make_factory<worker>(0, caf::actor{});
  spec.children.reserve(m);
  for (int i = 0; i < m; ++i)
    spec.children.push_back(warden::worker("w" + std::to_string(i), factory));
  auto t0 = clock_type::now();
  auto root = start_root(b, std::move(spec));
  auto diag = b.ctx.registry->find("root");
  // Ready once every child reported ready; poll the diagnostics block.
  while (diag->state() != warden::child_state::running)
    std::this_thread::sleep_for(100us);
  auto t1 = clock_type::now();
  // Bytes in use on the heap now (the spec has been consumed and freed)
  // minus before the spec was built: what the running tree holds per child.
  auto heap1 = heap_bytes();
  stop_root(b, root);
  auto t2 = clock_type::now();
  return {{"start_s", seconds(t1 - t0)},
          {"start_rate", m / seconds(t1 - t0)},
          {"bytes_per_child", static_cast<double>(heap1 - heap0) / m},
          {"shutdown_s", seconds(t2 - t1)}};
}

/// The floor: M bare CAF actors spawned and started (each says hello), no
/// supervision at all.
double bare_spawn_bench(int m) {
  bench_system b;
  auto me = caf::actor_cast<caf::actor>(b.self);
  std::vector<caf::actor> actors;
  actors.reserve(m);
  auto t0 = clock_type::now();
  for (int i = 0; i < m; ++i)
    actors.push_back(b.sys.spawn([me](caf::event_based_actor* self) -> caf::behavior {
      self->send(me, up_atom::value);
      return {[](ping_atom) { return pong_atom::value; }};
    }));
  for (int i = 0; i < m; ++i)
    b.self->receive([](up_atom) {});
  auto elapsed = seconds(clock_type::now() - t0);
  for (auto& a : actors)
    b.self->send_exit(a, caf::exit_reason::kill);
  return elapsed;
}

// -- ping-pong ---------------------------------------------------------------

caf::behavior bare_ponger(caf::event_based_actor*) {
  return {[](ping_atom) { return pong_atom::value; }};
}

/// Sends `n` pings one after the other, then tells `driver`.
void pinger_loop(caf::event_based_actor* self, caf::actor ponger, int left,
                 caf::actor driver) {
  if (left == 0) {
    self->send(driver, done_atom::value);
    return;
  }
  self->request(ponger, caf::infinite, ping_atom::value).then([=](pong_atom) {
    pinger_loop(self, ponger, left - 1, driver);
  });
}

class supervised_pinger : public warden::service {
public:
  supervised_pinger(caf::actor_config& cfg, warden::service_init init, caf::actor driver)
    : service(cfg, std::move(init))
    , driver_(std::move(driver)) {
    // nop
  }

  caf::behavior make_service_behavior() override {
    return {[this](go_atom, caf::actor ponger, int n) {
      pinger_loop(this, ponger, n, driver_);
    }};
  }

private:
  caf::actor driver_;
};

double pingpong(bool supervised, int n) {
  bench_system b;
  caf::actor pinger, ponger, root;
  auto driver = caf::actor_cast<caf::actor>(b.self);
  if (supervised) {
    warden::supervisor_spec spec;
    spec.children.push_back(
        warden::worker("ponger", warden::make_factory<worker>(0, caf::actor{})));
    spec.children.push_back(
        warden::worker("pinger", warden::make_factory<supervised_pinger>(driver)));
    root = start_root(b, std::move(spec));
    while (!(pinger = b.ctx.registry->whereis("root/pinger")) ||
           !(ponger = b.ctx.registry->whereis("root/ponger")))
      std::this_thread::sleep_for(100us);
  } else {
    ponger = b.sys.spawn(bare_ponger);
    pinger = b.sys.spawn([driver](caf::event_based_actor* self) -> caf::behavior {
      return {[=](go_atom, caf::actor p, int k) { pinger_loop(self, p, k, driver); }};
    });
  }
  auto t0 = clock_type::now();
  b.self->send(pinger, go_atom::value, ponger, n);
  b.self->receive([](done_atom) {});
  auto rate = n / seconds(clock_type::now() - t0);
  if (supervised) {
    stop_root(b, root);
  } else {
    b.self->send_exit(pinger, caf::exit_reason::kill);
    b.self->send_exit(ponger, caf::exit_reason::kill);
  }
  return rate;
}

// -- escalation --------------------------------------------------------------

std::vector<std::pair<std::string, double>> escalation_bench(int n, int iters) {
  bench_system b;
  std::vector<int64_t> lats;
  auto me = caf::actor_cast<caf::actor>(b.self);
  for (int it = 0; it < iters; ++it) {
    warden::supervisor_spec spec;
    spec.flags.intensity = 3;
    spec.flags.period = 5s;
    for (int i = 0; i < n; ++i)
      spec.children.push_back(
          warden::worker("w" + std::to_string(i), warden::make_factory<worker>(i, me)));
    auto root = start_root(b, std::move(spec));
    b.self->monitor(root);
    caf::actor victim;
    for (int i = 0; i < n; ++i)
      b.self->receive([&](up_atom, int idx, caf::actor a) {
        if (idx == 0)
          victim = a;
      });
    for (int r = 0; r < 3; ++r) {
      b.self->send_exit(victim, caf::exit_reason::kill);
      b.self->receive([&](up_atom, int, caf::actor a) { victim = a; });
    }
    auto t0 = clock_type::now();
    b.self->send_exit(victim, caf::exit_reason::kill);
    b.self->receive([](caf::down_msg&) {});
    lats.push_back((clock_type::now() - t0).count());
  }
  return {{"p50_us", pct_us(lats, 0.50)}, {"p99_us", pct_us(lats, 0.99)}};
}

bool selected(const std::vector<std::string>& prefixes, const std::string& name) {
  if (prefixes.empty())
    return true;
  for (auto& p : prefixes)
    if (name.compare(0, p.size(), p) == 0)
      return true;
  return false;
}

} // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<std::string> prefixes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "quick")
      quick = true;
    else if (arg != "full")
      prefixes.push_back(arg);
  }
  const int n = quick ? 100 : 1000;
  const size_t k = quick ? 5000 : 100000;
  const int spawn_m = quick ? 10000 : 100000;
  const std::map<std::string, std::string> restart_units = {
      {"rate", "restarts/s"}, {"p50_us", "us"}, {"p99_us", "us"}};
  if (selected(prefixes, "restart.c1"))
    repeat(
        "restart_c1", [&] { return restart_bench(n, k, 1, nullptr); }, restart_units);
  if (selected(prefixes, "restart.c8"))
    repeat(
        "restart_c8", [&] { return restart_bench(n, k, 8, nullptr); }, restart_units);
  if (selected(prefixes, "restart.cold"))
    repeat(
        "restart_cold", [&] { return restart_cold_bench(n, quick ? 10 : 100, 200); },
        restart_units);
  if (selected(prefixes, "restart.log")) {
    auto path = std::string{"/tmp/warden-bench-restart.log"};
    repeat(
        "restart_c1_logging",
        [&] {
          auto log = std::make_shared<spdlog::logger>(
              "bench-file",
              std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, true));
          log->set_level(spdlog::level::info);
          return restart_bench(n, k, 1, log);
        },
        restart_units);
    std::remove(path.c_str());
  }
  const std::map<std::string, std::string> spawn_units = {{"start_s", "s"},
                                                          {"start_rate", "children/s"},
                                                          {"bytes_per_child", "bytes"},
                                                          {"shutdown_s", "s"}};
  if (selected(prefixes, "spawn.100k"))
    repeat(
        "spawn_100k", [&] { return spawn_bench(spawn_m); }, spawn_units);
  if (selected(prefixes, "spawn.bare")) {
    std::vector<double> xs;
    for (int i = 0; i < runs; ++i)
      xs.push_back(bare_spawn_bench(spawn_m));
    print("spawn_100k_bare_caf_s", median(xs), "s");
  }
  if (selected(prefixes, "spawn.1m") && !quick) {
    auto r = spawn_bench(1000000); // once: it takes a while
    for (auto& [metric, value] : r)
      print("spawn_1m_" + metric, value, spawn_units.at(metric));
  }
  const int trips = quick ? 100000 : 1000000;
  if (selected(prefixes, "msg.pingpong")) {
    // Interleaved, so that both see the same machine.
    std::vector<double> bare, supervised;
    for (int i = 0; i < runs; ++i) {
      bare.push_back(pingpong(false, trips));
      supervised.push_back(pingpong(true, trips));
    }
    print("pingpong_bare_caf", median(bare), "roundtrips/s");
    print("pingpong_supervised", median(supervised), "roundtrips/s");
  }
  const std::map<std::string, std::string> esc_units = {{"p50_us", "us"},
                                                        {"p99_us", "us"}};
  if (selected(prefixes, "escalation.n1"))
    repeat(
        "escalation_n1", [&] { return escalation_bench(1, quick ? 200 : 2000); },
        esc_units);
  if (selected(prefixes, "escalation.n1000"))
    repeat(
        "escalation_n1000", [&] { return escalation_bench(1000, quick ? 10 : 100); },
        esc_units);
  return 0;
}
