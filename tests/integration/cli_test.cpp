// The command line as users run it: real processes, real files, signals.
// The program is examples/custom_main (warden's command line plus the
// `greeter` and `flaky` types). Waits are for an event (a pidfd, inotify on
// the output) with a deadline, never a sleep.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
  std::ifstream in{path};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
}

/// A child process with stdout and stderr in a file.
class process {
public:
  process(std::vector<std::string> args, const fs::path& out,
          const std::string& input = {}) {
    int in_pipe[2];
    if (::pipe(in_pipe) != 0)
      throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in_pipe[0], 0);
      ::close(in_pipe[1]);
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in_pipe[0]);
    if (!input.empty() && ::write(in_pipe[1], input.data(), input.size()) < 0)
      ADD_FAILURE() << "cannot write to the child's stdin";
    ::close(in_pipe[1]);
  }

  ~process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int sig) {
    ::kill(pid_, sig);
  }

  /// The exit code, or -1 if it did not exit within `deadline`. Waits on a
  /// pidfd: woken by the exit itself, no polling.
  int wait(std::chrono::milliseconds deadline = 10s) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd >= 0) {
      pollfd pfd{fd, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(deadline.count()));
      ::close(fd);
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_)
      return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

class cli_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("warden-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    out_ = dir_ / "out.txt";
  }

  void TearDown() override {
    fs::remove_all(dir_);
  }

  std::unique_ptr<process> start(std::vector<std::string> args,
                                 const std::string& input = {}) {
    args.insert(args.begin(), WARDEN_TEST_PROGRAM);
    return std::make_unique<process>(std::move(args), out_, input);
  }

  /// Runs to completion; returns the exit code (output in `output()`).
  int run(std::vector<std::string> args, const std::string& input = {}) {
    return start(std::move(args), input)->wait();
  }

  std::string output() {
    return read_file(out_);
  }

  /// Waits until the output contains `text` `times` times, up to a
  /// deadline; woken by inotify whenever the output file is written.
  bool await_output(const std::string& text, size_t times = 1,
                    std::chrono::milliseconds deadline = 10s) {
    int fd = ::inotify_init1(IN_CLOEXEC);
    // The directory, not the file: the file may not exist yet.
    ::inotify_add_watch(fd, dir_.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
    auto until = std::chrono::steady_clock::now() + deadline;
    bool found = false;
    for (;;) {
      if (count(output(), text) >= times) {
        found = true;
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) > 0) {
        char buf[4096];
        [[maybe_unused]] auto n = ::read(fd, buf, sizeof(buf));
      }
    }
    ::close(fd);
    if (!found)
      ADD_FAILURE() << "no '" << text << "' (x" << times << ") in:\n" << output();
    return found;
  }

  static size_t count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (auto pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + 1))
      ++n;
    return n;
  }

  fs::path cfg(const std::string& text, const std::string& name = "warden.cfg") {
    auto path = dir_ / name;
    write_file(path, text);
    return path;
  }

  fs::path dir_;
  fs::path out_;
};

const char* two_greeters = R"(program = "test";
config_check_s = 1;
supervisor = {
  intensity = 3; period_s = 10;
  children = (
    { name = "beat"; type = "heartbeat"; params = { every_ms = 60000; }; },
    { name = "hello"; type = "greeter"; depends_on = [ "beat" ]; params = { name = "ann"; }; }
  );
};
)";

TEST_F(cli_test, version_and_usage_errors) {
  EXPECT_EQ(run({"version"}), 0);
  EXPECT_NE(output().find("warden "), std::string::npos);
  EXPECT_EQ(run({"frobnicate"}), 2);
  EXPECT_EQ(run({}), 2);
}

TEST_F(cli_test, check_prints_every_error_with_file_and_line) {
  auto path = cfg(R"(supervisor = {
  strategy = "one_for_none";
  children = (
    { name = "a"; type = "greeter"; },
    { name = "a"; type = "greter"; }
  );
};
)");
  EXPECT_EQ(run({"check", "-c", path}), 1);
  auto f = path.string();
  EXPECT_EQ(output(),
            f +
                ":2: supervisor.strategy: unknown strategy 'one_for_none' (did you mean "
                "'one_for_one'?)\n" +
                f +
                ":5: supervisor.children[1].type: unknown service type 'greter' (did you "
                "mean 'greeter'?)\n" +
                f +
                ":5: supervisor.children[1].name: duplicate child name 'a' (first at "
                "line 4)\n");
  EXPECT_EQ(run({"check", "-c", cfg(two_greeters)}), 0);
  EXPECT_NE(output().find("ok (2 children)"), std::string::npos) << output();
}

TEST_F(cli_test, config_from_standard_input) {
  EXPECT_EQ(run({"check", "-c", "-"}, two_greeters), 0) << output();
  EXPECT_EQ(run({"config", "-c", "-", "get", "supervisor.intensity"}, two_greeters), 0);
  EXPECT_EQ(output(), "3\n");
}

TEST_F(cli_test, config_set_edits_one_value_and_keeps_the_rest) {
  auto path = cfg(std::string{"# my comment\n"} + two_greeters);
  EXPECT_EQ(run({"config", "-c", path, "set", "supervisor.intensity", "7"}), 0)
      << output();
  auto text = read_file(path);
  auto expected = std::string{"# my comment\n"} + two_greeters;
  expected.replace(expected.find("intensity = 3"), 13, "intensity = 7");
  EXPECT_EQ(text, expected);
  // An invalid result is refused and the file left alone.
  EXPECT_EQ(run({"config", "-c", path, "set", "supervisor.intensity", "\"many\""}), 1);
  EXPECT_EQ(read_file(path), expected);
}

TEST_F(cli_test, run_stops_gracefully_on_sigint_in_reverse_order) {
  // With a rotating log file next to the config, and quieter services.
  auto config_text =
      std::string{two_greeters} +
      "log = { file = \"logs/warden.log\"; levels = { services = \"warn\"; }; };\n";
  auto p = start({"run", "-c", cfg(config_text)});
  ASSERT_TRUE(await_output("tree running"));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0) << output();
  auto text = output();
  auto hello = text.find("child=root/hello event=stopped");
  auto beat = text.find("child=root/beat event=stopped");
  ASSERT_NE(hello, std::string::npos) << text;
  ASSERT_NE(beat, std::string::npos) << text;
  EXPECT_LT(hello, beat);
  auto file = read_file(dir_ / "logs" / "warden.log");
  EXPECT_NE(file.find("child=root/beat event=stopped"), std::string::npos) << file;
  EXPECT_EQ(text.find("hello, ann"), std::string::npos); // services at warn
}

TEST_F(cli_test, a_root_that_gives_up_exits_with_code_3) {
  auto p = start({"run", "-c", cfg(R"(supervisor = {
  intensity = 2; period_s = 60;
  children = ( { name = "bad"; type = "flaky"; params = { after_ms = 5; }; } );
};
)")});
  EXPECT_EQ(p->wait(), 3) << output();
  EXPECT_NE(output().find("gave up"), std::string::npos);
  EXPECT_NE(output().find("root/bad: service_failed: flaky by design"),
            std::string::npos);
}

TEST_F(cli_test, sighup_applies_changed_params_without_touching_others) {
  auto path = cfg(two_greeters);
  auto p = start({"run", "-c", path});
  ASSERT_TRUE(await_output("hello, ann"));
  auto changed = std::string{two_greeters};
  changed.replace(changed.find("\"ann\""), 5, "\"bob\"");
  write_file(path, changed);
  p->signal(SIGHUP);
  ASSERT_TRUE(await_output("hello again, bob"));
  ASSERT_TRUE(
      await_output("reload: added=[] removed=[] changed=[root/hello] restarted=[]"));
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait(), 0);
  // Nothing was restarted: each child started exactly once.
  EXPECT_EQ(count(output(), "event=started"), 2u) << output();
}

TEST_F(cli_test, a_changed_file_is_reloaded_and_an_invalid_one_refused) {
  auto path = cfg(two_greeters);
  auto p = start({"run", "-c", path});
  ASSERT_TRUE(await_output("tree running"));
  // Invalid: refused whole, the tree stays as it was.
  auto broken = std::string{two_greeters};
  broken.replace(broken.find("intensity = 3"), 13, "intensity = -3");
  write_file(path, broken);
  ASSERT_TRUE(await_output("reload refused"));
  // Valid: a child is added.
  auto added = std::string{two_greeters};
  added.replace(added.find("  );"), 4,
                "    ,{ name = \"extra\"; type = \"greeter\"; params = { name = \"cy\"; "
                "}; }\n  );");
  write_file(path, added);
  ASSERT_TRUE(await_output("hello, cy"));
  ASSERT_TRUE(await_output("added=[root/extra]"));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0);
  EXPECT_EQ(count(output(), "event=started"), 3u) << output();
}

TEST_F(cli_test, scheduled_ticks_reach_a_service_and_survive_a_reload) {
  auto text = std::string{R"(supervisor = {
  children = (
    { name = "scan"; type = "scanner";
      schedule = ( { every = "100ms"; tick = "scan"; at_start = true; } ); }
  );
};
)"};
  auto path = cfg(text);
  auto p = start({"run", "-c", path});
  ASSERT_TRUE(await_output("root/scan: tick scan (at_start)"));
  ASSERT_TRUE(await_output("root/scan: tick scan (regular)", 3));
  // A reload that renames the tick: the child keeps running, new ticks come.
  auto renamed = text;
  renamed.replace(renamed.find("tick = \"scan\""), 13, "tick = \"sweep\"");
  write_file(path, renamed);
  p->signal(SIGHUP);
  ASSERT_TRUE(await_output("root/scan: tick sweep (regular)", 2));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0) << output();
  EXPECT_EQ(count(output(), "event=started"), 1u) << output();
  // The last fire times survive for catch-up after a restart.
  auto saved = read_file(dir_ / "state" / "last_fire");
  EXPECT_NE(saved.find("root/scan#sweep"), std::string::npos) << saved;
}

TEST_F(cli_test, the_embedded_default_runs_without_any_file) {
  // An empty working directory: no ./warden.cfg, no ./etc/warden.cfg.
  auto old = fs::current_path();
  fs::current_path(dir_);
  auto p = start({"run"});
  fs::current_path(old);
  ASSERT_TRUE(await_output("tree running"));
  EXPECT_NE(output().find("<embedded default>"), std::string::npos);
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0) << output();
}

} // namespace
