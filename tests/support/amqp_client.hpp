// A small raw-librabbitmq client for tests: the outside view of a broker,
// independent of warden's own gateway. One connection, blocking calls, each
// with a deadline; errors throw std::runtime_error with the broker's or the
// library's text (test support, driven from test bodies only).
//
//   warden::test::amqp_client client{broker.url()};
//   client.declare_exchange("warden");                       // topic, durable
//   auto q = client.declare_queue("warden", "File.#", queue_kind::exclusive);
//   client.publish("warden", "File.Detected.x", R"({"path":"/x"})");
//   auto msgs = client.consume(q, 1, 5s);                    // acked
//
// Not thread-safe (one librabbitmq connection): one client per thread.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// librabbitmq's types, seen only in the .cpp.
struct amqp_connection_state_t_;
struct amqp_rpc_reply_t_;

namespace warden::test {

/// One message as consume() received it.
struct amqp_message {
  std::string body;
  std::string routing_key;
  std::string exchange;
  /// The message-id property, empty if the publisher set none.
  std::string message_id;
  /// The broker delivered it before (to a consumer that did not ack).
  bool redelivered = false;
  /// delivery-mode 2.
  bool persistent = false;
};

/// What declare_queue() makes.
enum class queue_kind {
  /// Server-named unless a name is given, deleted with the connection.
  exclusive,
  /// Survives the connection and a broker restart (with persistent messages).
  durable,
};

class amqp_client {
public:
  /// Not connected.
  amqp_client();

  /// connect(url).
  explicit amqp_client(const std::string& url);

  /// close().
  ~amqp_client();

  amqp_client(const amqp_client&) = delete;
  amqp_client& operator=(const amqp_client&) = delete;

  /// Connects to "amqp://user:pass@host:port[/vhost]" within `timeout`
  /// (no heartbeats), opens channel 1 in confirm mode.
  void connect(const std::string& url,
               std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Closes the connection politely if possible; never throws.
  void close() noexcept;

  bool connected() const noexcept {
    return conn_ != nullptr;
  }

  /// Declares an exchange (idempotent with the same arguments).
  void declare_exchange(const std::string& name, const std::string& type = "topic",
                        bool durable = true);

  /// Declares a queue and binds it to `exchange` with `pattern` (the exchange
  /// must exist). An empty `name` lets the broker name it. Returns the name.
  std::string declare_queue(const std::string& exchange, const std::string& pattern,
                            queue_kind kind, const std::string& name = {});

  /// The number of ready messages in `queue` (a passive declare).
  std::uint32_t message_count(const std::string& queue);

  /// Deletes `queue` with whatever it holds.
  void delete_queue(const std::string& queue);

  /// Publishes and waits for the broker's confirm: once it returns, a
  /// persistent message routed to a durable queue is on disk. Throws on a
  /// nack, on a channel error (say, a missing exchange) or after `timeout`.
  void publish(const std::string& exchange, const std::string& routing_key,
               const std::string& body, bool persistent = false,
               const std::string& message_id = {},
               std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Receives up to `n` messages from `queue` within `timeout`, acking each;
  /// returns fewer if the time runs out first. Uses a channel of its own,
  /// closed afterwards: nothing it did not return stays unacked.
  std::vector<amqp_message> consume(const std::string& queue, std::size_t n,
                                    std::chrono::milliseconds timeout);

private:
  void reopen_channel();
  void check(const char* what, std::uint16_t channel);
  void check(const char* what, std::uint16_t channel, const amqp_rpc_reply_t_& reply);

  amqp_connection_state_t_* conn_ = nullptr;
  std::uint16_t next_channel_ = 2;
  std::uint64_t published_ = 0;
};

} // namespace warden::test
