// The private-broker harness itself, against a real RabbitMQ: scripts/broker,
// rabbit_broker and the raw amqp_client that the other broker tests stand on.
// Each test prints what it measured ("[ measure ] ..."), also recorded as a
// gtest property (--gtest_output=xml shows them).
//
// Waits are the broker's own (the script returns once the node accepts
// connections, consume() returns on delivery) with a deadline, never a sleep.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/amqp_client.hpp"
#include "support/rabbit_broker.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using warden::test::amqp_client;
using warden::test::queue_kind;
using warden::test::rabbit_broker;
using warden::test::run_command;

// One shared broker per test binary, stopped after the last test.
[[maybe_unused]] auto* const environment =
    ::testing::AddGlobalTestEnvironment(new warden::test::broker_environment);

void report(const std::string& what, std::chrono::milliseconds took) {
  std::cout << "[ measure  ] " << what << ": " << took.count() << " ms\n";
  ::testing::Test::RecordProperty(what + "_ms", std::to_string(took.count()));
}

std::vector<std::string> broker_script(std::vector<std::string> args) {
  args.insert(args.begin(), {"/bin/bash", WARDEN_BROKER_SCRIPT});
  return args;
}

TEST(broker_harness, roundtrip_through_the_warden_exchange) {
  auto& broker = rabbit_broker::shared();
  report("start", broker.last_start_duration());
  ASSERT_TRUE(broker.running());
  EXPECT_TRUE(rabbit_broker::process_alive(broker.pid()));
  EXPECT_EQ(broker.url(),
            "amqp://guest:guest@127.0.0.1:" + std::to_string(broker.port()));

  amqp_client client{broker.url()};
  client.declare_exchange("warden", "topic", true);
  auto queue = client.declare_queue("warden", "Test.#", queue_kind::exclusive);
  client.publish("warden", "Test.One", "one", false, "id-1");
  client.publish("warden", "Other.Two", "not bound: dropped by the exchange");
  client.publish("warden", "Test.Three.x", "three", true, "id-3");
  client.publish("warden", "Test.Four", "four");

  auto got = client.consume(queue, 3, 10s);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "one");
  EXPECT_EQ(got[0].routing_key, "Test.One");
  EXPECT_EQ(got[0].exchange, "warden");
  EXPECT_EQ(got[0].message_id, "id-1");
  EXPECT_FALSE(got[0].persistent);
  EXPECT_EQ(got[1].body, "three");
  EXPECT_EQ(got[1].routing_key, "Test.Three.x");
  EXPECT_EQ(got[1].message_id, "id-3");
  EXPECT_TRUE(got[1].persistent);
  EXPECT_EQ(got[2].body, "four");
  EXPECT_EQ(got[2].message_id, "");
  EXPECT_EQ(client.message_count(queue), 0u); // all acked
}

TEST(broker_harness, durable_queue_keeps_persistent_messages_across_kill9) {
  rabbit_broker broker;
  broker.start();
  report("start", broker.last_start_duration());
  auto first_pid = broker.pid();
  {
    amqp_client client{broker.url()};
    client.declare_exchange("warden");
    client.declare_queue("warden", "Durable.#", queue_kind::durable, "harness.durable");
    // publish() returns on the broker's confirm: on disk for these.
    for (int i = 0; i < 5; ++i)
      client.publish("warden", "Durable.Item", "persistent-" + std::to_string(i), true,
                     "p-" + std::to_string(i));
    client.publish("warden", "Durable.Item", "transient", false, "t-0");
    ASSERT_EQ(client.message_count("harness.durable"), 6u);
  }
  auto before = broker.processes();
  ASSERT_FALSE(before.empty());

  broker.kill9();
  EXPECT_FALSE(broker.running());
  for (auto pid : before)
    EXPECT_FALSE(rabbit_broker::process_alive(pid)) << "pid " << pid << " survived";

  broker.restart();
  report("restart after kill -9", broker.last_start_duration());
  EXPECT_NE(broker.pid(), first_pid);
  amqp_client client{broker.url()};
  // The persistent messages are back, the transient one is gone.
  EXPECT_EQ(client.message_count("harness.durable"), 5u);
  auto got = client.consume("harness.durable", 5, 10s);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].body, "persistent-" + std::to_string(i));
    EXPECT_EQ(got[i].message_id, "p-" + std::to_string(i));
    EXPECT_TRUE(got[i].persistent);
  }
  EXPECT_EQ(client.message_count("harness.durable"), 0u);
}

TEST(broker_harness, amqp_consume_as_an_outside_client_receives_a_message) {
  auto& broker = rabbit_broker::shared();
  report("start", broker.last_start_duration());
  amqp_client client{broker.url()};
  client.declare_exchange("warden");
  // The queue exists before the message does: amqp-consume cannot miss it.
  auto queue =
      client.declare_queue("warden", "Outside.#", queue_kind::durable, "harness.outside");
  const std::string body = R"({"hello":"outside"})";
  client.publish("warden", "Outside.Hello", body);

  auto res = run_command(
      {"amqp-consume", "-u", broker.url(), "-q", queue, "-c", "1", "--", "cat"}, 30s);
  EXPECT_FALSE(res.timed_out);
  EXPECT_EQ(res.exit_code, 0) << res.err;
  EXPECT_EQ(res.out, body);
  EXPECT_EQ(client.message_count(queue), 0u); // amqp-consume acked it
  client.delete_queue(queue);
}

TEST(broker_harness, stop_leaves_no_process_of_the_instance) {
  rabbit_broker broker;
  broker.start();
  report("start", broker.last_start_duration());
  auto pid = broker.pid();
  auto dir = broker.dir().string();
  auto procs = broker.processes();
  // At least the /bin/sh wrapper and beam.smp (erl_child_setup, inet_gethost).
  EXPECT_GE(procs.size(), 2u);
  EXPECT_NE(std::find(procs.begin(), procs.end(), pid), procs.end());

  // The script is idempotent on a running instance.
  auto again = run_command(broker_script({"start", dir}), 60s);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, std::to_string(pid) + "\n");
  auto asked = run_command(broker_script({"pid", dir}), 10s);
  EXPECT_EQ(asked.out, std::to_string(pid) + "\n");

  auto t0 = std::chrono::steady_clock::now();
  broker.stop();
  report("stop", std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0));
  EXPECT_FALSE(broker.running());
  // beam.smp is reaped by its wrapper: gone from /proc altogether. The rest
  // may linger a moment as zombies of init, which is no process.
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(pid)));
  for (auto p : procs)
    EXPECT_FALSE(rabbit_broker::process_alive(p)) << "pid " << p << " survived";
  EXPECT_TRUE(broker.processes().empty());
  EXPECT_EQ(run_command(broker_script({"pid", dir}), 10s).exit_code, 1);
  EXPECT_THROW(amqp_client{broker.url()}, std::runtime_error);
  EXPECT_TRUE(fs::exists(broker.dir() / "mnesia")); // the data stays
}

} // namespace
