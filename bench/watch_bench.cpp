// Suite `watch`: 10 k files dropped into a watched directory, and the time
// from the first drop until the 10 k-th `File.Detected` message reached a
// subscriber on the bus: inotify → reader thread → dir_watcher → bus →
// subscriber. Three ways in:
// - `files`: written and closed one after the other by this process (the
//   figure of the issue; the writing itself is the floor, shown as `_write_s`);
// - `moved`: made beforehand next to the directory, then renamed in (the
//   drop is fast: this shows what the watcher itself can take);
// - `scan`: already there when the watcher starts, found by a `scan` tick
//   (warden coming back after downtime).
// A fresh tree and directory per run; the median of 3 runs.
//
//   watch_bench [quick|full] [DIR]     (quick: 2 k files; DIR: where to make
//                                       the directories, default /tmp)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/identity.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/messaging/bus.hpp"
#include "warden/services/dir_watcher.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// Counts File.Detected messages; wakes the bench at `target`.
struct counter_state {
  std::mutex mtx;
  std::condition_variable cv;
  size_t count = 0;
  size_t target = 0;
  clock_type::time_point done;
};

class counter : public warden::service {
public:
  counter(caf::actor_config& cfg, warden::service_init init,
          std::shared_ptr<counter_state> st)
    : service(cfg, std::move(init))
    , st_(std::move(st)) {}

  void on_start() override {
    subscribe("File.Detected.#");
  }

  void on_message(const warden::bus_message&) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (++st_->count == st_->target) {
      st_->done = clock_type::now();
      st_->cv.notify_all();
    }
  }

  caf::behavior make_service_behavior() override {
    return {[](caf::get_atom) {}};
  }

private:
  std::shared_ptr<counter_state> st_;
};

void print(const char* name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name, value, unit);
  std::fflush(stdout);
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

struct result {
  double total_s = 0; // first write → last message
  double write_s = 0; // first write → last close
  double tail_ms = 0; // last close → last message
  bool complete = false;
};

enum class way { files, moved, scan };

std::string file_name(size_t i) {
  return "f" + std::to_string(i) + ".dat";
}

/// Writes `files` files of 100 bytes into `dir`.
void write_files(const std::filesystem::path& dir, size_t files) {
  std::string payload(100, 'x');
  for (size_t i = 0; i < files; ++i) {
    auto path = (dir / file_name(i)).string();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, payload.data(), payload.size()) < 0) {
      std::perror("write");
      std::exit(1);
    }
    ::close(fd);
  }
}

result run(const std::filesystem::path& dir, size_t files, way how) {
  auto staging = dir.string() + ".staging";
  if (how == way::moved) {
    std::filesystem::create_directories(staging);
    write_files(staging, files);
  } else if (how == way::scan) {
    write_files(dir, files);
  }
  warden::runtime_options rt;
  rt.threads = 2;
  warden::system_config cfg{rt};
  caf::actor_system sys{cfg};
  warden::supervisor_context ctx;
  ctx.log = std::make_shared<spdlog::logger>(
      "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  ctx.log->set_level(spdlog::level::off);
  ctx.registry = std::make_shared<warden::path_registry>();
  ctx.events = std::make_shared<warden::lifecycle_bus>();
  auto bus = warden::spawn_bus(sys, ctx.registry, ctx.events);
  sys.registry().put(warden::bus_name, caf::actor_cast<caf::strong_actor_ptr>(bus));
  auto st = std::make_shared<counter_state>();
  st->target = files;
  warden::supervisor_spec spec;
  spec.children.push_back(warden::worker("counter", warden::make_factory<counter>(st)));
  auto watch = warden::worker("watch", warden::make_factory<warden::dir_watcher>());
  watch.type = "dir_watcher";
  watch.params = {{"path", dir.string()}, {"pattern", "*.dat"}};
  spec.children.push_back(watch);
  auto root = warden::spawn_supervisor(sys, "root", spec, ctx);
  if (!root) {
    std::fprintf(stderr, "cannot start the tree\n");
    std::exit(1);
  }
  // The children join the registry once the root has started them.
  auto watcher = ctx.registry->find("root/watch");
  while (!watcher || watcher->state() != warden::child_state::running) {
    std::this_thread::sleep_for(1ms);
    watcher = ctx.registry->find("root/watch");
  }
  result res;
  auto t0 = clock_type::now();
  switch (how) {
    case way::files:
      write_files(dir, files);
      break;
    case way::moved:
      for (size_t i = 0; i < files; ++i)
        if (::rename((staging + "/" + file_name(i)).c_str(),
                     (dir / file_name(i)).c_str()) != 0) {
          std::perror("rename");
          std::exit(1);
        }
      break;
    case way::scan: {
      warden::tick scan;
      scan.name = "scan";
      caf::anon_send(watcher->current(), scan);
      break;
    }
  }
  auto t1 = clock_type::now();
  {
    std::unique_lock<std::mutex> guard{st->mtx};
    res.complete = st->cv.wait_for(guard, 120s, [&] { return st->count >= files; });
  }
  if (res.complete) {
    using std::chrono::duration;
    res.total_s = duration<double>(st->done - t0).count();
    res.write_s = duration<double>(t1 - t0).count();
    res.tail_ms = std::max(0.0, duration<double, std::milli>(st->done - t1).count());
  }
  caf::scoped_actor self{sys};
  for (auto& x : {*root, bus}) {
    self->monitor(x);
    self->send_exit(x, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }
  sys.registry().erase(warden::bus_name);
  std::filesystem::remove_all(staging);
  return res;
}

} // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
  std::filesystem::path base = argc > 2 ? argv[2] : "/tmp";
  size_t files = quick ? 2000 : 10000;
  warden::set_identity(warden::identity{"bench", "bench", base.string()});
  auto count = quick ? std::string{"2k"} : std::string{"10k"};
  for (auto how : {way::files, way::moved, way::scan}) {
    const char* label = how == way::files   ? "files"
                        : how == way::moved ? "moved"
                                            : "scan";
    std::vector<double> total, write, tail;
    for (int r = 0; r < 3; ++r) {
      auto dir = base / ("watch-bench-" + std::to_string(::getpid()) + "-" + label + "-" +
                         std::to_string(r));
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      auto res = run(dir, files, how);
      std::filesystem::remove_all(dir);
      if (!res.complete) {
        std::fprintf(stderr, "%s run %d: not every file was published within 120 s\n",
                     label, r);
        return 1;
      }
      std::fprintf(stderr,
                   "%s run %d: %zu files in %.3f s (dropping %.3f s, tail %.1f ms)\n",
                   label, r, files, res.total_s, res.write_s, res.tail_ms);
      total.push_back(res.total_s);
      write.push_back(res.write_s);
      tail.push_back(res.tail_ms);
    }
    auto name = "dir_watcher_" + count + "_" + label;
    print((name + "_s").c_str(), median(total), "s");
    if (how == way::files)
      print((name + "_write_s").c_str(), median(write), "s");
    print((name + "_per_s").c_str(), files / median(total), "files/s");
  }
  return 0;
}
