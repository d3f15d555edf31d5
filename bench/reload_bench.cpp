// Suite `reload`: load and validate a 10 k-child config, start it, then
// reload it with one child's params changed. Prints the time to load and
// validate, to apply the reload (diff + supervisors + the child taking its
// params), the total of a reload (the file read and validated again, then
// applied), and proof that exactly one child was touched.
//
//   reload_bench [children]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/cli/reload_diff.hpp"
#include "warden/config/load.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::atomic<int> params_offers{0};

/// Takes new params live and counts the offers.
class tunable : public warden::service {
public:
  using service::service;

  bool on_params(const nlohmann::json&) override {
    ++params_offers;
    return true;
  }

  caf::behavior make_service_behavior() override {
    return {[](int x) { return x; }};
  }
};

std::string config_text(int n, int changed_index, int value) {
  std::string text =
      "program = \"bench\";\nsupervisor = {\n  intensity = 5; period_s = 10;\n"
      "  children = (\n";
  for (int i = 0; i < n; ++i) {
    text += "    { name = \"w" + std::to_string(i) +
            "\"; type = \"tunable\"; params = { n = " +
            std::to_string(i == changed_index ? value : 0) + "; }; }";
    text += i + 1 < n ? ",\n" : "\n";
  }
  text += "  );\n};\n";
  return text;
}

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

void print(const char* name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name, value, unit);
  std::fflush(stdout);
}

struct result {
  double load_ms, start_ms, apply_ms, total_ms;
  int touched;
};

result run_once(int n) {
  warden::service_types types;
  types.add<tunable>("tunable");
  warden::load_options opts;
  opts.types = &types;
  auto before_text = config_text(n, -1, 0);
  auto t0 = clock_type::now();
  auto before = warden::load_text(before_text, "bench.cfg", opts);
  auto load_ms = ms_since(t0);
  if (!before.ok()) {
    std::fprintf(stderr, "%s", warden::to_string(before.errors).c_str());
    std::exit(1);
  }
  warden::runtime_options rt;
  rt.threads = 2;
  warden::system_config cfg{rt};
  caf::actor_system sys{cfg};
  warden::supervisor_context ctx;
  ctx.log = std::make_shared<spdlog::logger>(
      "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  ctx.log->set_level(spdlog::level::off);
  auto t1 = clock_type::now();
  auto root =
      *warden::spawn_supervisor(sys, "root", before.config->config.supervisor, ctx);
  auto root_diag = ctx.registry->find("root");
  while (root_diag->state() != warden::child_state::running)
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  auto start_ms = ms_since(t1);
  std::map<std::string, caf::actor> instances;
  for (int i = 0; i < n; ++i) {
    auto path = "root/w" + std::to_string(i);
    instances[path] = ctx.registry->whereis(path);
  }
  // The reload: as the runtime does it on SIGHUP.
  params_offers = 0;
  auto after_text = config_text(n, n / 2, 42);
  caf::scoped_actor self{sys};
  auto t2 = clock_type::now();
  auto after = warden::load_text(after_text, "bench.cfg", opts);
  auto t3 = clock_type::now();
  auto diff = warden::diff_configs(before.config->config, after.config->config);
  self->request(root, caf::infinite, warden::reload_atom::value,
                warden::make_reload_plan(after.config->config, diff))
      .receive([](caf::ok_atom) {},
               [](caf::error& err) {
                 std::fprintf(stderr, "%s\n", warden::describe(err).c_str());
               });
  while (params_offers.load() == 0)
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  auto total_ms = ms_since(t2);
  auto apply_ms = ms_since(t3);
  // Touched: params offered, or a different instance than before.
  int touched = params_offers.load();
  for (auto& [path, actor] : instances)
    if (ctx.registry->whereis(path) != actor)
      ++touched;
  self->monitor(root);
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
  return {load_ms, start_ms, apply_ms, total_ms, touched};
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[(xs.size() - 1) / 2];
}

} // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  std::vector<double> load, start, apply, total;
  int touched_max = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = run_once(n);
    load.push_back(r.load_ms);
    start.push_back(r.start_ms);
    apply.push_back(r.apply_ms);
    total.push_back(r.total_ms);
    touched_max = std::max(touched_max, r.touched);
  }
  print("reload_load_10k_ms", median(load), "ms");
  print("reload_start_10k_ms", median(start), "ms");
  // apply: diff + the supervisors applying it + the child taking its
  // params; total: reading, parsing and validating the file as well.
  print("reload_apply_10k_ms", median(apply), "ms");
  print("reload_total_10k_ms", median(total), "ms");
  print("reload_children_touched", touched_max, "children");
  return 0;
}
