// warden's command line with a `rabbitmq` section, against a real broker:
// the seed's flow (a service publishes File.Detected.<node>, an outside
// amqp-consume sees it, the broker stopped and restarted in between) and a
// `kill -9` of warden with 10 k messages in the outbox and the broker down.

#include <map>

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

TEST_F(cli_gateway_test, control_requests_over_rabbitmq_with_amqp_tools) {
  amqp_client outside{url_};
  auto responses =
      outside.declare_queue("warden", "Control.Response.seed.n1", queue_kind::exclusive);
  auto replies =
      outside.declare_queue("warden", "Test.Unused.replies", queue_kind::exclusive);
  auto text = config("topic = \"Test.Ctl\";");
  text.insert(text.find("supervisor ="),
              "control = { port = " + std::to_string(free_port()) +
                  "; token = \"tk\"; };\n");
  auto path = cfg(text);
  auto warden = start({"run", "-c", path.string()});
  ASSERT_TRUE(await_output("connected to amqp://127.0.0.1", 1, 20s));
  auto publish = [&](const std::string& body, const std::string& reply_to = "") {
    std::vector<std::string> argv{
        "amqp-publish",     "-u", url_, "-e", "warden", "-r", "Control.Request.n1", "-C",
        "application/json", "-b", body};
    if (!reply_to.empty()) {
      argv.push_back("-t");
      argv.push_back(reply_to);
    }
    auto r = run_command(argv, 10s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  publish(R"({"id": "q1", "command": "status"})");
  publish(R"({"id": "q2", "command": "restart", "target": "files"})");
  publish(R"({"id": "q3", "command": "restart", "target": "files", "token": "tk"})");
  publish(R"({"id": "q4", "command": "inspect", "target": "files"})", replies);
  // Malformed: none changes anything; each is answered, except the body
  // that is not JSON at all, which the gateway logs and drops.
  for (auto body : {"not json", "[1, 2]", R"({"id": "m3", "command": 5})",
                    R"({"id": "m4"})", R"({"id": "m5", "command": "status", "x": 1})",
                    R"({"id": "m6", "command": "inspect", "target": "nope"})",
                    R"({"id": "m7", "command": "selfdestruct"})"})
    publish(body);
  auto got = outside.consume(responses, 10, 30s);
  ASSERT_EQ(got.size(), 10u);
  std::map<std::string, nlohmann::json> by_id;
  for (auto& m : got) {
    auto body = nlohmann::json::parse(m.body);
    by_id[body.value("id", "")] = body;
  }
  EXPECT_EQ(by_id["q1"]["ok"], true);
  EXPECT_EQ(by_id["q1"]["result"]["program"], "seed");
  EXPECT_EQ(by_id["q2"]["ok"], false);
  EXPECT_NE(by_id["q2"]["error"].get<std::string>().find("refused"), std::string::npos);
  EXPECT_EQ(by_id["q3"]["ok"], true) << by_id["q3"].dump();
  EXPECT_EQ(by_id["q4"]["result"]["restarts"], 0) << "an operator's restart is no crash";
  for (auto id : {"m3", "m4", "m5", "m6", "m7"}) {
    EXPECT_EQ(by_id[id]["ok"], false) << id;
    EXPECT_FALSE(by_id[id]["error"].get<std::string>().empty()) << id;
  }
  EXPECT_NE(by_id[""]["error"].get<std::string>().find("malformed"), std::string::npos);
  // The reply_to copy.
  auto direct = outside.consume(replies, 1, 20s);
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(direct[0].body)["id"], "q4");
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(20s), 0);
}

TEST_F(cli_gateway_test, file_watch_example_runs_the_seed_flow) {
  // The example as shipped, in a copy (it writes incoming/ and state/).
  auto example = dir_ / "file_watch";
  fs::copy(WARDEN_EXAMPLES_DIR "/file_watch", example, fs::copy_options::recursive);
  fs::create_directories(example / "incoming");
  amqp_client outside{url_};
  auto files = outside.declare_queue("warden", "File.Detected.#", queue_kind::exclusive);
  auto reports = outside.declare_queue("warden", "File.Report.#", queue_kind::exclusive);
  auto health =
      outside.declare_queue("warden", "Health.Response.#", queue_kind::exclusive);
  ::setenv("ENVIRONMENT", "ci", 1);
  auto warden = start({"run", "-c", (example / "warden.cfg").string(), "--set", "node=n1",
                       "--set", "rabbitmq.url=" + url_, "--set",
                       "control.port=" + std::to_string(free_port())});
  ::unsetenv("ENVIRONMENT");
  ASSERT_TRUE(await_output("connected to amqp://127.0.0.1", 1, 20s));
  ASSERT_TRUE(await_output("worker: started for environment ci", 1, 20s));
  EXPECT_EQ(output().find("example-only-password"), std::string::npos)
      << "the secret reaches the worker, never the log";
  write_file(example / "incoming" / "a.csv", "x,y\n1,2\n");
  write_file(example / "incoming" / "ignored.txt", "not a csv\n");
  auto detected = outside.consume(files, 1, 20s);
  ASSERT_EQ(detected.size(), 1u);
  EXPECT_EQ(detected[0].routing_key, "File.Detected.n1");
  auto body = nlohmann::json::parse(detected[0].body);
  EXPECT_EQ(body["path"], (example / "incoming" / "a.csv").string());
  EXPECT_EQ(body["size"], 8);
  outside.publish("warden", "File.ReportRequest.n1", R"({"id": "r1"})", true);
  auto report = outside.consume(reports, 1, 20s);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].routing_key, "File.Report.n1");
  auto listed = nlohmann::json::parse(report[0].body);
  EXPECT_EQ(listed["count"], 1) << listed.dump();
  outside.publish("warden", "Health.Request", R"({"id": "h1"})");
  auto answer = outside.consume(health, 1, 20s);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].routing_key, "Health.Response.AsyncExampleProgram.n1");
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(20s), 0);
  EXPECT_TRUE(await_output("worker: stopping"));
}

} // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new warden::test::broker_environment);
  return RUN_ALL_TESTS();
}
