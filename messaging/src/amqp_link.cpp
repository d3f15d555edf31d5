#include "warden/messaging/amqp_link.hpp"

#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <random>
#include <sys/eventfd.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

namespace warden {

namespace {

amqp_bytes_t bytes_of(const std::string& x) {
  amqp_bytes_t result;
  result.len = x.size();
  result.bytes = const_cast<char*>(x.data());
  return result;
}

std::string string_of(amqp_bytes_t x) {
  return std::string(static_cast<const char*>(x.bytes), x.len);
}

/// Text of a failed RPC reply (server close, library error, ...).
std::string describe_reply(const amqp_rpc_reply_t& r, const char* what) {
  std::string out = what;
  out += ": ";
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return out + "ok";
    case AMQP_RESPONSE_NONE:
      return out + "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return out + amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return out + "connection closed by the broker: " + std::to_string(m->reply_code) +
               " " + string_of(m->reply_text);
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return out + "channel closed by the broker: " + std::to_string(m->reply_code) +
               " " + string_of(m->reply_text);
      }
      return out + "broker error (method " + std::to_string(r.reply.id) + ")";
  }
  return out + "unknown failure";
}

/// Thrown inside the link thread when the connection is unusable.
struct link_failure {
  std::string reason;
};

void check(const amqp_rpc_reply_t& r, const char* what) {
  if (r.reply_type != AMQP_RESPONSE_NORMAL)
    throw link_failure{describe_reply(r, what)};
}

void check_status(int status, const char* what) {
  if (status != AMQP_STATUS_OK)
    throw link_failure{std::string{what} + ": " + amqp_error_string2(status)};
}

} // namespace

/// One live connection with its channel 1.
struct amqp_link::connection {
  amqp_connection_state_t conn = nullptr;
  bool open = false; // logged in: close politely
  uint64_t next_tag = 1;

  ~connection() {
    if (conn == nullptr)
      return;
    if (open) {
      amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
      amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn);
  }
};

amqp_link::amqp_link(amqp_link_settings settings, amqp_link_events events)
  : settings_(std::move(settings))
  , events_(std::move(events)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  phase_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
  thread_ = std::thread{[this] { run(); }};
  watchdog_ = std::thread{[this] { watch(); }};
}

amqp_link::~amqp_link() {
  stopping_ = true;
  wake();
  if (thread_.joinable())
    thread_.join();
  if (watchdog_.joinable())
    watchdog_.join();
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
}

// The link takes all queued commands at once, and checks for more before it
// sleeps: only a command into an empty queue needs to wake it.
void amqp_link::publish(uint64_t gen, std::vector<outbox_record> records) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    was_empty = commands_.empty();
    commands_.push_back(command{command::publish, gen, 0, std::move(records)});
  }
  if (was_empty)
    wake();
}

void amqp_link::ack(uint64_t gen, uint64_t delivery_tag) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    was_empty = commands_.empty();
    commands_.push_back(command{command::ack, gen, delivery_tag, {}});
  }
  if (was_empty)
    wake();
}

void amqp_link::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void amqp_link::busy(int fd) noexcept {
  busy_since_.store(fd >= 0 ? std::chrono::steady_clock::now().time_since_epoch().count()
                            : 0,
                    std::memory_order_relaxed);
  busy_fd_.store(fd, std::memory_order_release);
}

void amqp_link::watch() {
  // Checks twice a second; stops with the link.
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
    auto fd = busy_fd_.load(std::memory_order_acquire);
    auto since = busy_since_.load(std::memory_order_relaxed);
    if (fd < 0 || since == 0)
      continue;
    auto elapsed = std::chrono::steady_clock::now().time_since_epoch().count() - since;
    if (std::chrono::steady_clock::duration{elapsed} > settings_.stall_timeout) {
      // Ends the blocked call with an error; the link reconnects.
      ::shutdown(fd, SHUT_RDWR);
      busy_since_.store(0, std::memory_order_relaxed);
    }
  }
}

void amqp_link::enter(phase_t phase) noexcept {
  if (phase_.load(std::memory_order_relaxed) == phase)
    return;
  phase_since_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                     std::memory_order_relaxed);
  phase_.store(phase, std::memory_order_release);
}

amqp_link_status amqp_link::status() const noexcept {
  static constexpr const char* names[] = {"connecting", "opening", "connected",
                                          "sending",    "backoff", "stopped"};
  amqp_link_status out;
  out.attempts = attempts_.load(std::memory_order_relaxed);
  out.connects = connects_.load(std::memory_order_relaxed);
  out.phase = names[phase_.load(std::memory_order_acquire)];
  auto since = phase_since_.load(std::memory_order_relaxed);
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  out.in_phase = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::duration{now - since});
  return out;
}

bool amqp_link::wait_wakeup(std::chrono::milliseconds timeout) {
  pollfd pfd{wake_fd_, POLLIN, 0};
  auto n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (n > 0) {
    uint64_t value = 0;
    [[maybe_unused]] auto r = ::read(wake_fd_, &value, sizeof(value));
    return true;
  }
  return false;
}

std::string amqp_link::redact_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return "<invalid url>";
  auto at = url.find('@', scheme_end + 3);
  if (at == std::string::npos)
    return url;
  return url.substr(0, scheme_end + 3) + url.substr(at + 1);
}

void amqp_link::run() {
  std::mt19937_64 rng{std::random_device{}()};
  auto delay = settings_.backoff_min;
  uint64_t gen = 0;
  while (!stopping_) {
    connection c;
    std::string reason;
    bool was_up = false;
    attempts_.fetch_add(1, std::memory_order_relaxed);
    enter(phase_connecting);
    try {
      // -- connect ------------------------------------------------------------
      std::vector<char> url_buf(settings_.url.begin(), settings_.url.end());
      url_buf.push_back('\0');
      amqp_connection_info info;
      amqp_default_connection_info(&info);
      if (amqp_parse_url(url_buf.data(), &info) != AMQP_STATUS_OK)
        throw link_failure{"cannot parse the broker url " + redact_url(settings_.url)};
      c.conn = amqp_new_connection();
      auto sock = amqp_tcp_socket_new(c.conn);
      if (sock == nullptr)
        throw link_failure{"cannot create a socket"};
      auto ms = settings_.connect_timeout.count();
      timeval tv{static_cast<time_t>(ms / 1000),
                 static_cast<suseconds_t>(ms % 1000 * 1000)};
      check_status(amqp_socket_open_noblock(sock, info.host, info.port, &tv),
                   "cannot connect");
      enter(phase_opening);
      busy(amqp_get_sockfd(c.conn)); // login and declarations
      // A broker that accepts but does not answer (still booting, or
      // stopped) must not hang the link: bound the handshake and every RPC.
      amqp_set_handshake_timeout(c.conn, &tv);
      amqp_set_rpc_timeout(c.conn, &tv);
      // Advertise connection.blocked so that a broker in a resource alarm
      // tells us rather than silently stopping to read.
      amqp_table_entry_t caps[2];
      caps[0].key = amqp_cstring_bytes("connection.blocked");
      caps[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
      caps[0].value.value.boolean = 1;
      caps[1].key = amqp_cstring_bytes("publisher_confirms");
      caps[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
      caps[1].value.value.boolean = 1;
      amqp_table_entry_t props[2];
      props[0].key = amqp_cstring_bytes("capabilities");
      props[0].value.kind = AMQP_FIELD_KIND_TABLE;
      props[0].value.value.table.num_entries = 2;
      props[0].value.value.table.entries = caps;
      props[1].key = amqp_cstring_bytes("product");
      props[1].value.kind = AMQP_FIELD_KIND_UTF8;
      props[1].value.value.bytes = amqp_cstring_bytes("warden");
      amqp_table_t client_props{2, props};
      check(amqp_login_with_properties(c.conn, info.vhost, 0, 131072,
                                       settings_.heartbeat_s, &client_props,
                                       AMQP_SASL_METHOD_PLAIN, info.user, info.password),
            "login");
      c.open = true;
      amqp_channel_open(c.conn, 1);
      check(amqp_get_rpc_reply(c.conn), "channel.open");
      amqp_exchange_declare(c.conn, 1, amqp_cstring_bytes(settings_.exchange.c_str()),
                            amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
      check(amqp_get_rpc_reply(c.conn), "exchange.declare");
      if (settings_.confirm) {
        amqp_confirm_select(c.conn, 1);
        check(amqp_get_rpc_reply(c.conn), "confirm.select");
      }
      if (!settings_.queues.empty()) {
        amqp_basic_qos(c.conn, 1, 0, settings_.prefetch, 0);
        check(amqp_get_rpc_reply(c.conn), "basic.qos");
      }
      for (auto& q : settings_.queues) {
        bool temporary = q.name.empty();
        auto ok = amqp_queue_declare(
            c.conn, 1, temporary ? amqp_empty_bytes : bytes_of(q.name), 0,
            temporary ? 0 : 1, temporary ? 1 : 0, temporary ? 1 : 0, amqp_empty_table);
        check(amqp_get_rpc_reply(c.conn), "queue.declare");
        auto name = string_of(ok->queue);
        for (auto& pattern : q.patterns) {
          amqp_queue_bind(c.conn, 1, bytes_of(name),
                          amqp_cstring_bytes(settings_.exchange.c_str()),
                          bytes_of(pattern), amqp_empty_table);
          check(amqp_get_rpc_reply(c.conn), "queue.bind");
        }
        amqp_basic_consume(c.conn, 1, bytes_of(name), amqp_empty_bytes, 0, 0, 0,
                           amqp_empty_table);
        check(amqp_get_rpc_reply(c.conn), "basic.consume");
      }
      // -- connected ----------------------------------------------------------
      busy(-1);
      ++gen;
      was_up = true;
      connects_.fetch_add(1, std::memory_order_relaxed);
      enter(phase_connected);
      delay = settings_.backoff_min;
      {
        // Commands queued before this connection are for an older one.
        std::lock_guard<std::mutex> guard{mtx_};
        commands_.erase(std::remove_if(commands_.begin(), commands_.end(),
                                       [gen](const command& x) { return x.gen != gen; }),
                        commands_.end());
      }
      events_.up(gen);
      int fd = amqp_get_sockfd(c.conn);
      auto poll_ms = settings_.heartbeat_s > 0
                         ? std::min(1000, settings_.heartbeat_s * 1000 / 4)
                         : 1000;
      std::vector<command> work;
      uint64_t written_tag = c.next_tag;
      amqp_basic_properties_t props_out;
      std::memset(&props_out, 0, sizeof(props_out));
      props_out._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                         AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                         AMQP_BASIC_APP_ID_FLAG;
      props_out.content_type = amqp_cstring_bytes("application/json");
      props_out.delivery_mode = 2;
      props_out.app_id = bytes_of(settings_.app_id);
      auto exchange = amqp_cstring_bytes(settings_.exchange.c_str());
      while (!stopping_) {
        // -- commands ---------------------------------------------------------
        {
          std::lock_guard<std::mutex> guard{mtx_};
          work.swap(commands_);
        }
        if (!work.empty()) {
          busy(fd);
          enter(phase_sending);
        }
        for (auto& cmd : work) {
          if (cmd.gen != gen)
            continue;
          if (cmd.kind == command::ack) {
            check_status(amqp_basic_ack(c.conn, 1, cmd.tag, 0), "basic.ack");
            continue;
          }
          for (auto& rec : cmd.records) {
            props_out.message_id = bytes_of(rec.message_id);
            props_out.timestamp = static_cast<uint64_t>(rec.timestamp_ms / 1000);
            // ".queue": a direct reply through the default exchange.
            bool direct = !rec.topic.empty() && rec.topic[0] == '.';
            auto key = bytes_of(rec.topic);
            if (direct) {
              key.bytes = static_cast<char*>(key.bytes) + 1;
              key.len -= 1;
            }
            check_status(amqp_basic_publish(c.conn, 1,
                                            direct ? amqp_empty_bytes : exchange, key, 0,
                                            0, &props_out, bytes_of(rec.body)),
                         "basic.publish");
          }
          c.next_tag += cmd.records.size();
        }
        if (!settings_.confirm && c.next_tag != written_tag) {
          // Fire-and-forget: written to the socket is as good as it gets.
          // One confirm for everything written in this round.
          written_tag = c.next_tag;
          events_.confirmed(gen, c.next_tag - 1, true, false);
        }
        work.clear();
        busy(-1);
        enter(phase_connected);
        // -- input: confirms, deliveries, heartbeats, closes ------------------
        for (;;) {
          amqp_maybe_release_buffers(c.conn);
          amqp_envelope_t env;
          timeval zero{0, 0};
          auto r = amqp_consume_message(c.conn, &env, &zero, 0);
          if (r.reply_type == AMQP_RESPONSE_NORMAL) {
            bus_message msg;
            msg.topic = string_of(env.routing_key);
            msg.body = string_of(env.message.body);
            auto& p = env.message.properties;
            if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
              msg.message_id = string_of(p.message_id);
            if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG)
              msg.timestamp_ms = static_cast<int64_t>(p.timestamp) * 1000;
            if (p._flags & AMQP_BASIC_REPLY_TO_FLAG)
              msg.reply_to = string_of(p.reply_to);
            msg.source = "amqp";
            auto tag = env.delivery_tag;
            amqp_destroy_envelope(&env);
            events_.delivered(gen, tag, std::move(msg));
            continue;
          }
          if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION)
            throw link_failure{describe_reply(r, "consume")};
          if (r.library_error == AMQP_STATUS_TIMEOUT)
            break;
          if (r.library_error != AMQP_STATUS_UNEXPECTED_STATE)
            throw link_failure{describe_reply(r, "connection")};
          amqp_frame_t frame;
          check_status(amqp_simple_wait_frame_noblock(c.conn, &frame, &zero), "read");
          if (frame.frame_type != AMQP_FRAME_METHOD)
            continue;
          switch (frame.payload.method.id) {
            case AMQP_BASIC_ACK_METHOD: {
              auto m = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
              events_.confirmed(gen, m->delivery_tag, m->multiple != 0, false);
              break;
            }
            case AMQP_BASIC_NACK_METHOD: {
              auto m = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
              events_.confirmed(gen, m->delivery_tag, m->multiple != 0, true);
              break;
            }
            case AMQP_BASIC_RETURN_METHOD: {
              amqp_message_t returned;
              check(amqp_read_message(c.conn, frame.channel, &returned, 0),
                    "basic.return");
              amqp_destroy_message(&returned);
              break;
            }
            case AMQP_CHANNEL_CLOSE_METHOD: {
              auto m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
              c.open = false;
              throw link_failure{
                  "channel closed by the broker: " + std::to_string(m->reply_code) + " " +
                  string_of(m->reply_text)};
            }
            case AMQP_CONNECTION_CLOSE_METHOD: {
              auto m =
                  static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
              amqp_connection_close_ok_t ok{};
              amqp_send_method(c.conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
              c.open = false;
              throw link_failure{
                  "connection closed by the broker: " + std::to_string(m->reply_code) +
                  " " + string_of(m->reply_text)};
            }
            case AMQP_CONNECTION_BLOCKED_METHOD:
              // Publishing blocks until unblocked; the gateway's outbox
              // keeps taking messages meanwhile.
              break;
            default:
              break;
          }
        }
        // -- wait for input or commands ----------------------------------------
        {
          std::lock_guard<std::mutex> guard{mtx_};
          if (!commands_.empty())
            continue;
        }
        pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        auto n = ::poll(fds, 2, poll_ms);
        if (n > 0 && (fds[1].revents & POLLIN)) {
          uint64_t value = 0;
          [[maybe_unused]] auto rd = ::read(wake_fd_, &value, sizeof(value));
        }
      }
      reason = "stopped";
    } catch (link_failure& failure) {
      busy(-1);
      reason = std::move(failure.reason);
      c.open = false; // a broken connection cannot be closed politely
    }
    if (stopping_)
      break;
    enter(phase_backoff);
    events_.down(was_up ? gen : 0, reason);
    // -- backoff with jitter ---------------------------------------------------
    std::uniform_real_distribution<double> jitter{0.75, 1.25};
    auto wait = std::chrono::milliseconds{
        static_cast<int64_t>(static_cast<double>(delay.count()) * jitter(rng))};
    delay = std::min(settings_.backoff_max, delay * 2);
    auto until = std::chrono::steady_clock::now() + wait;
    while (!stopping_ && std::chrono::steady_clock::now() < until)
      wait_wakeup(std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now()));
  }
  enter(phase_stopped);
}

} // namespace warden
