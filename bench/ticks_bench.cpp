// Suite `ticks`: 10 k schedules across 1 k supervised services, `every`
// 1 s to 10 s, for 60 s (`quick`: 10 s), through the real ticker (one
// deadline heap, one timer). Lateness is measured where it matters: when
// the service handles the tick (its receipt time minus the due time). Then
// the same 10 k schedules at a 1 h interval, to measure CPU while idle.
//
//   ticks_bench [quick]

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/cli/ticker.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using namespace std::chrono_literals;

std::mutex samples_mtx;
std::vector<int64_t> samples;      // lateness at the service, µs
std::vector<int64_t> fire_samples; // lateness when the ticker sent it, µs

class ticked : public warden::service {
public:
  using service::service;

  void on_tick(const warden::tick& t) override {
    using namespace std::chrono;
    auto now =
        duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    std::lock_guard<std::mutex> guard{samples_mtx};
    samples.push_back(now - t.due_us);
    fire_samples.push_back(t.lateness_us);
  }

  caf::behavior make_service_behavior() override {
    return {[](int x) { return x; }};
  }
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void print(const char* name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name, value, unit);
  std::fflush(stdout);
}

/// Runs 1 k children with 10 schedules each for `duration`; returns CPU %.
double run(std::chrono::seconds duration, bool idle) {
  warden::runtime_options rt;
  rt.threads = 2;
  // WARDEN_BENCH_POLICY=stealing|sharing: compare CAF's scheduler policies.
  if (auto policy = std::getenv("WARDEN_BENCH_POLICY"))
    rt.policy = policy;
  warden::system_config cfg{rt};
  caf::actor_system sys{cfg};
  warden::supervisor_context ctx;
  ctx.log = std::make_shared<spdlog::logger>(
      "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  ctx.log->set_level(spdlog::level::off);
  ctx.registry = std::make_shared<warden::path_registry>();
  ctx.events = std::make_shared<warden::lifecycle_bus>();
  warden::supervisor_spec spec;
  warden::schedule_set set;
  for (int c = 0; c < 1000; ++c) {
    auto name = "c" + std::to_string(c);
    spec.children.push_back(warden::worker(name, warden::make_factory<ticked>()));
    auto& schedules = set.by_child["root/" + name];
    for (int s = 0; s < 10; ++s) {
      warden::schedule_config x;
      x.tick = "t" + std::to_string(s);
      // 1 s to 10 s, spread so that fires do not all coincide.
      x.every = idle ? std::chrono::milliseconds{3600000}
                     : std::chrono::milliseconds{1000 + ((c * 10 + s) * 997) % 9001};
      schedules.push_back(x);
    }
  }
  auto ticker = warden::spawn_ticker(sys, set, ctx.registry, ctx.events, "");
  auto root = *warden::spawn_supervisor(sys, "root", spec, ctx);
  auto diag = ctx.registry->find("root");
  while (diag->state() != warden::child_state::running)
    std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(500ms); // let the start settle before measuring CPU
  {
    std::lock_guard<std::mutex> guard{samples_mtx};
    samples.clear();
    fire_samples.clear();
  }
  auto cpu0 = cpu_seconds();
  std::this_thread::sleep_for(duration);
  auto cpu =
      (cpu_seconds() - cpu0) / std::chrono::duration<double>(duration).count() * 100;
  caf::scoped_actor self{sys};
  self->monitor(ticker);
  self->send_exit(ticker, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
  self->monitor(root);
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
  return cpu;
}

double pct_ms(std::vector<int64_t>& xs, double p) {
  std::sort(xs.begin(), xs.end());
  auto rank = std::max<size_t>(1, static_cast<size_t>(p * xs.size() + 0.999999));
  return xs[std::min(rank, xs.size()) - 1] / 1000.0;
}

} // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string{argv[1]} == "quick";
  auto cpu_busy = run(quick ? 10s : 60s, false);
  std::vector<int64_t> xs;
  std::vector<int64_t> fired;
  {
    std::lock_guard<std::mutex> guard{samples_mtx};
    xs = samples;
    fired = fire_samples;
  }
  if (xs.empty()) {
    std::fprintf(stderr, "no ticks arrived\n");
    return 1;
  }
  print("tick_count", static_cast<double>(xs.size()), "ticks");
  print("tick_lateness_p50_ms", pct_ms(xs, 0.50), "ms");
  print("tick_lateness_p99_ms", pct_ms(xs, 0.99), "ms");
  print("tick_lateness_max_ms", xs.back() / 1000.0, "ms");
  // The ticker's own part of the lateness: from the due time to the send.
  print("tick_send_lateness_p99_ms", pct_ms(fired, 0.99), "ms");
  print("tick_send_lateness_max_ms", fired.back() / 1000.0, "ms");
  print("tick_busy_cpu_pct", cpu_busy, "%");
  print("tick_idle_cpu_pct", run(quick ? 5s : 20s, true), "%");
  return 0;
}
