// A private RabbitMQ broker for integration tests and benchmarks: scripts/broker
// (WARDEN_BROKER_SCRIPT) behind a small class. Each instance is a node of its
// own, rmq$PORT@localhost on 127.0.0.1:PORT, all state under a temp dir, so
// instances never clash with each other or with other test runs.
//
//   warden::test::rabbit_broker broker;   // nothing runs yet
//   broker.start();                       // ~5-9 s: start once per binary
//   amqp_client client{broker.url()};
//   broker.kill9();                       // a crash: the data dir stays
//   broker.restart();                     // same dir, same port, same data
//
// Most tests share one broker per test binary: rabbit_broker::shared(), started
// on first use and stopped at exit by broker_environment.
//
// Errors (the script failed, no free port) throw std::runtime_error carrying
// the script's own message: this is test support, constructed and driven from
// test bodies, never from a message handler.

#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>
#include <gtest/gtest.h>

namespace warden::test {

/// One private RabbitMQ broker, started and stopped through scripts/broker.
/// Not thread-safe: drive it from the test's thread.
class rabbit_broker {
public:
  /// A broker on `port`, or on a free one chosen by start() if 0 (the
  /// distribution port is PORT+20000, so PORT <= 45535). Starts nothing.
  explicit rabbit_broker(std::uint16_t port = 0);

  /// Stops the broker gracefully by pid (SIGKILL if that fails) and removes
  /// its directory.
  ~rabbit_broker();

  rabbit_broker(const rabbit_broker&) = delete;
  rabbit_broker& operator=(const rabbit_broker&) = delete;

  /// Starts the broker and returns once it serves AMQP (an outside client
  /// logs in to vhost "/" and opens a channel); does nothing if it runs. The
  /// first call makes the directory (/tmp/warden-rmq-XXXXXX) and, without a
  /// port, picks a free one. A node that boots with vhost "/" down (after a
  /// kill -9 its data may fail to recover, and the node keeps running
  /// without it) gets one restart_vhost; if it still refuses logins, or does
  /// not serve within 30 s, start() throws with the reason and the log.
  void start();

  /// Graceful stop (SIGTERM to beam.smp), waits until every process of the
  /// instance is gone. The directory and its data stay.
  void stop();

  /// SIGKILL to beam.smp (a crash), waits until every process of the
  /// instance is gone. The directory and its data stay.
  void kill9();

  /// Starts again on the same directory and port, on the same data: durable
  /// queues and persistent messages are back. Stops first if running.
  void restart();

  /// Whether start() succeeded and neither stop() nor kill9() followed.
  bool running() const noexcept {
    return pid_ > 0;
  }

  /// The port (0 before the first start() without a port given).
  std::uint16_t port() const noexcept {
    return port_;
  }

  /// "amqp://guest:guest@127.0.0.1:PORT" (the default vhost "/": no trailing
  /// slash, see rabbitmq.md).
  std::string url() const;

  /// The beam.smp pid, 0 if not running.
  pid_t pid() const noexcept {
    return pid_;
  }

  /// The instance's directory (empty before the first start()).
  const std::filesystem::path& dir() const noexcept {
    return dir_;
  }

  /// How long the last start() or restart() took until the broker accepted
  /// connections.
  std::chrono::milliseconds last_start_duration() const noexcept {
    return last_start_;
  }

  /// Empty if an outside AMQP client (amqp_client) logs in to vhost "/" and
  /// opens a channel within `timeout`; otherwise why not, in the broker's or
  /// librabbitmq's words. Independent of warden's gateway.
  std::string amqp_probe(std::chrono::milliseconds timeout = std::chrono::seconds{
                             5}) const;

  /// For failure messages: the node log's error and vhost lines (the last
  /// 30) and the end of log/server.out.
  std::string log_excerpt() const;

  /// How often start() found vhost "/" down and restarted it.
  int vhost_restarts() const noexcept {
    return vhost_restarts_;
  }

  /// Every living process of the instance, read from /proc: the /bin/sh
  /// wrapper, beam.smp and their descendants (erl_child_setup,
  /// inet_gethost), epmd excepted (all nodes share it).
  std::vector<pid_t> processes() const;

  /// The broker of this test binary, started on first use (and again after a
  /// test stopped or killed it), stopped by broker_environment or at exit.
  static rabbit_broker& shared();

  /// Whether the process `pid` exists and is no zombie.
  static bool process_alive(pid_t pid);

private:
  void make_dir();
  void await_amqp();
  void start_watchdog();
  void stop_watchdog();

  std::uint16_t port_;
  bool port_given_;
  std::filesystem::path dir_;
  pid_t pid_ = 0;
  std::chrono::milliseconds last_start_{0};
  int vhost_restarts_ = 0;
  pid_t watchdog_ = 0;
  int watchdog_fd_ = -1;
};

/// Stops rabbit_broker::shared() after the last test, if it was started.
/// Register once per test binary:
///   ::testing::AddGlobalTestEnvironment(new warden::test::broker_environment);
class broker_environment : public ::testing::Environment {
public:
  void TearDown() override;
};

/// What a command run by run_command() did.
struct command_result {
  /// The exit code; 128 + N if killed by signal N; -1 if it timed out.
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] looked up in PATH) in a process group of its own, stdin
/// from /dev/null, stdout and stderr collected. On `timeout` the whole group
/// gets SIGKILL.
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout);

} // namespace warden::test
