// Suite `process`: restart cycles per second of a `process` child running
// /bin/true (permanent, restarted at once: no backoff, an intensity that is
// never reached), against the floor of the same work done by a shell loop
// (fork, exec, wait of /bin/true). A cycle under warden is: the exit seen
// through a pidfd, the group killed and the leader reaped, the exit message,
// the restart decision, a new actor, a new fork and exec with its pipes.
//
//   process_bench [quick]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/error.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/services/process.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

void print(const char* name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name, value, unit);
  std::fflush(stdout);
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

/// Restarts per second of one permanent /bin/true child over `window`.
double warden_rate(std::chrono::milliseconds window, const char* policy = "stealing") {
  warden::runtime_options rt;
  rt.threads = 2;
  rt.policy = policy;
  warden::system_config cfg{rt};
  caf::actor_system sys{cfg};
  warden::supervisor_context ctx;
  warden::supervisor_spec spec;
  spec.flags.intensity = 1000000000;
  spec.flags.period = 1000ms;
  auto child = warden::worker("t",
                              warden::make_process_factory(warden::parse_process_settings(
                                  nlohmann::json{{"command", {"/bin/true"}}})),
                              warden::restart_type::permanent);
  child.type = "process";
  spec.children.push_back(std::move(child));
  auto root = warden::spawn_supervisor(sys, "root", spec, ctx);
  if (!root) {
    std::fprintf(stderr, "cannot start: %s\n", warden::describe(root.error()).c_str());
    std::exit(1);
  }
  warden::diagnostics_ptr diag;
  while (!(diag = ctx.registry->find("root/t")))
    std::this_thread::sleep_for(1ms); // the supervisor adds it in its first turn
  std::this_thread::sleep_for(300ms); // warm up
  auto r0 = diag->restarts();
  auto t0 = clock_type::now();
  std::this_thread::sleep_for(window);
  auto r1 = diag->restarts();
  auto t1 = clock_type::now();
  caf::scoped_actor self{sys};
  self->monitor(*root);
  self->send_exit(*root, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
  return (r1 - r0) / std::chrono::duration<double>(t1 - t0).count();
}

/// The floor: a shell loop doing fork, exec, wait of /bin/true, per second.
double shell_rate(int n) {
  auto script =
      "i=0; while [ $i -lt " + std::to_string(n) + " ]; do /bin/true; i=$((i+1)); done";
  auto t0 = clock_type::now();
  auto pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto t1 = clock_type::now();
  return n / std::chrono::duration<double>(t1 - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string{argv[1]} == "quick";
  // Per-restart log lines are not what is measured here.
  auto sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  for (auto name : {"supervisor", "services"}) {
    auto log = std::make_shared<spdlog::logger>(name, sink);
    log->set_level(spdlog::level::warn);
    spdlog::register_logger(log);
  }
  auto window = quick ? 1000ms : 3000ms;
  int loops = quick ? 500 : 2000;
  std::vector<double> mine, sharing, floor;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(warden_rate(window));
    sharing.push_back(warden_rate(window, "sharing"));
    floor.push_back(shell_rate(loops));
    std::fprintf(stderr,
                 "run %d: warden %.0f/s (sharing scheduler %.0f/s), shell loop %.0f/s\n",
                 i + 1, mine.back(), sharing.back(), floor.back());
  }
  print("process_restart_per_s", median(mine), "/s");
  print("process_restart_sharing_per_s", median(sharing), "/s");
  print("shell_loop_per_s", median(floor), "/s");
  return 0;
}
