// The `process` service type on real OS processes, in an in-process tree
// with a real scheduler: exits and signals as crashes, output in the log,
// SIGTERM then SIGKILL at the deadline, whole process groups gone, port and
// notify readiness, standard input, arguments, environment, working
// directory, user. Small /bin/sh scripts and tests/support/proc_helper are
// the children. Every wait is on an event (a lifecycle event, a log line, a
// pidfd) with a deadline; nothing sleeps for correctness.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <libconfig.h++>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/lifecycle.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/services/process.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;

const std::string helper = WARDEN_TEST_HELPER;

// -- observing ----------------------------------------------------------------

/// Every log line of the "services" logger, for waits from the test thread.
class capture_sink : public spdlog::sinks::base_sink<std::mutex> {
public:
  /// Waits until a line contains every one of `parts`; returns it.
  std::optional<std::string> wait_line(std::vector<std::string> parts,
                                       std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> guard{lines_mtx_};
    std::optional<std::string> found;
    cv_.wait_for(guard, timeout, [&] {
      for (auto& line : lines_)
        if (std::all_of(parts.begin(), parts.end(), [&](const std::string& p) {
              return line.find(p) != std::string::npos;
            })) {
          found = line;
          return true;
        }
      return false;
    });
    return found;
  }

  std::vector<std::string> lines_with(const std::string& part) {
    std::lock_guard<std::mutex> guard{lines_mtx_};
    std::vector<std::string> result;
    for (auto& line : lines_)
      if (line.find(part) != std::string::npos)
        result.push_back(line);
    return result;
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard<std::mutex> guard{lines_mtx_};
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
    cv_.notify_all();
  }

  void flush_() override {}

private:
  std::mutex lines_mtx_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

/// Lifecycle events of the tree.
struct event_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<lifecycle_event> events;

  void add(const lifecycle_event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    events.push_back(ev);
    cv.notify_all();
  }

  /// The `nth` event of `kind` about `child` (a path), waiting for it.
  std::optional<lifecycle_event> wait(lifecycle_kind kind, const std::string& child,
                                      size_t nth = 1,
                                      std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> guard{mtx};
    std::optional<lifecycle_event> found;
    cv.wait_for(guard, timeout, [&] {
      size_t n = 0;
      for (auto& ev : events)
        if (ev.kind == kind && ev.child == child && ++n == nth) {
          found = ev;
          return true;
        }
      return false;
    });
    return found;
  }

  size_t count(lifecycle_kind kind, const std::string& child) {
    std::lock_guard<std::mutex> guard{mtx};
    return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](auto& ev) {
      return ev.kind == kind && ev.child == child;
    }));
  }

  /// "kind child" of every event so far, in order.
  std::vector<std::string> summary() {
    std::lock_guard<std::mutex> guard{mtx};
    std::vector<std::string> result;
    for (auto& ev : events)
      result.push_back(std::string{to_string(ev.kind)} + " " + ev.child);
    return result;
  }
};

/// Waits until process `pid` has exited (a pidfd: woken by the exit).
bool wait_gone(pid_t pid, std::chrono::milliseconds timeout = 3s) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0)
    return errno == ESRCH;
  pollfd pfd{fd, POLLIN, 0};
  int rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  ::close(fd);
  return rc > 0;
}

bool running(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0)
    return false;
  pollfd pfd{fd, POLLIN, 0};
  int rc = ::poll(&pfd, 1, 0);
  ::close(fd);
  return rc == 0;
}

/// The number after `key` in `line` ("... gc 1234" → 1234).
pid_t number_after(const std::string& line, const std::string& key) {
  auto pos = line.find(key);
  return pos == std::string::npos ? -1 : std::atoi(line.c_str() + pos + key.size());
}

/// Whether `text` has the shape `pattern`: 'd' a digit, 'x' a lowercase
/// hex digit, anything else itself.
bool matches(const std::string& text, const std::string& pattern) {
  if (text.size() != pattern.size())
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    bool ok = pattern[i] == 'd'   ? std::isdigit(static_cast<unsigned char>(c)) != 0
              : pattern[i] == 'x' ? std::isxdigit(static_cast<unsigned char>(c)) != 0 &&
                                        !std::isupper(static_cast<unsigned char>(c))
                                  : c == pattern[i];
    if (!ok)
      return false;
  }
  return true;
}

/// A random (version 4, variant 1) UUID in lowercase.
bool is_uuid4(const std::string& s) {
  return matches(s, "xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx") &&
         std::string{"89ab"}.find(s[19]) != std::string::npos;
}

std::string read_file(const fs::path& path) {
  std::ifstream in{path};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// -- the tree -----------------------------------------------------------------

/// A process child with `settings` (the config's child-level keys).
child_spec proc(std::string name, json settings,
                restart_type restart = restart_type::transient) {
  auto c = worker(std::move(name), make_process_factory(parse_process_settings(settings)),
                  restart);
  c.type = "process";
  return c;
}

json sh(const std::string& script) {
  return json{{"command", {"/bin/sh", "-c", script}}};
}

/// A tree under a root named after the test (log lines of earlier tests'
/// processes never match), with its events, its log and a temp directory.
class process_test : public ::testing::Test {
protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("warden-proc-" + std::to_string(::getpid()) + "-" + name_);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sink_ = std::make_shared<capture_sink>();
    spdlog::drop("services");
    auto log = std::make_shared<spdlog::logger>("services", sink_);
    log->set_level(spdlog::level::info);
    spdlog::register_logger(log);
  }

  void TearDown() override {
    stop_tree();
    fs::remove_all(dir_);
  }

  void start(std::vector<child_spec> children, supervisor_flags flags = {}) {
    if (flags.intensity == 1)
      flags.intensity = 10;
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    ctx_.registry = std::make_shared<path_registry>();
    ctx_.events = std::make_shared<lifecycle_bus>();
    auto log = events_;
    collector_ = sys_->spawn(
        [log](caf::event_based_actor*, int) -> caf::behavior {
          return {[log](const lifecycle_event& ev) { log->add(ev); }};
        },
        0);
    ctx_.events->subscribe(collector_);
    supervisor_spec spec;
    spec.flags = flags;
    spec.children = std::move(children);
    auto root = spawn_supervisor(*sys_, name_, spec, ctx_);
    ASSERT_TRUE(root) << describe(root.error());
    root_ = *root;
  }

  void stop_tree() {
    if (!sys_)
      return;
    {
      caf::scoped_actor self{*sys_};
      self->monitor(root_);
      self->send_exit(root_, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {},
                    caf::after(30s) >> [] { ADD_FAILURE() << "the tree did not stop"; });
      ctx_.events->unsubscribe(collector_);
      self->send_exit(collector_, caf::exit_reason::kill);
    }
    root_ = nullptr;
    collector_ = nullptr;
    sys_.reset();
  }

  std::string path(const std::string& child) const {
    return name_ + "/" + child;
  }

  diagnostics_snapshot snapshot(const std::string& child) {
    auto d = ctx_.registry->find(path(child));
    if (!d)
      throw std::runtime_error("no child " + child);
    return d->snapshot(std::chrono::steady_clock::now());
  }

  std::string value(const std::string& child, const std::string& key) {
    auto snap = snapshot(child);
    auto i = snap.values.find(key);
    return i == snap.values.end() ? std::string{} : i->second;
  }

  /// Stops a child through its supervisor, as `warden stop` does.
  bool stop_child(const std::string& child, std::chrono::milliseconds timeout = 10s) {
    caf::scoped_actor self{*sys_};
    bool ok = false;
    self->request(root_, timeout, stop_child_atom::value, child)
        .receive([&](caf::ok_atom) { ok = true; },
                 [&](caf::error& err) { ADD_FAILURE() << describe(err); });
    return ok;
  }

  std::optional<lifecycle_event> wait(lifecycle_kind kind, const std::string& child,
                                      size_t nth = 1,
                                      std::chrono::milliseconds timeout = 10s) {
    return events_->wait(kind, path(child), nth, timeout);
  }

  /// A log line of `child`'s output stream containing `text`.
  std::optional<std::string> output_line(const std::string& child,
                                         const std::string& stream,
                                         const std::string& text,
                                         std::chrono::milliseconds timeout = 10s) {
    return sink_->wait_line({path(child) + "[", "] " + stream + ": ", text}, timeout);
  }

  std::string name_;
  fs::path dir_;
  std::shared_ptr<capture_sink> sink_;
  std::shared_ptr<event_log> events_ = std::make_shared<event_log>();
  system_config cfg_{runtime_options{2}};
  std::unique_ptr<caf::actor_system> sys_;
  supervisor_context ctx_;
  caf::actor root_;
  caf::actor collector_;
};

// -- exits --------------------------------------------------------------------

TEST_F(process_test, an_exit_code_is_a_crash_with_that_code) {
  start({proc("x", sh("exit 3"), restart_type::temporary)});
  auto ev = wait(lifecycle_kind::crashed, "x");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->reason, "service_failed: exit 3");
  auto snap = snapshot("x");
  EXPECT_EQ(snap.state, child_state::failed);
  ASSERT_FALSE(snap.exits.empty());
  EXPECT_EQ(snap.exits.back().reason, "service_failed: exit 3");
}

TEST_F(process_test, a_signal_is_a_crash_named_after_the_signal) {
  start({proc("x", sh("ulimit -c 0; kill -SEGV $$"), restart_type::temporary)});
  auto ev = wait(lifecycle_kind::crashed, "x");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->reason, "service_failed: signal 11 (SIGSEGV)");
}

TEST_F(process_test, exit_0_of_a_transient_child_is_normal_and_not_restarted) {
  start({proc("x", sh("exit 0"), restart_type::transient)});
  auto ev = wait(lifecycle_kind::done, "x");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->reason, "normal");
  // The decision is taken when the exit arrives: nothing is pending now.
  auto snap = snapshot("x");
  EXPECT_EQ(snap.state, child_state::done);
  EXPECT_EQ(snap.restarts, 0u);
  EXPECT_EQ(events_->count(lifecycle_kind::crashed, path("x")), 0u);
  EXPECT_EQ(events_->count(lifecycle_kind::restarted, path("x")), 0u);
}

TEST_F(process_test, a_permanent_child_restarts_with_a_new_guid_each_start) {
  auto args = dir_ / "args.txt";
  auto settings = sh("echo \"$@\" >> '" + args.string() + "'");
  settings["command"].push_back("sh"); // $0
  settings["port"] = "auto";
  auto c = proc("x", settings, restart_type::permanent);
  c.backoff = backoff_policy{20ms, 20ms, 0.0, 10000ms};
  start({c});
  ASSERT_TRUE(wait(lifecycle_kind::backoff, "x", 3)); // three runs ended
  ASSERT_TRUE(stop_child("x"));
  std::istringstream in{read_file(args)};
  std::set<std::string> guids;
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    // "--guid <uuid v4> --port <n>"
    ASSERT_EQ(line.rfind("--guid ", 0), 0u) << line;
    auto guid = line.substr(7, 36);
    EXPECT_TRUE(is_uuid4(guid)) << line;
    EXPECT_EQ(line.substr(43, 8), " --port ") << line;
    EXPECT_GT(std::atoi(line.c_str() + 51), 0) << line;
    guids.insert(guid);
    ++lines;
  }
  EXPECT_GE(lines, 3u);
  EXPECT_EQ(guids.size(), lines);
}

// -- output -------------------------------------------------------------------

TEST_F(process_test, stdout_and_stderr_lines_reach_the_log_tagged_with_the_path) {
  start(
      {proc("talk",
            sh("echo hello out; echo hello err >&2; printf 'x%.0s' $(seq 1 9000); echo; "
               "printf 'no newline'"),
            restart_type::transient)});
  ASSERT_TRUE(wait(lifecycle_kind::done, "talk"));
  // Logged before the exit reached the supervisor: no wait needed now.
  auto pid = value("talk", "pid");
  EXPECT_EQ(pid, ""); // cleared once it exited
  auto out = sink_->lines_with(path("talk") + "[");
  auto has = [&](const std::string& text) {
    return std::any_of(out.begin(), out.end(),
                       [&](auto& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("] stdout: hello out")) << ::testing::PrintToString(out);
  EXPECT_TRUE(has("] stderr: hello err")) << ::testing::PrintToString(out);
  EXPECT_TRUE(has("] stdout: no newline")) << ::testing::PrintToString(out);
  EXPECT_TRUE(has("] exited: exit 0"));
  // A 9000-character line arrives as 8192 characters and the rest.
  EXPECT_TRUE(has("] stdout: " + std::string(8192, 'x')));
  EXPECT_TRUE(has("] stdout: " + std::string(9000 - 8192, 'x')));
  // The started line carries the pid, which every output line repeats.
  auto started = sink_->wait_line({path("talk") + "[", "] started: /bin/sh -c"});
  ASSERT_TRUE(started);
  auto leader = number_after(*started, path("talk") + "[");
  EXPECT_GT(leader, 0);
  EXPECT_TRUE(has(path("talk") + "[" + std::to_string(leader) + "] stdout: hello out"));
}

// -- stopping -----------------------------------------------------------------

TEST_F(process_test, stop_sends_sigterm_and_waits_for_the_exit) {
  auto c =
      proc("x", sh("trap 'echo got TERM; exit 0' TERM; echo armed; sleep 1000 & wait"));
  c.shutdown = 5000ms;
  start({c});
  ASSERT_TRUE(output_line("x", "stdout", "armed"));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(stop_child("x"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_TRUE(output_line("x", "stdout", "got TERM", 0ms)); // logged before the exit
  auto ev = wait(lifecycle_kind::stopped, "x");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->reason, "user_shutdown");
  EXPECT_EQ(events_->count(lifecycle_kind::crashed, path("x")), 0u);
}

TEST_F(process_test, a_process_ignoring_sigterm_is_killed_at_the_deadline) {
  // `exec` keeps the ignored SIGTERM: one process that will not stop.
  auto c = proc("hung", sh("trap '' TERM; echo \"armed $$\"; exec sleep 1000"));
  c.shutdown = 400ms;
  start({c});
  auto line = output_line("hung", "stdout", "armed ");
  ASSERT_TRUE(line);
  auto pid = number_after(*line, "armed ");
  ASSERT_TRUE(running(pid));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(stop_child("hung"));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(wait_gone(pid, 2s));
  auto exited = sink_->wait_line({path("hung") + "[", "] exited: signal 9 (SIGKILL)"});
  EXPECT_TRUE(exited);
}

TEST_F(process_test, grandchildren_are_gone_after_a_stop) {
  start({proc("fam", sh("sleep 1000 & echo \"gc $!\"; sleep 1000 & echo \"gc $!\"; "
                        "echo \"leader $$\"; wait"))});
  auto leader_line = output_line("fam", "stdout", "leader ");
  ASSERT_TRUE(leader_line);
  auto lines = sink_->lines_with("] stdout: gc ");
  ASSERT_EQ(lines.size(), 2u);
  std::vector<pid_t> pids{number_after(*leader_line, "leader "),
                          number_after(lines[0], "gc "), number_after(lines[1], "gc ")};
  for (auto pid : pids)
    ASSERT_TRUE(running(pid)) << pid;
  ASSERT_TRUE(stop_child("fam"));
  for (auto pid : pids)
    EXPECT_TRUE(wait_gone(pid)) << pid;
}

TEST_F(process_test, grandchildren_are_gone_when_the_leader_exits_by_itself) {
  start(
      {proc("fam", sh("sleep 1000 & echo \"gc $!\"; exit 4"), restart_type::temporary)});
  auto line = output_line("fam", "stdout", "gc ");
  ASSERT_TRUE(line);
  auto ev = wait(lifecycle_kind::crashed, "fam");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->reason, "service_failed: exit 4");
  EXPECT_TRUE(wait_gone(number_after(*line, "gc ")));
}

// -- readiness ----------------------------------------------------------------

TEST_F(process_test, port_readiness_holds_dependants_back_until_the_port_accepts) {
  auto mark = dir_ / "a.listening";
  json a{{"command", {helper, "listen", "--delay-ms", "300", "--mark", mark.string()}},
         {"port", "auto"},
         {"ready", "port"}};
  // b fails (exit 7) if it starts before a listens.
  auto b = proc(
      "b", sh("test -e '" + mark.string() + "' || exit 7; echo b up; exec sleep 1000"));
  b.depends_on = {"a"};
  start({proc("a", a), b});
  ASSERT_TRUE(output_line("b", "stdout", "b up"));
  EXPECT_EQ(events_->count(lifecycle_kind::crashed, path("b")), 0u);
  EXPECT_EQ(read_file(mark), value("a", "port"));
  EXPECT_EQ(snapshot("a").state, child_state::running);
  // Started strictly after a: a's start comes first in the events.
  auto summary = events_->summary();
  auto a_at = std::find(summary.begin(), summary.end(), "started " + path("a"));
  auto b_at = std::find(summary.begin(), summary.end(), "started " + path("b"));
  EXPECT_LT(a_at, b_at);
}

TEST_F(process_test, port_readiness_has_a_timeout) {
  json a{{"command", {helper, "listen", "--delay-ms", "100000"}},
         {"port", "auto"},
         {"ready", "port"},
         {"ready_timeout_ms", 300}};
  start({proc("a", a, restart_type::temporary)});
  auto ev = wait(lifecycle_kind::crashed, "a");
  ASSERT_TRUE(ev);
  EXPECT_NE(ev->reason.find("not ready within 300 ms (nothing accepts on port"),
            std::string::npos)
      << ev->reason;
}

TEST_F(process_test, notify_readiness_holds_dependants_back_until_ready_1) {
  auto mark = dir_ / "a.ready";
  json a{{"command",
          {helper, "notify", "--delay-ms", "300", "--mark", mark.string(), "--status",
           "warming up"}},
         {"ready", "notify"}};
  auto b = proc(
      "b", sh("test -e '" + mark.string() + "' || exit 7; echo b up; exec sleep 1000"));
  b.depends_on = {"a"};
  start({proc("a", a), b});
  ASSERT_TRUE(output_line("b", "stdout", "b up"));
  EXPECT_EQ(events_->count(lifecycle_kind::crashed, path("b")), 0u);
  EXPECT_EQ(value("a", "status"), "serving");
  EXPECT_EQ(snapshot("a").state, child_state::running);
}

TEST_F(process_test, notify_readiness_has_a_timeout) {
  json a{{"command", {"/bin/sh", "-c", "exec sleep 1000"}},
         {"ready", "notify"},
         {"ready_timeout_ms", 300}};
  start({proc("a", a, restart_type::temporary)});
  auto ev = wait(lifecycle_kind::crashed, "a");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->reason, "service_failed: not ready within 300 ms (no READY=1 on its "
                        "NOTIFY_SOCKET)");
}

// -- what the program sees ----------------------------------------------------

TEST_F(process_test, stdin_section_gets_the_params_and_the_arguments_guid_and_port) {
  auto in_file = dir_ / "stdin.txt";
  auto args_file = dir_ / "args.txt";
  auto settings =
      sh("cat > '" + in_file.string() + "'; echo \"$@\" > '" + args_file.string() + "'");
  settings["command"].push_back("sh");
  settings["stdin"] = "section";
  settings["port"] = "auto";
  auto c = proc("w", settings);
  c.params = json::parse(R"({"name": "he said \"hi\"\n", "n": 3, "big": 5000000000,
    "ratio": 0.5, "on": true, "list": [1, 2, 3], "words": ["a", "b"],
    "mixed": [1, "a"], "sub": {"deep": {"x": -1}}, "empty": {}})");
  start({c});
  ASSERT_TRUE(wait(lifecycle_kind::done, "w"));
  libconfig::Config parsed;
  auto text = read_file(in_file);
  ASSERT_NO_THROW(parsed.readString(text)) << text;
  auto& root = parsed.getRoot();
  EXPECT_EQ(std::string{root["name"].c_str()}, "he said \"hi\"\n");
  EXPECT_EQ(static_cast<int>(root["n"]), 3);
  EXPECT_EQ(static_cast<long long>(root["big"]), 5000000000LL);
  EXPECT_DOUBLE_EQ(static_cast<double>(root["ratio"]), 0.5);
  EXPECT_TRUE(static_cast<bool>(root["on"]));
  EXPECT_TRUE(root["list"].isArray());
  EXPECT_EQ(root["list"].getLength(), 3);
  EXPECT_EQ(std::string{root["words"][1].c_str()}, "b");
  EXPECT_TRUE(root["mixed"].isList());
  EXPECT_EQ(static_cast<int>(root["sub"]["deep"]["x"]), -1);
  EXPECT_TRUE(root["empty"].isGroup());
  auto guid = value("w", "guid");
  auto port = value("w", "port");
  ASSERT_FALSE(guid.empty());
  ASSERT_FALSE(port.empty());
  EXPECT_EQ(read_file(args_file), "--guid " + guid + " --port " + port + "\n");
  EXPECT_EQ(value("w", "command"), "/bin/sh -c 'cat > '\\''" + in_file.string() +
                                       "'\\''; echo \"$@\" > '\\''" + args_file.string() +
                                       "'\\''' sh --guid " + guid + " --port " + port);
}

TEST_F(process_test, env_is_added_to_wardens_environment_and_cwd_is_applied) {
  ::setenv("WARDEN_PROCESS_TEST_INHERITED", "inherited", 1);
  ::setenv("WARDEN_PROCESS_TEST_REPLACED", "old", 1);
  auto sub = dir_ / "sub dir";
  fs::create_directories(sub);
  auto out = dir_ / "env.txt";
  auto settings = sh("{ pwd; echo \"$FOO|$NUM|$WARDEN_PROCESS_TEST_INHERITED|"
                     "$WARDEN_PROCESS_TEST_REPLACED\"; } > '" +
                     out.string() + "'");
  settings["env"] = {
      {"FOO", "bar baz"}, {"NUM", 42}, {"WARDEN_PROCESS_TEST_REPLACED", "new"}};
  settings["cwd"] = sub.string();
  start({proc("e", settings)});
  ASSERT_TRUE(wait(lifecycle_kind::done, "e"));
  EXPECT_EQ(read_file(out), sub.string() + "\nbar baz|42|inherited|new\n");
  ::unsetenv("WARDEN_PROCESS_TEST_INHERITED");
  ::unsetenv("WARDEN_PROCESS_TEST_REPLACED");
}

TEST_F(process_test, a_program_name_is_looked_up_in_path) {
  auto out = dir_ / "found.txt";
  start({proc("p",
              json{{"command", {"sh", "-c", "echo found > '" + out.string() + "'"}}})});
  ASSERT_TRUE(wait(lifecycle_kind::done, "p"));
  EXPECT_EQ(read_file(out), "found\n");
}

TEST_F(process_test, start_failures_are_crashes_with_the_reason) {
  start({proc("missing", json{{"command", {"/nonexistent/program"}}},
              restart_type::temporary),
         proc("unknown", json{{"command", {"no-such-program-anywhere"}}},
              restart_type::temporary),
         proc("nocwd", json{{"command", {"/bin/true"}}, {"cwd", "/nonexistent/dir"}},
              restart_type::temporary),
         proc("nouser", json{{"command", {"/bin/true"}}, {"user", "no-such-user-here"}},
              restart_type::temporary)});
  auto reason = [&](const std::string& child) {
    auto ev = wait(lifecycle_kind::crashed, child);
    return ev ? ev->reason : std::string{"(no crash)"};
  };
  EXPECT_EQ(
      reason("missing"),
      "service_failed: cannot start /nonexistent/program: No such file or directory");
  EXPECT_EQ(
      reason("unknown").rfind("service_failed: cannot start no-such-program-anywhere: "
                              "not found in PATH",
                              0),
      0u);
  EXPECT_EQ(reason("nocwd"),
            "service_failed: cannot start /bin/true: cwd /nonexistent/dir: "
            "No such file or directory");
  EXPECT_EQ(reason("nouser"),
            "service_failed: cannot start /bin/true: unknown user 'no-such-user-here'");
}

TEST_F(process_test, user_runs_the_program_as_that_user) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "switching users needs root";
  auto* pw = ::getpwnam("nobody");
  if (pw == nullptr)
    GTEST_SKIP() << "no user nobody";
  auto uid = pw->pw_uid;
  ::chmod(dir_.c_str(), 0777);
  auto out = dir_ / "id.txt";
  auto settings = sh("echo \"$(id -u) $USER\" > '" + out.string() + "'");
  settings["user"] = "nobody";
  settings["cwd"] = "/";
  start({proc("u", settings)});
  auto ev = wait(lifecycle_kind::done, "u");
  ASSERT_TRUE(ev) << ::testing::PrintToString(events_->summary());
  EXPECT_EQ(read_file(out), std::to_string(uid) + " nobody\n");
}

TEST_F(process_test, diagnostics_show_pid_command_and_start_time) {
  // `after` starts once `d` is ready, and `d` sets its values before that.
  auto after = proc("after", json{{"command", {"/bin/sleep", "1000"}}});
  after.depends_on = {"d"};
  // (The shell takes --guid and --port as its $1..$4, and ignores them.)
  start({proc("d", json{{"command", {"/bin/sh", "-c", "exec sleep 1000", "sh"}},
                        {"port", 45678}}),
         after});
  ASSERT_TRUE(wait(lifecycle_kind::started, "after"));
  auto line =
      sink_->wait_line({path("d") + "[", "] started: /bin/sh -c exec sleep 1000 sh"});
  ASSERT_TRUE(line);
  auto pid = number_after(*line, path("d") + "[");
  auto snap = snapshot("d");
  EXPECT_EQ(snap.values["pid"], std::to_string(pid));
  EXPECT_EQ(snap.values["port"], "45678");
  EXPECT_EQ(snap.values["command"].rfind("/bin/sh -c 'exec sleep 1000' sh --guid ", 0),
            0u)
      << snap.values["command"];
  EXPECT_EQ(events_->count(lifecycle_kind::crashed, path("d")), 0u);
  EXPECT_TRUE(matches(snap.values["started_at"], "dddd-dd-ddTdd:dd:dd.dddZ"))
      << snap.values["started_at"];
  EXPECT_EQ(snap.type, "process");
  ASSERT_TRUE(stop_child("d"));
  EXPECT_TRUE(wait_gone(pid));
  EXPECT_EQ(value("d", "pid"), "");
}

} // namespace
} // namespace warden::test
