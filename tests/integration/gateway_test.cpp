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
#include "service_tree.hpp"
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

/// Publishes bursts and crashes on command; counts refused publishes.
class client_service : public service {
public:
  using service::service;

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
};

/// The shared service tree (bus, root, `root/collector` subscribed to
/// `subscribe`) with the gateway in front and a publishing client.
class tree : public service_tree {
public:
  tree(const gateway_settings& settings, std::vector<std::string> subscribe = {})
    : service_tree(std::move(subscribe),
                   {worker("client", make_factory<client_service>())}, &settings) {}

  /// Has the client publish `count` messages numbered from `first`.
  void burst(const std::string& topic, int first, int count) {
    caf::anon_send(diag("client")->current(), burst_atom::value, topic, first, count);
  }

  void crash_client() {
    caf::anon_send(diag("client")->current(), crash_atom::value);
  }

  /// Stops (false) or starts (true) the gateway child through the root.
  void toggle_gateway(bool start) {
    if (start)
      call_root(restart_child_atom::value, "rabbitmq");
    else
      call_root(stop_child_atom::value, "rabbitmq");
  }

  /// A diagnostics value of the gateway ("" when unset).
  std::string gateway_value(const std::string& key) {
    return value("rabbitmq", key);
  }

  bool wait_value(const std::string& key, const std::string& expected,
                  std::chrono::milliseconds timeout) {
    return wait_until([&] { return gateway_value(key) == expected; }, timeout);
  }
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
  tree t{settings("order")};
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
  tree t{settings("in"), {"Test.In.in.#"}};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  amqp_client outside{broker().url()};
  outside.publish("warden", "Test.In.in.a", "not json", true, "bad-1");
  outside.publish("warden", "Test.In.in.a", R"({"n": 1})", true, "good-1");
  outside.publish("warden", "Test.In.in.b", R"({"n": 2})", true, "good-2");
  ASSERT_TRUE(t.box->wait_for("#", 2, 20s));
  auto got = t.box->on("#");
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
  tree t{settings("health")};
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
  EXPECT_EQ(paths, (std::set<std::string>{"root", "root/client", "root/collector",
                                          "root/rabbitmq"}));
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
    tree t{keep};
    t.burst("Test.Out.keep.x", 0, 2000);
    ASSERT_TRUE(t.wait_value("outbox.depth", "2000", 20s))
        << t.gateway_value("outbox.depth");
    EXPECT_EQ(t.gateway_value("state"), "offline");
  } // the whole system goes away with 2000 messages in the outbox
  rb.restart();
  tree t{keep};
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
  tree t{settings("chaos")};
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
  tree t{s, {"Test.In.subs.#", "Test.Tmp.subs.#"}};
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  amqp_client outside{broker().url()};
  outside.publish("warden", "Test.In.subs.x", R"({"n": 1})", true, "perm-1");
  outside.publish("warden", "Test.Tmp.subs.x", R"({"n": 1})", true, "tmp-1");
  ASSERT_TRUE(t.box->wait_for("#", 2, 20s));
  t.toggle_gateway(false); // the gateway is away: its connection closes
  outside.publish("warden", "Test.In.subs.x", R"({"n": 2})", true, "perm-2");
  outside.publish("warden", "Test.Tmp.subs.x", R"({"n": 2})", true, "tmp-2");
  t.toggle_gateway(true);
  ASSERT_TRUE(t.wait_value("state", "connected", 20s));
  outside.publish("warden", "Test.Tmp.subs.x", R"({"n": 3})", true, "tmp-3");
  // tmp-2, had it been kept anywhere, would arrive before tmp-3 in the
  // same queue: the first four are the whole story.
  ASSERT_TRUE(t.box->wait_for("#", 4, 20s));
  std::vector<std::string> ids;
  for (auto& m : t.box->on("#"))
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
  tree t{settings("errors")};
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
  tree t{s};
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
  tree t{settings("silent")};
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
