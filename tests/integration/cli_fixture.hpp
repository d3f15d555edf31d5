#pragma once

// What the command-line tests share: a child process with its output in a
// file, and a fixture with a private directory, config writing and waits on
// the output (inotify) or the exit (pidfd) with deadlines, never sleeps.
// WARDEN_TEST_PROGRAM names the program under test.

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
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <gtest/gtest.h>

namespace warden::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string read_file(const fs::path& path) {
  std::ifstream in{path};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
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

  pid_t pid() const noexcept {
    return pid_;
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

} // namespace warden::test
