#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "warden/actors/bus_message.hpp"
#include "warden/messaging/outbox.hpp"

namespace warden {

/// A queue on the broker and the routing patterns bound to it.
struct amqp_queue {
  /// Empty: a server-named exclusive auto-delete queue (a temporary
  /// subscription); otherwise a durable queue (a permanent one).
  std::string name;
  std::vector<std::string> patterns;
};

/// How the link connects and what it declares after each (re)connect.
struct amqp_link_settings {
  /// amqp://user:password@host:port[/vhost]. Secret: never logged.
  std::string url;
  /// The topic exchange (declared durable).
  std::string exchange = "warden";
  /// Sent as `app_id` on every message.
  std::string app_id;
  /// AMQP heartbeat in seconds; 0 disables it.
  int heartbeat_s = 10;
  /// Publisher confirms; without them a message counts as confirmed once
  /// written to the socket.
  bool confirm = true;
  /// Unacknowledged deliveries the broker may send at once.
  uint16_t prefetch = 256;
  std::vector<amqp_queue> queues;
  /// Reconnect delays: doubling from min to max, with ±25 % jitter.
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{10000};
  /// Connect timeout of one attempt.
  std::chrono::milliseconds connect_timeout{5000};
  /// A blocking call (connect and declare, or a round of publishes) that
  /// takes longer than this has its socket shut down by the watchdog: a
  /// broker that stopped reading (booting, resource alarm) never hangs the
  /// link; the outbox keeps the messages meanwhile.
  std::chrono::milliseconds stall_timeout{15000};
};

/// What the link reports, from its own thread. `gen` numbers connections:
/// each successful connect starts a new one, and commands for an older one
/// are dropped (their tags mean nothing to the new channel).
struct amqp_link_events {
  std::function<void(uint64_t gen)> up;
  /// The connection `gen` is gone (or a connect attempt failed: gen 0).
  std::function<void(uint64_t gen, std::string reason)> down;
  /// Publisher confirm of delivery tag `tag` (1 = first publish of `gen`).
  std::function<void(uint64_t gen, uint64_t tag, bool multiple, bool nack)> confirmed;
  /// A message from a subscribed queue; acknowledge it with `ack`.
  std::function<void(uint64_t gen, uint64_t delivery_tag, bus_message msg)> delivered;
};

/// What the link is doing, for diagnostics (see `amqp_link::status`): a
/// link that keeps retrying shows `attempts` growing; one stuck in a call
/// shows the same phase for longer and longer.
struct amqp_link_status {
  /// Connect attempts so far, the current one included.
  uint64_t attempts = 0;
  /// Attempts that got as far as `up`.
  uint64_t connects = 0;
  /// "connecting" (TCP), "opening" (login, channel, declarations),
  /// "connected" (reading), "sending" (a round of publishes and acks),
  /// "backoff" (waiting for the next attempt) or "stopped".
  const char* phase = "connecting";
  /// Time since the link entered `phase`.
  std::chrono::milliseconds in_phase{0};
};

/// The one place that talks to librabbitmq: a thread owning one connection
/// and one channel (librabbitmq connections are not thread-safe). It
/// connects with backoff, declares the exchange and queues, binds the
/// patterns, consumes, publishes what it is handed (persistent, JSON, with
/// message_id/timestamp/app_id), reads confirms and deliveries, and keeps
/// heartbeats going. Commands are queued from any thread and wake the link
/// through an eventfd.
class amqp_link {
public:
  amqp_link(amqp_link_settings settings, amqp_link_events events);

  /// Stops the thread (closing the connection politely) and joins it.
  ~amqp_link();

  amqp_link(const amqp_link&) = delete;
  amqp_link& operator=(const amqp_link&) = delete;

  /// Publishes `records` in order on connection `gen`; the n-th publish of
  /// a connection has delivery tag n.
  void publish(uint64_t gen, std::vector<outbox_record> records);

  /// Acknowledges a delivery of connection `gen`.
  void ack(uint64_t gen, uint64_t delivery_tag);

  /// What the link is doing; callable from any thread.
  amqp_link_status status() const noexcept;

  /// The part of `url` safe to log: scheme, host, port and vhost.
  static std::string redact_url(const std::string& url);

private:
  enum phase_t : int {
    phase_connecting,
    phase_opening,
    phase_connected,
    phase_sending,
    phase_backoff,
    phase_stopped,
  };
  struct command {
    enum kind_t { publish, ack } kind = publish;
    uint64_t gen = 0;
    uint64_t tag = 0;
    std::vector<outbox_record> records;
  };

  struct connection;

  void run();
  void watch();
  void wake();
  /// Marks the start (fd >= 0) or the end (fd < 0) of a blocking phase.
  void busy(int fd) noexcept;
  bool wait_wakeup(std::chrono::milliseconds timeout);
  /// Records a phase change (for `status`).
  void enter(phase_t phase) noexcept;

  amqp_link_settings settings_;
  amqp_link_events events_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mtx_;
  std::vector<command> commands_;
  std::atomic<int> busy_fd_{-1};
  std::atomic<int64_t> busy_since_{0}; // steady ticks
  std::atomic<int> phase_{phase_connecting};
  std::atomic<int64_t> phase_since_{0}; // steady ticks
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> connects_{0};
  std::thread thread_;
  std::thread watchdog_;
};

} // namespace warden
