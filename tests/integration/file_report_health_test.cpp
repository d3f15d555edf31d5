// The `file_report` and `health` services in a real tree: reports list the
// files detected within the window (a real `dir_watcher` feeding it),
// pruning, the bound on entries; health answers built from the tree's
// diagnostics; the gateway's built-in health answer steps aside for a
// `health` child (gateway offline: no broker needed).

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "integration/service_tree.hpp"
#include "warden/actors/identity.hpp"
#include "warden/services/dir_watcher.hpp"
#include "warden/services/file_report.hpp"
#include "warden/services/health.hpp"

namespace warden::test {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

nlohmann::json body_of(const bus_message& msg) {
  return nlohmann::json::parse(msg.body);
}

/// A File.Detected message as it would come from the broker, detected at
/// `when` (ms since the epoch).
bus_message detection(const std::string& path, int64_t size, int64_t mtime,
                      int64_t when) {
  bus_message msg;
  msg.topic = "File.Detected.n1";
  msg.body = nlohmann::json{{"path", path}, {"size", size}, {"mtime", mtime}}.dump();
  msg.message_id = next_message_id();
  msg.timestamp_ms = when;
  msg.source = "amqp";
  return msg;
}

class services_test : public ::testing::Test {
protected:
  void SetUp() override {
    set_identity(identity{"test", "n1", base.path().string()});
  }

  temp_dir base;
};

TEST_F(services_test, file_report_lists_the_files_detected_within_the_window) {
  auto dir = base.path() / "in";
  fs::create_directory(dir);
  std::vector<child_spec> children;
  children.push_back(
      service_child<dir_watcher>("watch", "dir_watcher", {{"path", dir.string()}}));
  children.push_back(service_child<file_report>("report", "file_report", {}));
  service_tree t{{"File.Detected.#", "File.Report.#"}, std::move(children)};
  write_file(dir / "a", "aa");
  write_file(dir / "b", "bbb");
  ASSERT_TRUE(t.box->wait_for("File.Detected.#", 2));
  auto first = body_of(t.box->on("File.Detected.#")[0]);
  auto now = wall_clock_ms();
  // Two hours ago: outside the window. And a duplicate of `a`: listed once.
  ASSERT_TRUE(t.deliver(detection("/elsewhere/old", 1, 1, now - 2 * 3600 * 1000)));
  ASSERT_TRUE(t.deliver(detection(first["path"], first["size"], first["mtime"], now)));
  EXPECT_EQ(t.value("report", "files"), "3");
  ASSERT_TRUE(t.deliver("File.ReportRequest.n1", {{"id", "r1"}}));
  ASSERT_TRUE(t.box->wait_for("File.Report.#", 1));
  auto report = t.box->on("File.Report.#")[0];
  EXPECT_EQ(report.topic, "File.Report.n1");
  auto body = body_of(report);
  EXPECT_EQ(body["id"], "r1");
  EXPECT_EQ(body["program"], "test");
  EXPECT_EQ(body["node"], "n1");
  EXPECT_EQ(body["window_s"], 3600);
  EXPECT_GE(body["time"].get<int64_t>(), now);
  ASSERT_EQ(body["count"], 2);
  ASSERT_EQ(body["files"].size(), 2u);
  EXPECT_EQ(body["files"][0]["path"], (dir / "a").string());
  EXPECT_EQ(body["files"][0]["size"], 2);
  EXPECT_EQ(body["files"][0]["mtime"], first["mtime"]);
  EXPECT_LE(body["files"][0]["detected"].get<int64_t>(), now);
  EXPECT_GT(body["files"][0]["detected"].get<int64_t>(), now - 60000);
  EXPECT_EQ(body["files"][1]["path"], (dir / "b").string());
  EXPECT_EQ(body["files"][1]["size"], 3);
  // The prune tick drops what is older than the window.
  ASSERT_TRUE(t.tick("report", "prune"));
  EXPECT_EQ(t.value("report", "files"), "2");
  EXPECT_EQ(t.value("report", "reports"), "1");
  // A request without an id: the same files, an empty id.
  ASSERT_TRUE(t.deliver("File.ReportRequest.n1", nlohmann::json::object()));
  ASSERT_TRUE(t.box->wait_for("File.Report.#", 2));
  body = body_of(t.box->on("File.Report.#")[1]);
  EXPECT_EQ(body["id"], "");
  EXPECT_EQ(body["count"], 2);
}

TEST_F(services_test, file_report_keeps_at_most_max_files_and_takes_its_topics) {
  std::vector<child_spec> children;
  children.push_back(service_child<file_report>("report", "file_report",
                                                {{"max_files", 2},
                                                 {"window_s", 60},
                                                 {"detected", "File.Detected.*"},
                                                 {"request", "Report.Please"},
                                                 {"topic", "Report.Here"}}));
  service_tree t{{"Report.Here"}, std::move(children)};
  auto now = wall_clock_ms();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(t.deliver(detection("/f" + std::to_string(i), i, i, now)));
  ASSERT_TRUE(t.deliver("Report.Please", {{"id", "x"}}));
  ASSERT_TRUE(t.box->wait_for("Report.Here", 1));
  auto body = body_of(t.box->on("Report.Here")[0]);
  EXPECT_EQ(body["window_s"], 60);
  ASSERT_EQ(body["count"], 2);
  EXPECT_EQ(body["files"][0]["path"], "/f1");
  EXPECT_EQ(body["files"][1]["path"], "/f2");
}

TEST_F(services_test, health_answers_from_the_tree_diagnostics) {
  std::vector<child_spec> children;
  auto h = worker("health", make_factory<health>());
  h.type = "health";
  children.push_back(h);
  service_tree t{{"Health.Response.#"}, std::move(children)};
  ASSERT_TRUE(t.deliver("Health.Request", {{"id", "h1"}}));
  ASSERT_TRUE(t.box->wait_for("Health.Response.#", 1));
  auto answer = t.box->on("Health.Response.#")[0];
  EXPECT_EQ(answer.topic, "Health.Response.test.n1");
  EXPECT_EQ(answer.source, "root/health");
  auto body = body_of(answer);
  EXPECT_EQ(body["id"], "h1");
  EXPECT_EQ(body["program"], "test");
  EXPECT_EQ(body["node"], "n1");
  EXPECT_EQ(body["pid"], static_cast<int64_t>(::getpid()));
  EXPECT_GE(body["uptime_s"].get<int64_t>(), 0);
  EXPECT_LT(body["uptime_s"].get<int64_t>(), 60);
  EXPECT_EQ(body["status"], "ok");
  std::vector<std::string> paths;
  for (auto& s : body["services"]) {
    paths.push_back(s["path"]);
    EXPECT_EQ(s["state"], "running");
    EXPECT_EQ(s["restarts"], 0);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"root", "root/collector", "root/health"}));
  EXPECT_EQ(t.value("health", "answered"), "1");
  // A request without an id: an empty one.
  ASSERT_TRUE(t.deliver("Health.Request", nlohmann::json::object()));
  ASSERT_TRUE(t.box->wait_for("Health.Response.#", 2));
  EXPECT_EQ(body_of(t.box->on("Health.Response.#")[1])["id"], "");
}

/// The gateway (offline: nothing listens on port 1) with or without a
/// `health` child: exactly one answer per request.
void one_health_answer(const fs::path& outbox, bool with_health,
                       const std::string& from) {
  gateway_settings gw;
  gw.link.url = "amqp://guest:guest@127.0.0.1:1";
  gw.link.connect_timeout = std::chrono::milliseconds{200};
  gw.outbox.dir = outbox.string();
  std::vector<child_spec> children;
  if (with_health) {
    auto h = worker("health", make_factory<health>());
    h.type = "health";
    children.push_back(h);
  }
  service_tree t{{"Health.Response.#", "Test.Barrier"}, std::move(children), &gw};
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(t.deliver("Health.Request", {{"id", std::to_string(i)}}));
    // The answers were published before the request was handled; the
    // barrier, published after it, reaches the collector after them.
    ASSERT_TRUE(t.deliver("Test.Barrier", nlohmann::json::object()));
    ASSERT_TRUE(t.box->wait_for("Test.Barrier", i));
    auto answers = t.box->on("Health.Response.#");
    ASSERT_EQ(answers.size(), static_cast<size_t>(i));
    EXPECT_EQ(answers.back().source, from);
    EXPECT_EQ(body_of(answers.back())["id"], std::to_string(i));
  }
}

TEST_F(services_test, gateway_answers_health_only_without_a_health_child) {
  one_health_answer(base.path() / "outbox1", false, "root/rabbitmq");
  one_health_answer(base.path() / "outbox2", true, "root/health");
}

TEST_F(services_test, registry_of_the_system_is_the_trees) {
  service_tree t{{}, {}};
  auto reg = registry_of(t.sys());
  ASSERT_NE(reg, nullptr);
  EXPECT_NE(reg->find("root/collector"), nullptr);
}

} // namespace
} // namespace warden::test
