// Suite `gateway`: the RabbitMQ gateway against raw librabbitmq on the same
// private broker, in the same run (bench/run starts the broker).
//
// Throughput: N 64-byte JSON messages, persistent (delivery mode 2, as the
// gateway always publishes), to the durable topic exchange `bench`, routed to
// one bound durable queue without consumers, in three modes:
//   fire_forget    no publisher confirms
//   confirm_batch  confirms, at most 1000 unconfirmed (sliding window)
//   confirm_each   confirms, at most 1 unconfirmed (fewer messages: slow)
// Raw: one librabbitmq connection publishing the same frames the gateway's
// link sends (same properties: content type, delivery mode 2, message_id,
// timestamp, app_id). Gateway: a supervised service publishing with
// `service::publish` through the bus into the gateway (outbox, link), in
// chunks of 1000 with at most 4 chunks unanswered (the last message of each
// chunk is a request whose answer paces the next chunk; an answer means
// "appended to the outbox"). Both are timed from the first publish until the
// broker's queue holds all N messages (polled with a passive queue.declare
// every 2 ms on a separate connection), the same end point for both; then the
// gateway's outbox must drain and raw's confirms must all arrive before the
// next run. The queue is deleted and declared again between runs. Modes are
// interleaved raw, gateway, raw, gateway... and each figure is the median of
// the repetitions.
//
// Outbox: append + take_unsent + confirm + checkpoint per 64-byte message,
// no broker (one message at a time: the confirm-per-message worst case), and
// the same in batches of 1000 (one checkpoint per batch). Offline ingest: the
// same service publishing N messages with the broker unreachable, until all
// are answered (in the outbox): what the actor path service → bus → gateway →
// outbox takes without the link.
//
// Latency at a moderate rate, every message timestamped (steady clock) in its
// body and timed where it is received, all in this process:
//   gateway_latency     a service publishes → bus → gateway (outbox, confirms
//                       window 1000) → broker → a raw librabbitmq consumer
//   gateway_in_latency  a raw publisher → broker → gateway → bus → a
//                       subscriber service (`on_message`)
//   raw_latency         raw publisher → broker → raw consumer
// (A service cannot get its own messages back through the broker: the
// gateway drops incoming messages carrying its own message ids.)
//
//   gateway_bench quick|full PORT WORKDIR [BROKER_PID]
//
// quick: N = 20 k (2 k confirm_each), one repetition; full: N = 200 k (20 k),
// three. Prints `BENCH <name> <value> <unit>` and `INFO ...` lines; the INFO
// lines give each run's CPU per message of this process (and of the broker,
// with BROKER_PID), context switches per message and the load average.
// For profiling: WARDEN_BENCH_ONLY=gateway_<mode>|raw_<mode>|offline_ingest
// runs that alone, once; WARDEN_BENCH_TRACE=1 prints the gateway's counters
// every 250 ms; WARDEN_BENCH_POLICY=sharing|stealing and
// WARDEN_BENCH_POLLS=AGGRESSIVE,MODERATE (CAF's work-stealing poll attempts)
// change the scheduler; WARDEN_BENCH_AHEAD=K lets the service have K chunks
// unanswered (default 4).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "warden/actors/bus_message.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/messaging/bus.hpp"
#include "warden/messaging/gateway.hpp"
#include "warden/messaging/outbox.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr const char* exchange_name = "bench";
constexpr const char* tput_queue = "bench.tput";
constexpr const char* tput_topic = "Bench.Tput.x";
constexpr size_t body_size = 64;

void print(const std::string& name, double value, const char* unit) {
  std::printf("BENCH %s %.6g %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

void info(const std::string& text) {
  std::printf("INFO %s\n", text.c_str());
  std::fflush(stdout);
}

double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(p * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(i, xs.size() - 1)];
}

/// CPU seconds (user + system) of this process.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// CPU seconds of the broker (0 if its pid is unknown).
int broker_pid = 0;
double broker_cpu_seconds() {
  if (broker_pid <= 0)
    return 0;
  std::FILE* f =
      std::fopen(("/proc/" + std::to_string(broker_pid) + "/stat").c_str(), "r");
  if (f == nullptr)
    return 0;
  char buf[4096];
  auto len = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[len] = '\0';
  // Fields after the command name in parentheses: utime and stime are the
  // 14th and 15th fields of the line, the 12th and 13th after ")".
  auto p = std::strrchr(buf, ')');
  if (p == nullptr)
    return 0;
  unsigned long long utime = 0, stime = 0;
  std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
              &stime);
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Context switches of this process's living threads (voluntary +
/// involuntary).
double context_switches() {
  double total = 0;
  std::error_code ec;
  for (auto& task : std::filesystem::directory_iterator{"/proc/self/task", ec}) {
    std::FILE* f = std::fopen((task.path() / "status").c_str(), "r");
    if (f == nullptr)
      continue;
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long n = 0;
      if (std::sscanf(line, "voluntary_ctxt_switches: %llu", &n) == 1 ||
          std::sscanf(line, "nonvoluntary_ctxt_switches: %llu", &n) == 1)
        total += static_cast<double>(n);
    }
    std::fclose(f);
  }
  return total;
}

/// CPU use over one run, per message, of this process and of the broker.
class cpu_meter {
public:
  cpu_meter()
    : self_(cpu_seconds())
    , broker_(broker_cpu_seconds())
    , switches_(context_switches())
    , t0_(steady::now()) {}

  std::string report(int messages) const {
    auto wall = std::chrono::duration<double>(steady::now() - t0_).count();
    auto self = cpu_seconds() - self_;
    auto broker = broker_cpu_seconds() - broker_;
    auto switches = context_switches() - switches_;
    char buf[200];
    std::snprintf(
        buf, sizeof(buf),
        "cpu: bench process %.1f us/msg (%.0f%% of a core, %.2f context switches "
        "per msg), broker %.1f us/msg (%.0f%%)",
        self * 1e6 / messages, 100 * self / wall, switches / messages,
        broker * 1e6 / messages, 100 * broker / wall);
    return buf;
  }

private:
  double self_;
  double broker_;
  double switches_;
  steady::time_point t0_;
};

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             steady::now().time_since_epoch())
      .count();
}

/// Padding that makes {"n":N,"p":"xx...","t":T} exactly `body_size` bytes.
size_t pad_for(int64_t n, int64_t t) {
  auto fixed = std::strlen("{\"n\":,\"p\":\"\",\"t\":}") + std::to_string(n).size() +
               std::to_string(t).size();
  return body_size > fixed ? body_size - fixed : 0;
}

/// A JSON body of exactly `body_size` bytes: {"n":N,"p":"xx...","t":T} (the
/// key order nlohmann::json dumps).
std::string make_body(int64_t n, int64_t t) {
  return "{\"n\":" + std::to_string(n) + ",\"p\":\"" + std::string(pad_for(n, t), 'x') +
         "\",\"t\":" + std::to_string(t) + "}";
}

/// The same body as JSON, for `service::publish(topic, json)`.
nlohmann::json make_json(int64_t n, int64_t t) {
  return nlohmann::json{{"n", n}, {"p", std::string(pad_for(n, t), 'x')}, {"t", t}};
}

int64_t body_time(const char* data, size_t len) {
  // {"n":N,"t":T,...}: the number after "t": (no full parse on the hot path).
  std::string_view s{data, len};
  auto at = s.find("\"t\":");
  if (at == std::string_view::npos)
    return 0;
  return std::strtoll(s.data() + at + 4, nullptr, 10);
}

// --- raw librabbitmq -------------------------------------------------------------

amqp_bytes_t bytes_of(const std::string& x) {
  return amqp_bytes_t{x.size(), const_cast<char*>(x.data())};
}

void check(amqp_rpc_reply_t r, const char* what) {
  if (r.reply_type != AMQP_RESPONSE_NORMAL)
    throw std::runtime_error(std::string{what} + " failed (reply type " +
                             std::to_string(r.reply_type) + ", library error " +
                             amqp_error_string2(r.library_error) + ")");
}

/// One connection with channel 1, owned by one thread.
class raw_client {
public:
  explicit raw_client(int port) {
    conn_ = amqp_new_connection();
    auto sock = amqp_tcp_socket_new(conn_);
    if (sock == nullptr || amqp_socket_open(sock, "127.0.0.1", port) != AMQP_STATUS_OK)
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    check(amqp_login(conn_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"),
          "login");
    amqp_channel_open(conn_, 1);
    check(amqp_get_rpc_reply(conn_), "channel.open");
    std::memset(&props_, 0, sizeof(props_));
    props_._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                    AMQP_BASIC_APP_ID_FLAG;
    props_.content_type = amqp_cstring_bytes("application/json");
    props_.delivery_mode = 2;
    props_.app_id = amqp_cstring_bytes("bench");
  }

  ~raw_client() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }

  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void declare_exchange() {
    amqp_exchange_declare(conn_, 1, amqp_cstring_bytes(exchange_name),
                          amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "exchange.declare");
  }

  /// A durable queue (`name`) or an exclusive server-named one (empty);
  /// returns its name.
  std::string declare_queue(const std::string& name, const std::string& pattern) {
    bool temp = name.empty();
    auto ok =
        amqp_queue_declare(conn_, 1, temp ? amqp_empty_bytes : bytes_of(name), 0,
                           temp ? 0 : 1, temp ? 1 : 0, temp ? 1 : 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "queue.declare");
    std::string actual(static_cast<const char*>(ok->queue.bytes), ok->queue.len);
    amqp_queue_bind(conn_, 1, bytes_of(actual), amqp_cstring_bytes(exchange_name),
                    bytes_of(pattern), amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "queue.bind");
    return actual;
  }

  void delete_queue(const std::string& name) {
    amqp_queue_delete(conn_, 1, bytes_of(name), 0, 0);
    check(amqp_get_rpc_reply(conn_), "queue.delete");
  }

  uint64_t message_count(const std::string& name) {
    auto ok = amqp_queue_declare(conn_, 1, bytes_of(name), 1, 0, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "queue.declare passive");
    return ok->message_count;
  }

  void confirm_select() {
    amqp_confirm_select(conn_, 1);
    check(amqp_get_rpc_reply(conn_), "confirm.select");
  }

  void consume(const std::string& queue) {
    amqp_basic_consume(conn_, 1, bytes_of(queue), amqp_empty_bytes, 0, 1, 0,
                       amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "basic.consume");
  }

  /// Persistent, with the properties the gateway's link sets.
  void publish(const std::string& topic, const std::string& message_id,
               const std::string& body) {
    props_.message_id = bytes_of(message_id);
    props_.timestamp = static_cast<uint64_t>(std::time(nullptr));
    auto rc = amqp_basic_publish(conn_, 1, amqp_cstring_bytes(exchange_name),
                                 bytes_of(topic), 0, 0, &props_, bytes_of(body));
    if (rc != AMQP_STATUS_OK)
      throw std::runtime_error(std::string{"basic.publish: "} + amqp_error_string2(rc));
  }

  /// Reads publisher confirms: blocking until at least one frame arrived if
  /// `block`, else only what is there. Returns the highest tag confirmed.
  uint64_t read_confirms(bool block, uint64_t confirmed) {
    for (;;) {
      amqp_frame_t frame;
      timeval zero{0, 0};
      timeval ten{10, 0};
      auto rc = amqp_simple_wait_frame_noblock(conn_, &frame, block ? &ten : &zero);
      if (rc == AMQP_STATUS_TIMEOUT) {
        if (block)
          throw std::runtime_error("no publisher confirm for 10 s");
        return confirmed;
      }
      if (rc != AMQP_STATUS_OK)
        throw std::runtime_error(std::string{"reading confirms: "} +
                                 amqp_error_string2(rc));
      if (frame.frame_type != AMQP_FRAME_METHOD)
        continue;
      if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        auto m = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        confirmed = m->multiple ? std::max(confirmed, m->delivery_tag) : confirmed + 1;
        ++ack_frames;
      } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
        throw std::runtime_error("the broker nacked a message");
      } else if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
                 frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
        throw std::runtime_error("the broker closed the channel");
      }
      block = false;
      if (!amqp_data_in_buffer(conn_) && !amqp_frames_enqueued(conn_))
        return confirmed;
    }
  }

  /// Waits up to `timeout` for a delivery; calls `f(body, len)`.
  bool next_delivery(std::chrono::milliseconds timeout,
                     const std::function<void(const char*, size_t)>& f) {
    amqp_maybe_release_buffers(conn_);
    amqp_envelope_t env;
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    auto r = amqp_consume_message(conn_, &env, &tv, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          r.library_error == AMQP_STATUS_TIMEOUT)
        return false;
      check(r, "consume");
    }
    f(static_cast<const char*>(env.message.body.bytes), env.message.body.len);
    amqp_destroy_envelope(&env);
    return true;
  }

  /// Ack frames read (each may confirm many messages).
  uint64_t ack_frames = 0;

private:
  amqp_connection_state_t conn_;
  amqp_basic_properties_t props_;
};

// --- the gateway in a tree ---------------------------------------------------------

using burst_atom = caf::atom_constant<caf::atom("b_burst")>;
using probe_atom = caf::atom_constant<caf::atom("b_probe")>;

/// Latencies (ms) seen by a subscriber service.
std::mutex lat_mtx;
std::vector<double> lat_samples;
std::atomic<int> publish_errors{0};
/// When the last burst was all answered (in the outbox), steady ns; 0 before.
std::atomic<int64_t> burst_done_ns{0};

/// Publishes bursts and probes on command; records the latency of what it
/// receives on its `params.subscribe` patterns.
class bench_client : public warden::service {
public:
  using service::service;

  void on_start() override {
    for (auto& pattern : params().value("subscribe", std::vector<std::string>{}))
      subscribe(pattern);
  }

  void on_message(const warden::bus_message& msg) override {
    auto t = body_time(msg.body.data(), msg.body.size());
    auto ms = static_cast<double>(steady_ns() - t) / 1e6;
    std::lock_guard<std::mutex> guard{lat_mtx};
    lat_samples.push_back(ms);
  }

  void on_publish_error(const warden::bus_message& msg,
                        const caf::error& reason) override {
    service::on_publish_error(msg, reason);
    ++publish_errors;
  }

  caf::behavior make_service_behavior() override {
    return {
        [this](burst_atom, const std::string& topic, int count) {
          topic_ = topic;
          count_ = count;
          sent_ = 0;
          unanswered_ = 0;
          next_chunks();
        },
        [this](probe_atom, const std::string& topic, int n) {
          publish(topic, make_json(n, steady_ns()));
        },
    };
  }

private:
  static constexpr int chunk = 1000;
  static constexpr int default_ahead = 4;

  /// Publishes chunks while fewer than `ahead` are unanswered; the last
  /// message of a chunk is a request of our own (what `service::publish`
  /// does, plus an answer handler) that paces the next chunk.
  void next_chunks() {
    static const int ahead = std::getenv("WARDEN_BENCH_AHEAD")
                                 ? std::atoi(std::getenv("WARDEN_BENCH_AHEAD"))
                                 : default_ahead;
    while (unanswered_ < ahead && sent_ < count_) {
      auto k = std::min(chunk, count_ - sent_);
      for (int i = 0; i < k - 1; ++i)
        publish(topic_, make_json(sent_ + i, 0));
      warden::bus_message msg;
      msg.topic = topic_;
      msg.body = make_json(sent_ + k - 1, 0).dump();
      msg.message_id = warden::next_message_id();
      msg.timestamp_ms = warden::wall_clock_ms();
      msg.source = path();
      sent_ += k;
      ++unanswered_;
      auto bus = caf::actor_cast<caf::actor>(system().registry().get(warden::bus_name));
      request(bus, caf::infinite, warden::publish_atom::value, std::move(msg))
          .then([this](caf::ok_atom) { answered(); },
                [this](caf::error&) {
                  ++publish_errors;
                  answered();
                });
    }
  }

  void answered() {
    --unanswered_;
    if (unanswered_ == 0 && sent_ == count_)
      burst_done_ns = steady_ns();
    next_chunks();
  }

  std::string topic_;
  int count_ = 0;
  int sent_ = 0;
  int unanswered_ = 0;
};

/// A running tree: the bus, a root supervisor with the gateway and a client
/// (as tests/integration/gateway_test.cpp assembles it).
class tree {
public:
  tree(warden::gateway_settings settings, nlohmann::json client_params,
       bool online = true)
    : sys_cfg_(options())
    , sys_((tune(sys_cfg_), sys_cfg_)) {
    ctx_.log = std::make_shared<spdlog::logger>(
        "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    ctx_.log->set_level(spdlog::level::off);
    ctx_.registry = std::make_shared<warden::path_registry>();
    ctx_.events = std::make_shared<warden::lifecycle_bus>();
    warden::bus_options bus_opts;
    bus_opts.gateway_expected = true;
    bus_opts.out_patterns = settings.publish_patterns;
    bus_ = warden::spawn_bus(sys_, ctx_.registry, ctx_.events, bus_opts);
    sys_.registry().put(warden::bus_name, caf::actor_cast<caf::strong_actor_ptr>(bus_));
    warden::gateway_context gw;
    gw.registry = ctx_.registry;
    gw.events = ctx_.events;
    gw.program = "bench";
    gw.node = "n1";
    gw.started_ms = warden::wall_clock_ms();
    warden::supervisor_spec spec;
    spec.flags.intensity = 10;
    spec.flags.period = 10s;
    spec.children.push_back(warden::gateway_child("rabbitmq", std::move(settings), gw));
    auto client = warden::worker("client", warden::make_factory<bench_client>());
    client.params = std::move(client_params);
    spec.children.push_back(std::move(client));
    auto root = warden::spawn_supervisor(sys_, "root", spec, ctx_);
    if (!root)
      throw std::runtime_error("cannot start the tree: " +
                               warden::describe(root.error()));
    root_ = *root;
    auto until = steady::now() + 10s;
    while (!ctx_.registry->whereis("root/client") && steady::now() < until)
      std::this_thread::sleep_for(5ms);
    if (online && !wait_value("state", "connected", 20s))
      throw std::runtime_error("the gateway did not connect: " +
                               gateway_value("last_error"));
  }

  ~tree() {
    caf::scoped_actor self{sys_};
    for (auto& x : {root_, bus_}) {
      self->monitor(x);
      self->send_exit(x, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
    }
    sys_.registry().erase(warden::bus_name);
  }

  caf::actor client() {
    return ctx_.registry->whereis("root/client");
  }

  std::string gateway_value(const std::string& key) {
    auto diag = ctx_.registry->find("root/rabbitmq");
    if (!diag)
      return {};
    auto snap = diag->snapshot(steady::now());
    auto i = snap.values.find(key);
    return i == snap.values.end() ? std::string{} : i->second;
  }

  bool wait_value(const std::string& key, const std::string& value,
                  std::chrono::milliseconds timeout) {
    auto until = steady::now() + timeout;
    while (steady::now() < until) {
      if (gateway_value(key) == value)
        return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

private:
  /// WARDEN_BENCH_POLLS=A,M: CAF's work-stealing aggressive and moderate
  /// poll attempts (CAF's defaults: 100,500; each moderate attempt sleeps
  /// 50 us) instead of warden's, to measure what idle polling costs.
  static void tune(warden::system_config& cfg) {
    if (auto polls = std::getenv("WARDEN_BENCH_POLLS")) {
      size_t aggressive = 0, moderate = 0;
      if (std::sscanf(polls, "%zu,%zu", &aggressive, &moderate) == 2) {
        cfg.set("work-stealing.aggressive-poll-attempts", aggressive);
        cfg.set("work-stealing.moderate-poll-attempts", moderate);
      }
    }
  }

  /// 2 workers (warden's default here: one per core); WARDEN_BENCH_POLICY
  /// picks the scheduler policy.
  static warden::runtime_options options() {
    warden::runtime_options rt;
    rt.threads = 2;
    if (auto policy = std::getenv("WARDEN_BENCH_POLICY"))
      rt.policy = policy;
    return rt;
  }

  warden::system_config sys_cfg_;
  caf::actor_system sys_;
  warden::supervisor_context ctx_;
  caf::actor bus_;
  caf::actor root_;
};

// --- throughput ----------------------------------------------------------------------

struct mode {
  const char* name;
  bool confirm;
  size_t window;
  int count;
};

/// Waits until the queue holds `n` messages; returns when that was seen.
steady::time_point wait_count(raw_client& watcher, uint64_t n,
                              std::chrono::seconds timeout) {
  auto until = steady::now() + timeout;
  for (;;) {
    auto count = watcher.message_count(tput_queue);
    auto now = steady::now();
    if (count >= n)
      return now;
    if (now > until)
      throw std::runtime_error("the queue holds " + std::to_string(count) + " of " +
                               std::to_string(n) + " messages after " +
                               std::to_string(timeout.count()) + " s");
    std::this_thread::sleep_for(2ms);
  }
}

void fresh_queue(raw_client& setup) {
  setup.delete_queue(tput_queue);
  setup.declare_queue(tput_queue, "Bench.Tput.#");
  std::this_thread::sleep_for(500ms); // let the broker settle after the delete
}

double raw_throughput(int port, const mode& m, raw_client& watcher) {
  raw_client c{port};
  if (m.confirm)
    c.confirm_select();
  std::vector<std::string> ids(static_cast<size_t>(m.count));
  for (auto& id : ids)
    id = warden::next_message_id();
  auto body = make_body(0, 0);
  uint64_t confirmed = 0;
  uint64_t published = 0;
  cpu_meter cpu;
  auto t0 = steady::now();
  for (auto& id : ids) {
    if (m.confirm) {
      while (published - confirmed >= m.window)
        confirmed = c.read_confirms(true, confirmed);
    }
    c.publish(tput_topic, id, body);
    ++published;
    if (m.confirm && published % 64 == 0)
      confirmed = c.read_confirms(false, confirmed);
  }
  auto t_end = wait_count(watcher, m.count, 120s);
  info(std::string{"raw "} + m.name + " " + cpu.report(m.count) +
       (m.confirm ? ", " + std::to_string(c.ack_frames) + " ack frames" : std::string{}));
  while (m.confirm && confirmed < published)
    confirmed = c.read_confirms(true, confirmed);
  if (m.confirm)
    info(std::string{"raw "} + m.name + ": all confirmed " +
         std::to_string(seconds_since(t0) -
                        std::chrono::duration<double>(t_end - t0).count()) +
         " s after the queue held all");
  return m.count / std::chrono::duration<double>(t_end - t0).count();
}

double gateway_throughput(int port, const mode& m, raw_client& watcher,
                          const std::string& workdir, int run) {
  warden::gateway_settings s;
  s.link.url = "amqp://guest:guest@127.0.0.1:" + std::to_string(port);
  s.link.exchange = exchange_name;
  s.link.confirm = m.confirm;
  s.confirm_window = m.window;
  s.publish_patterns = {"Bench.#"};
  s.outbox.dir = workdir + "/outbox-" + std::to_string(run);
  double rate = 0;
  {
    tree t{s, nlohmann::json::object()};
    publish_errors = 0;
    cpu_meter cpu;
    auto t0 = steady::now();
    caf::anon_send(t.client(), burst_atom::value, std::string{tput_topic}, m.count);
    // WARDEN_BENCH_TRACE=1: the gateway's counters every 250 ms.
    std::atomic<bool> traced{false};
    std::thread tracer;
    if (std::getenv("WARDEN_BENCH_TRACE"))
      tracer = std::thread{[&] {
        while (!traced) {
          std::this_thread::sleep_for(250ms);
          info("trace " + std::to_string(seconds_since(t0)) + " s: published " +
               t.gateway_value("published") + " confirmed " +
               t.gateway_value("confirmed") + " outbox.depth " +
               t.gateway_value("outbox.depth"));
        }
      }};
    auto t_end = wait_count(watcher, m.count, 120s);
    traced = true;
    if (tracer.joinable())
      tracer.join();
    info(std::string{"gateway "} + m.name + " " + cpu.report(m.count));
    rate = m.count / std::chrono::duration<double>(t_end - t0).count();
    if (!t.wait_value("outbox.depth", "0", 60s))
      throw std::runtime_error("the outbox did not drain: depth " +
                               t.gateway_value("outbox.depth"));
    if (publish_errors != 0)
      throw std::runtime_error(std::to_string(publish_errors.load()) + " publish errors");
  }
  std::filesystem::remove_all(s.outbox.dir);
  return rate;
}

/// A service publishing `n` messages into the gateway's outbox with no broker
/// (the port refuses connections): what the actor pipeline (service → bus →
/// gateway → outbox append) can take. Returns msgs/s.
double offline_ingest(const std::string& workdir, int n) {
  warden::gateway_settings s;
  s.link.url = "amqp://guest:guest@127.0.0.1:1";
  s.link.exchange = exchange_name;
  s.link.backoff_min = 10s; // one attempt
  s.publish_patterns = {"Bench.#"};
  s.outbox.dir = workdir + "/outbox-offline";
  double rate = 0;
  {
    tree t{s, nlohmann::json::object(), false};
    publish_errors = 0;
    cpu_meter cpu;
    burst_done_ns = 0;
    auto t0_ns = steady_ns();
    caf::anon_send(t.client(), burst_atom::value, std::string{tput_topic}, n);
    auto until = steady::now() + 120s;
    while (burst_done_ns == 0 && steady::now() < until)
      std::this_thread::sleep_for(1ms);
    if (burst_done_ns == 0)
      throw std::runtime_error("offline ingest did not finish in 120 s");
    rate = n / (static_cast<double>(burst_done_ns - t0_ns) / 1e9);
    info("gateway offline ingest " + cpu.report(n));
    if (publish_errors != 0)
      throw std::runtime_error(std::to_string(publish_errors.load()) + " publish errors");
  }
  std::filesystem::remove_all(s.outbox.dir);
  return rate;
}

// --- outbox --------------------------------------------------------------------------

/// µs per message of append + take_unsent + confirm + checkpoint, `batch`
/// messages per round (one checkpoint per round).
double outbox_cost(const std::string& dir, int n, int batch) {
  std::filesystem::remove_all(dir);
  warden::outbox_options opts;
  opts.dir = dir;
  std::string err;
  auto box = warden::outbox::open(opts, &err);
  if (!box)
    throw std::runtime_error("outbox: " + err);
  auto body = make_body(0, 0);
  std::string topic = tput_topic;
  std::vector<std::string> ids(static_cast<size_t>(n));
  for (auto& id : ids)
    id = warden::next_message_id();
  std::vector<warden::outbox_record> out;
  out.reserve(static_cast<size_t>(batch));
  auto t0 = steady::now();
  for (int i = 0; i < n; i += batch) {
    for (int j = i; j < i + batch && j < n; ++j)
      if (box->append(topic, ids[static_cast<size_t>(j)], body, 0, &err) == 0)
        throw std::runtime_error("outbox append: " + err);
    out.clear();
    box->take_unsent(static_cast<size_t>(batch), out);
    for (auto& rec : out)
      box->confirm(rec.seq, false);
    if (!box->checkpoint(&err))
      throw std::runtime_error("outbox checkpoint: " + err);
  }
  auto us = seconds_since(t0) * 1e6 / n;
  if (box->depth() != 0)
    throw std::runtime_error("outbox not empty after the run");
  box.reset();
  std::filesystem::remove_all(dir);
  return us;
}

// --- latency -------------------------------------------------------------------------

/// Collects deliveries on `queue` into samples (ms) until `stop`.
std::vector<double> consume_latencies(int port, const std::string& pattern,
                                      std::atomic<bool>& ready, std::atomic<bool>& stop) {
  raw_client c{port};
  auto queue = c.declare_queue("", pattern);
  c.consume(queue);
  ready = true;
  std::vector<double> out;
  while (!stop)
    c.next_delivery(50ms, [&](const char* data, size_t len) {
      out.push_back(static_cast<double>(steady_ns() - body_time(data, len)) / 1e6);
    });
  return out;
}

/// Calls `f(i)` `count` times at `rate` per second.
void paced(int count, int rate, const std::function<void(int)>& f) {
  auto t0 = steady::now();
  auto step = std::chrono::nanoseconds{1000000000 / rate};
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(t0 + step * i);
    f(i);
  }
}

void report_latency(const std::string& name, const std::vector<double>& xs, int sent) {
  if (xs.size() < static_cast<size_t>(sent))
    throw std::runtime_error(name + ": " + std::to_string(xs.size()) + " of " +
                             std::to_string(sent) + " messages arrived");
  print(name + "_p50_ms", percentile(xs, 0.5), "ms");
  print(name + "_p99_ms", percentile(xs, 0.99), "ms");
  info(name + ": max " + std::to_string(percentile(xs, 1.0)) + " ms over " +
       std::to_string(xs.size()) + " messages");
}

void latency(int port, const std::string& workdir, int count, int rate) {
  warden::gateway_settings s;
  s.link.url = "amqp://guest:guest@127.0.0.1:" + std::to_string(port);
  s.link.exchange = exchange_name;
  s.publish_patterns = {"Bench.Lat.#"};
  s.link.queues.push_back(warden::amqp_queue{"", {"Bench.In.#"}});
  s.outbox.dir = workdir + "/outbox-latency";
  auto settle = [] { std::this_thread::sleep_for(300ms); };

  // Raw publisher → raw consumer.
  {
    std::atomic<bool> ready{false}, stop{false};
    std::vector<double> got;
    std::thread consumer{
        [&] { got = consume_latencies(port, "Bench.Raw.#", ready, stop); }};
    while (!ready)
      std::this_thread::sleep_for(1ms);
    raw_client pub{port};
    paced(count, rate, [&](int i) {
      pub.publish("Bench.Raw.x", "raw-" + std::to_string(i), make_body(i, steady_ns()));
    });
    settle();
    stop = true;
    consumer.join();
    report_latency("raw_latency", got, count);
  }

  tree t{s, nlohmann::json{{"subscribe", {"Bench.In.#"}}}};

  // Service → gateway → broker → raw consumer.
  {
    std::atomic<bool> ready{false}, stop{false};
    std::vector<double> got;
    std::thread consumer{
        [&] { got = consume_latencies(port, "Bench.Lat.#", ready, stop); }};
    while (!ready)
      std::this_thread::sleep_for(1ms);
    auto client = t.client();
    std::string topic = "Bench.Lat.x";
    paced(count, rate,
          [&](int i) { caf::anon_send(client, probe_atom::value, topic, i); });
    settle();
    stop = true;
    consumer.join();
    report_latency("gateway_latency", got, count);
  }

  // Raw publisher → broker → gateway → subscriber service.
  {
    {
      std::lock_guard<std::mutex> guard{lat_mtx};
      lat_samples.clear();
    }
    raw_client pub{port};
    paced(count, rate, [&](int i) {
      pub.publish("Bench.In.x", "in-" + std::to_string(i), make_body(i, steady_ns()));
    });
    settle();
    std::vector<double> got;
    {
      std::lock_guard<std::mutex> guard{lat_mtx};
      got = lat_samples;
    }
    report_latency("gateway_in_latency", got, count);
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: gateway_bench quick|full PORT WORKDIR [BROKER_PID]\n");
    return 2;
  }
  bool quick = std::string{argv[1]} == "quick";
  int port = std::atoi(argv[2]);
  std::string workdir = argv[3];
  if (argc == 5)
    broker_pid = std::atoi(argv[4]);
  spdlog::set_level(spdlog::level::err);
  auto loadavg = [] {
    std::string text;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
      char buf[128] = {};
      if (std::fgets(buf, sizeof(buf), f) != nullptr)
        text = buf;
      std::fclose(f);
    }
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    return text;
  };
  info("load average at the start: " + loadavg());
  try {
    for (int64_t x : {int64_t{0}, int64_t{1234567}, steady_ns()})
      if (make_body(x, x).size() != body_size ||
          make_json(x, x).dump() != make_body(x, x))
        throw std::runtime_error("bad body: " + make_json(x, x).dump());
    const int n = quick ? 20000 : 200000;
    const int n_each = quick ? 2000 : 20000;
    const int reps = quick ? 1 : 3;
    const mode modes[] = {{"fire_forget", false, 1000, n},
                          {"confirm_batch", true, 1000, n},
                          {"confirm_each", true, 1, n_each}};

    raw_client setup{port};
    setup.declare_exchange();
    setup.declare_queue(tput_queue, "Bench.Tput.#");
    raw_client watcher{port};

    // WARDEN_BENCH_ONLY=gateway_<mode>, raw_<mode> or offline_ingest: that run
    // alone, once
    // (for profiling).
    std::string only =
        std::getenv("WARDEN_BENCH_ONLY") ? std::getenv("WARDEN_BENCH_ONLY") : "";
    if (!only.empty()) {
      if (only == "offline_ingest")
        print("gateway_offline_ingest_msgs_per_s", offline_ingest(workdir, n), "msg/s");
      for (auto& m : modes) {
        if (only == std::string{"raw_"} + m.name) {
          fresh_queue(setup);
          print(only + "_msgs_per_s", raw_throughput(port, m, watcher), "msg/s");
        } else if (only == std::string{"gateway_"} + m.name) {
          fresh_queue(setup);
          print(only + "_msgs_per_s", gateway_throughput(port, m, watcher, workdir, 0),
                "msg/s");
        }
      }
      setup.delete_queue(tput_queue);
      return 0;
    }

    // Outbox cost, no broker.
    std::vector<double> single, batched;
    for (int r = 0; r < 3; ++r) {
      single.push_back(outbox_cost(workdir + "/outbox-cost", n, 1));
      batched.push_back(outbox_cost(workdir + "/outbox-cost", n, 1000));
    }
    print("gateway_outbox_us_per_msg", median(single), "us");
    print("gateway_outbox_batched_us_per_msg", median(batched), "us");
    std::vector<double> ingest;
    for (int r = 0; r < 3; ++r)
      ingest.push_back(offline_ingest(workdir, n));
    print("gateway_offline_ingest_msgs_per_s", median(ingest), "msg/s");

    std::vector<double> raw[3], gw[3];
    int run = 0;
    for (int r = 0; r < reps; ++r) {
      for (int i = 0; i < 3; ++i) {
        auto& m = modes[i];
        fresh_queue(setup);
        auto x = raw_throughput(port, m, watcher);
        info("rep " + std::to_string(r + 1) + " raw " + m.name + " " + std::to_string(x));
        raw[i].push_back(x);
        fresh_queue(setup);
        auto y = gateway_throughput(port, m, watcher, workdir, run++);
        info("rep " + std::to_string(r + 1) + " gateway " + m.name + " " +
             std::to_string(y));
        gw[i].push_back(y);
      }
    }
    setup.delete_queue(tput_queue);
    for (int i = 0; i < 3; ++i) {
      print(std::string{"raw_"} + modes[i].name + "_msgs_per_s", median(raw[i]), "msg/s");
      print(std::string{"gateway_"} + modes[i].name + "_msgs_per_s", median(gw[i]),
            "msg/s");
    }

    latency(port, workdir, quick ? 2000 : 10000, 2000);
    info("load average at the end: " + loadavg());
  } catch (std::exception& e) {
    std::fprintf(stderr, "gateway_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
