// The RabbitMQ gateway against a real broker (a private rabbitmq-server
// started by the harness): round trips both ways, health answers, bad input,
// the broker killed while publishing, the outbox across a restart of the
// whole actor system. One broker serves the whole binary (one ctest entry).

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include <csignal>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/amqp_client.hpp"
#include "support/rabbit_broker.hpp"
#include "warden/actors/atoms.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/messaging/bus.hpp"
#include "warden/messaging/gateway.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace warden::test {
namespace {

using namespace std::chrono_literals;

using burst_atom = caf::atom_constant<caf::atom("t_burst")>;
using crash_atom = caf::atom_constant<caf::atom("t_crash")>;

/// What the test's service received, readable from the test thread.
struct inbox {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<bus_message> messages;

  void add(const bus_message& msg) {
    std::lock_guard<std::mutex> guard{mtx};
    messages.push_back(msg);
    cv.notify_all();
  }

  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] { return messages.size() >= n; });
  }

  std::vector<bus_message> copy() {
    std::lock_guard<std::mutex> guard{mtx};
    return messages;
  }
};

using inbox_ptr = std::shared_ptr<inbox>;

/// Subscribes to `params.subscribe`; publishes bursts on command.
class client_service : public service {
public:
  client_service(caf::actor_config& cfg, service_init init, inbox_ptr box)
    : service(cfg, std::move(init))
    , box_(std::move(box)) {}

  void on_start() override {
    for (auto& pattern : params().value("subscribe", std::vector<std::string>{}))
      subscribe(pattern);
  }

  void on_message(const bus_message& msg) override {
    box_->add(msg);
  }

  void on_publish_error(const bus_message& msg, const caf::error& reason) override {
    service::on_publish_error(msg, reason);
    ++errors;
  }

  caf::behavior make_service_behavior() override {
    return {
        [this](burst_atom, const std::string& topic, int first, int count) {
          for (int i = first; i < first + count; ++i)
            publish(topic, nlohmann::json{{"n", i}});
        },
        [this](crash_atom) { fail("crashed on purpose"); },
    };
  }

  static inline std::atomic<int> errors{0};

private:
  inbox_ptr box_;
};

/// A running tree: the bus, a root supervisor with the gateway and a client.
class tree {
public:
  tree(gateway_settings settings, nlohmann::json client_params)
    : sys_cfg_(options())
    , sys_(sys_cfg_) {
    ctx_.registry = std::make_shared<path_registry>();
    ctx_.events = std::make_shared<lifecycle_bus>();
    bus_options bus_opts;
    bus_opts.gateway_expected = true;
    bus_opts.out_patterns = settings.publish_patterns;
    bus_ = spawn_bus(sys_, ctx_.registry, ctx_.events, bus_opts);
    sys_.registry().put(bus_name, caf::actor_cast<caf::strong_actor_ptr>(bus_));
    gateway_context gw;
    gw.registry = ctx_.registry;
    gw.events = ctx_.events;
    gw.program = "test";
    gw.node = "n1";
    gw.started_ms = wall_clock_ms();
    supervisor_spec spec;
    spec.flags.intensity = 10;
    spec.flags.period = 10s;
    spec.children.push_back(gateway_child("rabbitmq", std::move(settings), gw));
    auto client = worker("client", make_factory<client_service>(box));
    client.params = std::move(client_params);
    spec.children.push_back(std::move(client));
    auto root = spawn_supervisor(sys_, "root", spec, ctx_);
    if (!root)
      throw std::runtime_error("cannot start the tree: " + describe(root.error()));
    root_ = *root;
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!ctx_.registry->whereis("root/client") &&
           std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(5ms);
  }

  ~tree() {
    caf::scoped_actor self{sys_};
    for (auto& x : {root_, bus_}) {
      self->monitor(x);
      self->send_exit(x, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
    }
    sys_.registry().erase(bus_name);
  }

  /// Has the client publish `count` messages numbered from `first`.
  void burst(const std::string& topic, int first, int count) {
    caf::anon_send(ctx_.registry->whereis("root/client"), burst_atom::value, topic, first,
                   count);
  }

  /// Stops (false) or starts (true) the gateway child through the root.
  void toggle_gateway(bool start) {
    caf::scoped_actor self{sys_};
    if (start)
      self->request(root_, 10s, restart_child_atom::value, std::string{"rabbitmq"})
          .receive([](caf::ok_atom) {}, [](caf::error&) {});
    else
      self->request(root_, 10s, stop_child_atom::value, std::string{"rabbitmq"})
          .receive([](caf::ok_atom) {}, [](caf::error&) {});
  }

  void crash_client() {
    caf::anon_send(ctx_.registry->whereis("root/client"), crash_atom::value);
  }

  /// A diagnostics value of the gateway ("" when unset).
  std::string gateway_value(const std::string& key) {
    auto diag = ctx_.registry->find("root/rabbitmq");
    if (!diag)
      return {};
    auto snap = diag->snapshot(std::chrono::steady_clock::now());
    auto i = snap.values.find(key);
    return i == snap.values.end() ? std::string{} : i->second;
  }

  bool wait_value(const std::string& key, const std::string& value,
                  std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (gateway_value(key) == value)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  inbox_ptr box = std::make_shared<inbox>();

private:
  static runtime_options options() {
    runtime_options rt;
    rt.threads = 2;
    return rt;
  }

  system_config sys_cfg_;
  caf::actor_system sys_;
  supervisor_context ctx_;
  caf::actor bus_;
  caf::actor root_;
};

class gateway_test : public ::testing::Test {
protected:
  static rabbit_broker& broker() {
    return rabbit_broker::shared();
  }

  void SetUp() override {
    if (!broker().running())
      broker().start();
    amqp_client setup{broker().url()};
    setup.declare_exchange("warden");
    char tmpl[] = "/tmp/warden-gw-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }

  void TearDown() override {
    std::filesystem::remove_all(dir_);
  }

  gateway_settings settings(const std::string& name) {
    gateway_settings s;
    s.link.url = broker().url();
    s.link.exchange = "warden";
    s.link.heartbeat_s = 2;
    s.link.backoff_min = 50ms;
    s.link.backoff_max = 500ms;
    s.link.queues.push_back(
        amqp_queue{"warden.test.n1." + name, {"Test.In." + name + ".#"}});
    s.link.queues.push_back(amqp_queue{"", {"Health.Request"}});
    s.outbox.dir = dir_ + "/outbox";
    return s;
  }

  static std::vector<int> numbers(const std::vector<amqp_message>& xs) {
    std::vector<int> out;
    for (auto& x : xs)
      out.push_back(nlohmann::json::parse(x.body).at("n").get<int>());
    return out;
  }

  std::string dir_;
};

TEST_F(gateway_test, published_messages_reach_an_outside_consumer_in_order) {
  amqp_client outside{broker().url()};
  auto queue = outside.declare_queue("warden", "Test.Out.order.#", queue_kind::exclusive);
  tree t{settings("order"), nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  t.burst("Test.Out.order.x", 0, 500);
  auto got = outside.consume(queue, 500, 20s);
  ASSERT_EQ(got.size(), 500u);
  std::vector<int> expected(500);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(numbers(got), expected);
  std::set<std::string> ids;
  for (auto& x : got) {
    EXPECT_EQ(x.routing_key, "Test.Out.order.x");
    EXPECT_TRUE(x.persistent);
    ids.insert(x.message_id);
  }
  EXPECT_EQ(ids.size(), 500u) << "every message has its own message_id";
  EXPECT_TRUE(t.wait_value("outbox.depth", "0", 10s))
      << "confirmed messages leave the outbox";
}

TEST_F(gateway_test, outside_messages_reach_subscribers_and_bad_ones_are_acked) {
  tree t{settings("in"), nlohmann::json{{"subscribe", {"Test.In.in.#"}}}};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  amqp_client outside{broker().url()};
  outside.publish("warden", "Test.In.in.a", "not json", true, "bad-1");
  outside.publish("warden", "Test.In.in.a", R"({"n": 1})", true, "good-1");
  outside.publish("warden", "Test.In.in.b", R"({"n": 2})", true, "good-2");
  ASSERT_TRUE(t.box->wait_for(2, 20s));
  auto got = t.box->copy();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].message_id, "good-1");
  EXPECT_EQ(got[0].topic, "Test.In.in.a");
  EXPECT_EQ(got[1].body, R"({"n": 2})");
  // Everything, the bad message included, was acknowledged.
  auto until = std::chrono::steady_clock::now() + 10s;
  while (outside.message_count("warden.test.n1.in") != 0 &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(outside.message_count("warden.test.n1.in"), 0u);
  EXPECT_TRUE(t.wait_value("rejected", "1", 5s)) << t.gateway_value("rejected");
}

TEST_F(gateway_test, answers_health_requests) {
  amqp_client outside{broker().url()};
  auto queue =
      outside.declare_queue("warden", "Health.Response.test.n1", queue_kind::exclusive);
  tree t{settings("health"), nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  outside.publish("warden", "Health.Request", R"({"id": "h-7"})");
  auto got = outside.consume(queue, 1, 20s);
  ASSERT_EQ(got.size(), 1u);
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["id"], "h-7");
  EXPECT_EQ(body["program"], "test");
  EXPECT_EQ(body["node"], "n1");
  EXPECT_EQ(body["status"], "ok");
  std::set<std::string> paths;
  for (auto& s : body["services"])
    paths.insert(s["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"root", "root/client", "root/rabbitmq"}));
}

TEST_F(gateway_test,
       outbox_keeps_messages_while_the_broker_is_away_and_across_a_restart) {
  // (rabbit_broker::shared() would start a stopped broker again: keep the
  // reference and the settings from before the stop.)
  auto& rb = broker();
  auto keep = settings("keep");
  amqp_client setup{rb.url()};
  setup.declare_queue("warden", "Test.Out.keep.#", queue_kind::durable, "t.keep");
  setup.close();
  rb.stop();
  {
    tree t{keep, nlohmann::json::object()};
    t.burst("Test.Out.keep.x", 0, 2000);
    ASSERT_TRUE(t.wait_value("outbox.depth", "2000", 20s))
        << t.gateway_value("outbox.depth");
    EXPECT_EQ(t.gateway_value("state"), "offline");
  } // the whole system goes away with 2000 messages in the outbox
  rb.restart();
  tree t{keep, nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  ASSERT_TRUE(t.wait_value("outbox.depth", "0", 30s)) << t.gateway_value("outbox.depth");
  amqp_client outside{rb.url()};
  auto got = outside.consume("t.keep", 2000, 20s);
  ASSERT_EQ(got.size(), 2000u);
  std::vector<int> expected(2000);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(numbers(got), expected);
  outside.delete_queue("t.keep");
}

TEST_F(gateway_test, broker_killed_while_publishing_loses_nothing) {
  auto& rb = broker();
  amqp_client setup{rb.url()};
  setup.declare_queue("warden", "Test.Out.chaos.#", queue_kind::durable, "t.chaos");
  setup.close();
  tree t{settings("chaos"), nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  constexpr int cycles = 5;
  constexpr int per_step = 100; // 1 k msg/s in steps of 100 every 100 ms
  int sent = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::atomic<bool> done{false};
    std::thread publisher{[&] {
      while (!done) {
        t.burst("Test.Out.chaos.x", sent, per_step);
        sent += per_step;
        std::this_thread::sleep_for(100ms);
      }
    }};
    std::this_thread::sleep_for(300ms);
    rb.kill9();
    std::this_thread::sleep_for(200ms);
    rb.restart();
    std::this_thread::sleep_for(300ms);
    done = true;
    publisher.join();
  }
  ASSERT_TRUE(t.wait_value("outbox.depth", "0", 60s)) << t.gateway_value("outbox.depth");
  amqp_client outside{broker().url()};
  auto count = outside.message_count("t.chaos");
  auto got = outside.consume("t.chaos", count, 30s);
  // Every number arrived; the first arrivals are in order; duplicates (at
  // least once across a kill) carry the message_id of their original.
  std::map<int, std::string> first_id;
  int last_first = -1;
  bool ordered = true;
  for (auto& x : got) {
    auto n = nlohmann::json::parse(x.body).at("n").get<int>();
    auto [it, fresh] = first_id.emplace(n, x.message_id);
    if (fresh) {
      ordered = ordered && n > last_first;
      last_first = n;
    } else {
      EXPECT_EQ(it->second, x.message_id) << "a duplicate of " << n << " has another id";
    }
  }
  EXPECT_EQ(first_id.size(), static_cast<size_t>(sent)) << "lost messages";
  EXPECT_TRUE(ordered) << "first arrivals out of order";
  EXPECT_EQ(client_service::errors.load(), 0);
  outside.delete_queue("t.chaos");
}

TEST_F(gateway_test, permanent_and_temporary_subscriptions_across_a_gateway_restart) {
  auto s = settings("subs");
  s.link.queues.push_back(amqp_queue{"", {"Test.Tmp.subs.#"}});
  tree t{s, nlohmann::json{{"subscribe", {"Test.In.subs.#", "Test.Tmp.subs.#"}}}};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  amqp_client outside{broker().url()};
  outside.publish("warden", "Test.In.subs.x", R"({"n": 1})", true, "perm-1");
  outside.publish("warden", "Test.Tmp.subs.x", R"({"n": 1})", true, "tmp-1");
  ASSERT_TRUE(t.box->wait_for(2, 20s));
  t.toggle_gateway(false); // the gateway is away: its connection closes
  outside.publish("warden", "Test.In.subs.x", R"({"n": 2})", true, "perm-2");
  outside.publish("warden", "Test.Tmp.subs.x", R"({"n": 2})", true, "tmp-2");
  t.toggle_gateway(true);
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  outside.publish("warden", "Test.Tmp.subs.x", R"({"n": 3})", true, "tmp-3");
  // tmp-2, had it been kept anywhere, would arrive before tmp-3 in the
  // same queue: the first four are the whole story.
  ASSERT_TRUE(t.box->wait_for(4, 20s));
  std::vector<std::string> ids;
  for (auto& m : t.box->copy())
    ids.push_back(m.message_id);
  std::sort(ids.begin(), ids.end());
  // The durable queue kept perm-2; the temporary queue went away with the
  // connection, so tmp-2 had nowhere to go; the new one gets tmp-3.
  EXPECT_EQ(ids, (std::vector<std::string>{"perm-1", "perm-2", "tmp-1", "tmp-3"}));
}

TEST_F(gateway_test, publishes_an_error_message_on_every_crash) {
  amqp_client outside{broker().url()};
  auto queue =
      outside.declare_queue("warden", "Error.Message.test.n1", queue_kind::exclusive);
  tree t{settings("errors"), nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  t.crash_client();
  auto got = outside.consume(queue, 1, 20s);
  ASSERT_EQ(got.size(), 1u);
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["path"], "root/client");
  EXPECT_NE(body["reason"].get<std::string>().find("crashed on purpose"),
            std::string::npos)
      << body.dump();
  EXPECT_TRUE(body.contains("restarts"));
  EXPECT_TRUE(body.contains("time"));
}

TEST_F(gateway_test, a_full_outbox_refuses_publishers_and_drops_nothing) {
  // A broker that is not there: a port nobody listens on.
  auto s = settings("full");
  s.link.url = "amqp://guest:guest@127.0.0.1:1";
  s.outbox.max_bytes = 20000; // about 200 records
  s.outbox.segment_bytes = 4096;
  auto before = client_service::errors.load();
  tree t{s, nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "offline", 20s));
  t.burst("Test.Out.full.x", 0, 1000);
  // (The gateway shows its outbox depth at most every 250 ms.)
  auto refused = 0;
  auto kept = 0;
  auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    refused = client_service::errors.load() - before;
    auto depth = t.gateway_value("outbox.depth");
    kept = depth.empty() ? 0 : std::stoi(depth);
    if (refused + kept == 1000)
      break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(refused, 700);
  EXPECT_GT(kept, 100);
  EXPECT_EQ(refused + kept, 1000) << "every message either kept or refused, none lost";
  auto diag = t.gateway_value("state");
  EXPECT_EQ(diag, "offline");
}

TEST_F(gateway_test, a_silent_broker_is_noticed_by_heartbeats) {
  auto& rb = broker();
  tree t{settings("silent"), nlohmann::json::object()};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  ::kill(rb.pid(), SIGSTOP); // alive but silent: no RST, no FIN
  bool noticed = t.wait_value("state", "offline", 15s);
  ::kill(rb.pid(), SIGCONT);
  EXPECT_TRUE(noticed) << "heartbeat_s = 2: two silent intervals end the connection";
  EXPECT_TRUE(t.wait_value("state", "connected", 30s));
}

} // namespace
} // namespace warden::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new warden::test::broker_environment);
  return RUN_ALL_TESTS();
}
