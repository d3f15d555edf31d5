// warden's command line with a `rabbitmq` section, against a real broker:
// the seed's flow (a service publishes File.Detected.<node>, an outside
// amqp-consume sees it, the broker stopped and restarted in between) and a
// `kill -9` of warden with 10 k messages in the outbox and the broker down.

#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "support/amqp_client.hpp"
#include "support/rabbit_broker.hpp"

namespace {

using namespace warden::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class cli_gateway_test : public cli_test {
protected:
  void SetUp() override {
    cli_test::SetUp();
    auto& rb = rabbit_broker::shared();
    if (!rb.running())
      rb.start();
    url_ = rb.url();
    amqp_client setup{url_};
    setup.declare_exchange("warden");
  }

  /// A config with the gateway and one publisher child.
  std::string config(const std::string& publisher_params,
                     const std::string& schedule = "") {
    return "program = \"seed\";\nnode = \"n1\";\n"
           "rabbitmq = { url = \"" +
           url_ + "\"; heartbeat_s = 2; outbox = \"state/outbox\"; };\n" +
           "supervisor = { intensity = 5; period_s = 10; children = (\n"
           "  { name = \"files\"; type = \"publisher\"; params = { " +
           publisher_params + " }; " + schedule + " }\n); };\n";
  }

  std::string url_;
};

TEST_F(cli_gateway_test, file_detected_reaches_amqp_consume_across_a_broker_restart) {
  auto& rb = rabbit_broker::shared();
  amqp_client outside{url_};
  outside.declare_queue("warden", "File.Detected.#", queue_kind::durable, "seed.files");
  outside.close();
  auto path = cfg(config("topic = \"File.Detected.n1\"; count = 3;",
                         "schedule = ( { every = \"200ms\"; tick = \"publish\"; } );"));
  auto warden = start({"run", "-c", path.string()});
  ASSERT_TRUE(await_output("published 4", 1, 20s));
  ASSERT_TRUE(await_output("connected to amqp://127.0.0.1", 1, 20s));
  rb.stop(); // published meanwhile: kept in the outbox
  ASSERT_TRUE(await_output("cannot reach the broker", 1, 20s));
  rb.restart();
  ASSERT_TRUE(await_output("connected to amqp://127.0.0.1", 2, 30s));
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(20s), 0);
  // The outside client: amqp-consume from amqp-tools, one body per line.
  auto result = run_command({"amqp-consume", "-u", url_, "-q", "seed.files", "-c", "20",
                             "--", "sh", "-c", "cat; echo"},
                            20s);
  ASSERT_FALSE(result.timed_out) << result.err;
  std::istringstream lines{result.out};
  std::string line;
  std::vector<int> numbers;
  while (std::getline(lines, line))
    if (!line.empty())
      numbers.push_back(nlohmann::json::parse(line).at("n").get<int>());
  ASSERT_EQ(numbers.size(), 20u) << result.out;
  for (size_t i = 0; i < numbers.size(); ++i)
    EXPECT_EQ(numbers[i], static_cast<int>(i)) << "in order, none lost";
  amqp_client cleanup{url_};
  cleanup.delete_queue("seed.files");
}

TEST_F(cli_gateway_test, kill_9_with_10k_in_the_outbox_loses_nothing) {
  auto& rb = rabbit_broker::shared();
  amqp_client outside{url_};
  outside.declare_queue("warden", "Test.Bulk.#", queue_kind::durable, "seed.bulk");
  outside.close();
  rb.stop();
  auto path = cfg(config("topic = \"Test.Bulk.n1\"; count = 9999;"));
  {
    auto warden = start({"run", "-c", path.string()});
    ASSERT_TRUE(await_output("published 10000", 1, 30s));
    warden->signal(SIGKILL);
    warden->wait(10s);
  }
  rb.restart();
  auto warden = start({"run", "-c", path.string()});
  ASSERT_TRUE(await_output("10000 message(s) in the outbox from before", 1, 30s));
  amqp_client consumer{url_};
  auto got = consumer.consume("seed.bulk", 10000 + 10000, 30s);
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(20s), 0);
  // The restarted warden published its own 10 k too (count = 9999 + 1):
  // every number arrives twice, once per run, in order within each run.
  std::map<std::string, std::vector<int>> by_run;
  for (auto& m : got)
    by_run[m.message_id.substr(0, 16)].push_back(
        nlohmann::json::parse(m.body).at("n").get<int>());
  ASSERT_EQ(by_run.size(), 2u);
  for (auto& [run, numbers] : by_run) {
    ASSERT_EQ(numbers.size(), 10000u) << "run " << run;
    for (size_t i = 0; i < numbers.size(); ++i)
      ASSERT_EQ(numbers[i], static_cast<int>(i)) << "run " << run;
  }
  consumer.delete_queue("seed.bulk");
}

} // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new warden::test::broker_environment);
  return RUN_ALL_TESTS();
}
