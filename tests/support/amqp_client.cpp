#include "support/amqp_client.hpp"

#include <algorithm>
#include <stdexcept>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

namespace warden::test {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Channel 1 carries declarations and publishes, in confirm mode; consume()
// opens channels from 2 up.
constexpr amqp_channel_t main_channel = 1;

constexpr auto rpc_timeout = 10s;

amqp_bytes_t bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string to_string(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

timeval to_timeval(milliseconds d) {
  d = std::max(d, 0ms);
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

milliseconds left_until(steady_clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
}

[[noreturn]] void fail(const std::string& what, const std::string& why) {
  throw std::runtime_error("amqp_client: " + what + ": " + why);
}

/// "404 NOT_FOUND - no exchange 'x' in vhost '/'" out of a close method.
std::string close_reason(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(method.decoded);
    return "connection closed: " + std::to_string(m->reply_code) + " " +
           to_string(m->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(method.decoded);
    return "channel closed: " + std::to_string(m->reply_code) + " " +
           to_string(m->reply_text);
  }
  return std::string{"unexpected method "} + amqp_method_name(method.id);
}

} // namespace

amqp_client::amqp_client() = default;

amqp_client::amqp_client(const std::string& url) {
  connect(url);
}

amqp_client::~amqp_client() {
  close();
}

void amqp_client::connect(const std::string& url, milliseconds timeout) {
  close();
  std::string buf = url; // amqp_parse_url cuts it up in place
  amqp_connection_info info;
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK)
    fail("connect", "bad url '" + url + "'");
  conn_ = amqp_new_connection();
  auto* socket = amqp_tcp_socket_new(conn_);
  if (socket == nullptr) {
    close();
    fail("connect", "cannot create a socket");
  }
  auto tv = to_timeval(timeout);
  if (int rc = amqp_socket_open_noblock(socket, info.host, info.port, &tv);
      rc != AMQP_STATUS_OK) {
    close();
    fail("connect " + url, amqp_error_string2(rc));
  }
  auto rpc_tv = to_timeval(rpc_timeout);
  amqp_set_rpc_timeout(conn_, &rpc_tv);
  // amqp_login returns its reply; the RPCs below leave theirs for
  // amqp_get_rpc_reply().
  check("login", 0,
        amqp_login(conn_, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user,
                   info.password));
  next_channel_ = main_channel + 1;
  reopen_channel();
}

void amqp_client::close() noexcept {
  if (conn_ == nullptr)
    return;
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

void amqp_client::reopen_channel() {
  amqp_channel_open(conn_, main_channel);
  check("channel.open", main_channel);
  amqp_confirm_select(conn_, main_channel);
  check("confirm.select", main_channel);
  published_ = 0;
}

// The reply of the last RPC. A closed channel is answered (and channel 1
// reopened, so the client stays usable after, say, a 404); a closed
// connection or a library error (timeout, socket) ends the connection.
void amqp_client::check(const char* what, std::uint16_t channel) {
  check(what, channel, amqp_get_rpc_reply(conn_));
}

void amqp_client::check(const char* what, std::uint16_t channel,
                        const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_SERVER_EXCEPTION: {
      auto reason = close_reason(reply.reply);
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_ok_t ok{};
        amqp_send_method(conn_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        if (channel == main_channel)
          reopen_channel();
      } else {
        amqp_connection_close_ok_t ok{};
        amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        amqp_destroy_connection(conn_);
        conn_ = nullptr;
      }
      fail(what, reason);
    }
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: {
      std::string why = amqp_error_string2(reply.library_error);
      amqp_destroy_connection(conn_);
      conn_ = nullptr;
      fail(what, why);
    }
    default: {
      amqp_destroy_connection(conn_);
      conn_ = nullptr;
      fail(what, "no reply");
    }
  }
}

void amqp_client::declare_exchange(const std::string& name, const std::string& type,
                                   bool durable) {
  if (!connected())
    fail("declare_exchange", "not connected");
  amqp_exchange_declare(conn_, main_channel, bytes(name), bytes(type), 0, durable, 0, 0,
                        amqp_empty_table);
  check("exchange.declare", main_channel);
}

std::string amqp_client::declare_queue(const std::string& exchange,
                                       const std::string& pattern, queue_kind kind,
                                       const std::string& name) {
  if (!connected())
    fail("declare_queue", "not connected");
  bool durable = kind == queue_kind::durable;
  bool exclusive = kind == queue_kind::exclusive;
  auto* ok = amqp_queue_declare(conn_, main_channel, bytes(name), 0, durable, exclusive,
                                0, amqp_empty_table);
  check("queue.declare", main_channel);
  auto queue = to_string(ok->queue);
  amqp_queue_bind(conn_, main_channel, bytes(queue), bytes(exchange), bytes(pattern),
                  amqp_empty_table);
  check("queue.bind", main_channel);
  return queue;
}

std::uint32_t amqp_client::message_count(const std::string& queue) {
  if (!connected())
    fail("message_count", "not connected");
  auto* ok =
      amqp_queue_declare(conn_, main_channel, bytes(queue), 1, 0, 0, 0, amqp_empty_table);
  check("queue.declare (passive)", main_channel);
  return ok->message_count;
}

void amqp_client::delete_queue(const std::string& queue) {
  if (!connected())
    fail("delete_queue", "not connected");
  amqp_queue_delete(conn_, main_channel, bytes(queue), 0, 0);
  check("queue.delete", main_channel);
}

void amqp_client::publish(const std::string& exchange, const std::string& routing_key,
                          const std::string& body, bool persistent,
                          const std::string& message_id, milliseconds timeout) {
  if (!connected())
    fail("publish", "not connected");
  amqp_basic_properties_t props{};
  if (persistent) {
    props._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  }
  if (!message_id.empty()) {
    props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
    props.message_id = bytes(message_id);
  }
  int rc = amqp_basic_publish(conn_, main_channel, bytes(exchange), bytes(routing_key), 0,
                              0, &props, bytes(body));
  if (rc != AMQP_STATUS_OK) {
    close();
    fail("publish", amqp_error_string2(rc));
  }
  auto tag = ++published_;

  // The confirm: basic.ack (or basic.nack) for our delivery tag, or for a
  // range up to it when `multiple` is set. Only channel 1 is in confirm mode.
  auto deadline = steady_clock::now() + timeout;
  for (;;) {
    auto tv = to_timeval(left_until(deadline));
    amqp_frame_t frame;
    rc = amqp_simple_wait_frame_noblock(conn_, &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT)
      fail("publish", "no confirm within " + std::to_string(timeout.count()) + " ms");
    if (rc != AMQP_STATUS_OK) {
      close();
      fail("publish", amqp_error_string2(rc));
    }
    if (frame.frame_type != AMQP_FRAME_METHOD || frame.channel != main_channel)
      continue;
    const auto& method = frame.payload.method;
    if (method.id == AMQP_BASIC_ACK_METHOD) {
      auto* ack = static_cast<amqp_basic_ack_t*>(method.decoded);
      if (ack->delivery_tag == tag || (ack->multiple && ack->delivery_tag >= tag))
        return;
    } else if (method.id == AMQP_BASIC_NACK_METHOD) {
      auto* nack = static_cast<amqp_basic_nack_t*>(method.decoded);
      if (nack->delivery_tag == tag || (nack->multiple && nack->delivery_tag >= tag))
        fail("publish", "the broker nacked the message");
    } else if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
      auto reason = close_reason(method);
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn_, main_channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      reopen_channel();
      fail("publish", reason);
    } else if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto reason = close_reason(method);
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      amqp_destroy_connection(conn_);
      conn_ = nullptr;
      fail("publish", reason);
    }
  }
}

std::vector<amqp_message> amqp_client::consume(const std::string& queue, std::size_t n,
                                               milliseconds timeout) {
  if (!connected())
    fail("consume", "not connected");
  std::vector<amqp_message> result;
  if (n == 0)
    return result;
  // A channel of its own: closing it returns whatever the broker pushed
  // beyond `n` to the queue.
  auto channel = next_channel_++;
  amqp_channel_open(conn_, channel);
  check("channel.open", channel);
  auto prefetch = static_cast<std::uint16_t>(std::min<std::size_t>(n, 65535));
  amqp_basic_qos(conn_, channel, 0, prefetch, 0);
  check("basic.qos", channel);
  amqp_basic_consume(conn_, channel, bytes(queue), amqp_empty_bytes, 0, 0, 0,
                     amqp_empty_table);
  check("basic.consume", channel);

  auto deadline = steady_clock::now() + timeout;
  while (result.size() < n) {
    auto left = left_until(deadline);
    if (left <= 0ms)
      break;
    auto tv = to_timeval(left);
    amqp_maybe_release_buffers(conn_);
    amqp_envelope_t envelope;
    auto reply = amqp_consume_message(conn_, &envelope, &tv, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
      // Deliveries to an earlier consume()'s channel, already closed, were
      // returned to their queue by the broker: drop them.
      if (envelope.channel == channel) {
        const auto& props = envelope.message.properties;
        amqp_message msg;
        msg.body = to_string(envelope.message.body);
        msg.routing_key = to_string(envelope.routing_key);
        msg.exchange = to_string(envelope.exchange);
        if (props._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
          msg.message_id = to_string(props.message_id);
        msg.redelivered = envelope.redelivered != 0;
        msg.persistent = (props._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) &&
                         props.delivery_mode == AMQP_DELIVERY_PERSISTENT;
        result.push_back(std::move(msg));
        int rc = amqp_basic_ack(conn_, channel, envelope.delivery_tag, 0);
        amqp_destroy_envelope(&envelope);
        if (rc != AMQP_STATUS_OK) {
          close();
          fail("basic.ack", amqp_error_string2(rc));
        }
      } else {
        amqp_destroy_envelope(&envelope);
      }
      continue;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT)
      break;
    if (reply.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION ||
        reply.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
      std::string why = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                            ? amqp_error_string2(reply.library_error)
                            : "unexpected reply";
      close();
      fail("consume", why);
    }
    // Not a delivery: a method frame waits (a close, a late confirm).
    amqp_frame_t frame;
    int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT)
      break;
    if (rc != AMQP_STATUS_OK) {
      close();
      fail("consume", amqp_error_string2(rc));
    }
    if (frame.frame_type != AMQP_FRAME_METHOD)
      continue;
    const auto& method = frame.payload.method;
    if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto reason = close_reason(method);
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      amqp_destroy_connection(conn_);
      conn_ = nullptr;
      fail("consume", reason);
    }
    if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
      auto reason = close_reason(method);
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      if (frame.channel == main_channel)
        reopen_channel();
      if (frame.channel == channel || frame.channel == main_channel)
        fail("consume", reason);
    }
    if (method.id == AMQP_BASIC_CANCEL_METHOD && frame.channel == channel)
      break; // the broker cancelled the consumer: the queue was deleted
  }
  amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS);
  check("channel.close", channel);
  return result;
}

} // namespace warden::test
