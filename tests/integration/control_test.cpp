// The control plane across processes: `warden run` (examples/custom_main)
// driven by the `warden` client subcommands and by a plain CAF program (this
// test) through remote_actor; token refusal, malformed requests, a remote
// monitor, TLS with a self-signed certificate made here.

#include <functional>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/control/protocol.hpp"

namespace {

using namespace warden::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct client_result {
  int code = -1;
  std::string out;
};

class control_test : public cli_test {
protected:
  void SetUp() override {
    cli_test::SetUp();
    port_ = free_port();
  }

  /// A config with the control plane on a private port and two children.
  std::string config(const std::string& control_extra = "token = \"s3cret\";") {
    return "program = \"ctl\";\nnode = \"n1\";\nconfig_check_s = 60;\n"
           "control = { listen = \"127.0.0.1\"; port = " +
           std::to_string(port_) + "; " + control_extra +
           " };\n"
           "supervisor = { intensity = 10; period_s = 10; children = (\n"
           "  { name = \"beat\"; type = \"heartbeat\"; params = { every_ms = 60000; }; "
           "},\n"
           "  { name = \"hello\"; type = \"greeter\"; params = { name = \"ann\"; };\n"
           "    schedule = ( { every = \"1h\"; tick = \"scan\"; } ); },\n"
           "  { name = \"team\"; type = \"supervisor\"; strategy = \"rest_for_one\"; "
           "children = (\n"
           "    { name = \"a\"; type = \"greeter\"; params = { name = \"a\"; }; },\n"
           "    { name = \"b\"; type = \"greeter\"; params = { name = \"b\"; }; } ); }\n"
           "); };\n";
  }

  /// Starts warden on `text`; waits until it listens.
  void start_warden(const std::string& text) {
    config_path_ = cfg(text);
    fs::remove(dir_ / "warden.log"); // not the log of an earlier run
    warden_ = std::make_unique<process>(
        std::vector<std::string>{WARDEN_TEST_PROGRAM, "run", "-c", config_path_.string()},
        dir_ / "warden.log");
    ASSERT_TRUE(await_in(dir_ / "warden.log", "control: listening", 1, 20s));
    ASSERT_TRUE(await_in(dir_ / "warden.log", "tree running", 1, 20s));
  }

  /// The client subcommand `args` (with -c of the running config).
  client_result client(std::vector<std::string> args, bool with_config = true) {
    args.insert(args.begin(), WARDEN_TEST_PROGRAM);
    if (with_config) {
      args.push_back("-c");
      args.push_back(config_path_.string());
    }
    auto out = dir_ / "client.txt";
    process p{args, out};
    client_result r;
    r.code = p.wait(20s);
    r.out = read_file(out);
    return r;
  }

  nlohmann::json client_json(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = client(std::move(args));
    EXPECT_EQ(r.code, 0) << r.out;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  bool await_in(const fs::path& file, const std::string& text, size_t times,
                std::chrono::milliseconds deadline) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      if (count(read_file(file), text) >= times)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "no '" << text << "' in " << file << ":\n" << read_file(file);
    return false;
  }

  uint16_t port_ = 0;
  fs::path config_path_;
  std::unique_ptr<process> warden_;
};

TEST_F(control_test, status_tree_and_inspect_in_text_and_json) {
  start_warden(config());
  auto status = client({"status"});
  ASSERT_EQ(status.code, 0) << status.out;
  EXPECT_NE(status.out.find("ctl on n1: ok"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("root/team/b"), std::string::npos) << status.out;
  auto health = client_json({"status"});
  EXPECT_EQ(health["program"], "ctl");
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["services"].size(), 6u);

  auto tree = client({"tree"});
  ASSERT_EQ(tree.code, 0);
  EXPECT_NE(tree.out.find("   ├─ a"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("   └─ b"), std::string::npos) << tree.out;
  auto tree_json = client_json({"tree"});
  EXPECT_EQ(tree_json["path"], "root");
  ASSERT_EQ(tree_json["children"].size(), 3u);
  EXPECT_EQ(tree_json["children"][2]["path"], "root/team");
  EXPECT_EQ(tree_json["children"][2]["children"][1]["path"], "root/team/b");
  auto dot = client({"tree", "--dot"});
  EXPECT_NE(dot.out.find("digraph warden {"), std::string::npos);
  EXPECT_NE(dot.out.find("\"root/team\" -> \"root/team/a\""), std::string::npos)
      << dot.out;

  auto hello = client_json({"inspect", "hello"});
  EXPECT_EQ(hello["path"], "root/hello");
  EXPECT_EQ(hello["type"], "greeter");
  EXPECT_EQ(hello["state"], "running");
  for (auto key : {"restarts", "last_exit", "exits", "uptime_s", "mailbox", "handled",
                   "flags", "values", "schedules"})
    EXPECT_TRUE(hello.contains(key)) << key;
  ASSERT_EQ(hello["schedules"].size(), 1u);
  EXPECT_EQ(hello["schedules"][0]["tick"], "scan");
  EXPECT_TRUE(hello["schedules"][0].contains("next"));
  auto team = client_json({"inspect", "root/team"});
  EXPECT_EQ(team["strategy"], "rest_for_one");
  EXPECT_EQ(team["children"].size(), 2u);
  auto text = client({"inspect", "root/team"});
  EXPECT_NE(text.out.find("rest_for_one"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 of 1 restarts used in 5000 ms"), std::string::npos)
      << text.out;
}

TEST_F(control_test, restart_shows_in_tail_and_stop_keeps_a_child_stopped) {
  start_warden(config());
  auto tail_out = dir_ / "tail.txt";
  process tail{{WARDEN_TEST_PROGRAM, "tail", "-c", config_path_.string()}, tail_out};
  // The tail is subscribed once a first event arrives; make events until then.
  auto restart = client({"restart", "hello", "--token", "s3cret"});
  ASSERT_EQ(restart.code, 0) << restart.out;
  EXPECT_NE(restart.out.find("restarted root/hello"), std::string::npos) << restart.out;
  auto until = std::chrono::steady_clock::now() + 10s;
  while (read_file(tail_out).find("root/hello") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    client({"restart", "hello", "--token", "s3cret"});
  }
  EXPECT_NE(read_file(tail_out).find("started  root/hello"), std::string::npos)
      << read_file(tail_out);
  EXPECT_EQ(client_json({"inspect", "hello"})["state"], "running");

  ASSERT_EQ(client({"stop", "hello", "--token", "s3cret"}).code, 0);
  EXPECT_EQ(client_json({"inspect", "hello"})["state"], "stopped");
  EXPECT_TRUE(await_in(tail_out, "stopped  root/hello", 1, 10s));
  ASSERT_EQ(client({"start", "hello", "--token", "s3cret"}).code, 0);
  EXPECT_EQ(client_json({"inspect", "hello"})["state"], "running");
  // A supervisor restarts its subtree.
  ASSERT_EQ(client({"restart", "team", "--token", "s3cret"}).code, 0);
  EXPECT_TRUE(await_in(tail_out, "started  root/team/b", 1, 10s));
  warden_->signal(SIGTERM);
  EXPECT_EQ(warden_->wait(20s), 0);
  EXPECT_EQ(tail.wait(10s), 0) << "tail ends when warden goes away";
}

TEST_F(control_test, disable_persists_in_the_file_and_survives_a_restart) {
  start_warden(config());
  auto r = client({"disable", "team/a", "--token", "s3cret"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(client_json({"inspect", "team/a"})["state"], "disabled");
  auto text = read_file(config_path_);
  EXPECT_NE(text.find("name = \"a\"; type = \"greeter\"; params = { name = \"a\"; }; "
                      "enabled = false;"),
            std::string::npos)
      << text;
  warden_->signal(SIGTERM);
  ASSERT_EQ(warden_->wait(20s), 0);
  start_warden(read_file(config_path_));
  EXPECT_EQ(client_json({"inspect", "team/a"})["state"], "disabled");
  ASSERT_EQ(client({"enable", "team/a", "--token", "s3cret"}).code, 0);
  EXPECT_EQ(client_json({"inspect", "team/a"})["state"], "running");
  EXPECT_EQ(client_json({"tree"})["children"][2]["children"][0]["state"], "running");
}

TEST_F(control_test, the_token_guards_mutating_commands) {
  start_warden(config());
  auto no_token = client({"restart", "hello", "--token", "wrong"});
  EXPECT_EQ(no_token.code, 4);
  EXPECT_NE(no_token.out.find("refused"), std::string::npos) << no_token.out;
  EXPECT_EQ(client_json({"inspect", "hello"})["restarts"], 0) << "nothing changed";
  // The config's token is the client's default; reads need none.
  EXPECT_EQ(client({"restart", "hello"}).code, 0);
  EXPECT_EQ(client({"status", "--token", "wrong"}).code, 0);
  EXPECT_EQ(read_file(dir_ / "warden.log").find("s3cret"), std::string::npos)
      << "the token is never logged";
}

TEST_F(control_test, exit_code_4_when_nothing_listens) {
  auto r =
      client({"status", "--connect", "127.0.0.1:" + std::to_string(free_port())}, false);
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_NE(r.out.find("cannot connect"), std::string::npos) << r.out;
  EXPECT_EQ(client({"status", "--connect", "nonsense"}, false).code, 2);
}

/// A plain CAF program: the typed messages through remote_actor.
class remote_test : public control_test {
protected:
  void SetUp() override {
    control_test::SetUp();
    warden::runtime_options rt;
    rt.threads = 2;
    cfg_ = std::make_unique<warden::system_config>(rt);
    warden::add_control_types(*cfg_, true, false);
    sys_ = std::make_unique<caf::actor_system>(*cfg_);
  }

  void TearDown() override {
    sys_.reset();
    cfg_.reset();
    control_test::TearDown();
  }

  caf::actor connect() {
    auto remote = sys_->middleman().remote_actor("127.0.0.1", port_);
    EXPECT_TRUE(remote) << sys_->render(remote.error());
    return remote ? *remote : caf::actor{};
  }

  warden::control_reply ask(const caf::actor& ctl, const caf::message& msg) {
    caf::scoped_actor self{*sys_};
    warden::control_reply out;
    out.error = "no reply";
    self->request(ctl, 10s, msg)
        .receive([&](warden::control_reply& r) { out = r; },
                 [&](caf::error& err) { out.error = "error: " + sys_->render(err); });
    return out;
  }

  std::unique_ptr<warden::system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
};

TEST_F(remote_test, malformed_requests_get_errors_and_change_nothing) {
  start_warden(config());
  auto ctl = connect();
  ASSERT_TRUE(ctl);
  using req = warden::control_request;
  struct bad_case {
    req r;
    const char* expect;
  };
  std::vector<bad_case> cases = {
      {req{"", "", {}, "", "1"}, "unknown command ''"},
      {req{"frobnicate", "", {}, "", "2"}, "unknown command 'frobnicate'"},
      {req{"STATUS", "", {}, "", "3"}, "unknown command 'STATUS'"},
      {req{"inspect", "", {}, "", "4"}, "needs a PATH"},
      {req{"inspect", "root/nope", {}, "", "5"}, "no child at 'root/nope'"},
      {req{"inspect", "nope/deeper", {}, "", "6"}, "no child at 'root/nope/deeper'"},
      {req{"inspect", "root//hello", {}, "", "7"}, "no child at"},
      {req{"status", "root/hello", {}, "", "8"}, "takes no PATH"},
      {req{"tree", "x", {}, "", "9"}, "takes no PATH"},
      {req{"status", "", {"--all"}, "", "10"}, "takes no arguments"},
      {req{"restart", "hello", {}, "", "11"}, "refused"},
      {req{"restart", "hello", {}, "wrong", "12"}, "refused"},
      {req{"restart", "hello", {}, "s3cret ", "13"}, "refused"},
      {req{"stop", "hello", {}, "S3CRET", "14"}, "refused"},
      {req{"enable", "hello", {}, "", "15"}, "refused"},
      {req{"reload", "", {}, "", "16"}, "refused"},
      {req{"restart", "", {}, "s3cret", "17"}, "needs a PATH"},
      {req{"restart", "root", {}, "s3cret", "18"}, "the root cannot be restarted"},
      {req{"stop", "root", {}, "s3cret", "19"}, "the root cannot be stopped"},
      {req{"stop", "root/ghost", {}, "s3cret", "20"}, "no child at 'root/ghost'"},
      {req{"enable", "root", {}, "s3cret", "21"}, "no configured child 'root'"},
      {req{"reload", "root/hello", {}, "s3cret", "22"}, "takes no PATH"},
  };
  for (auto& c : cases) {
    auto reply = ask(ctl, caf::make_message(c.r));
    EXPECT_FALSE(reply.ok) << c.r.command << " " << c.r.target;
    EXPECT_EQ(reply.id, c.r.id);
    EXPECT_NE(reply.error.find(c.expect), std::string::npos)
        << "case " << c.r.id << ": " << reply.error;
  }
  // Not a control_request at all: an error answer, warden unharmed.
  auto stray = ask(ctl, caf::make_message(std::string{"status"}));
  EXPECT_FALSE(stray.ok);
  auto number = ask(ctl, caf::make_message(42, 7.5));
  EXPECT_FALSE(number.ok);
  auto health = ask(ctl, caf::make_message(req{"status", "", {}, "", "ok-1"}));
  ASSERT_TRUE(health.ok) << health.error;
  auto body = nlohmann::json::parse(health.result);
  EXPECT_EQ(body["status"], "ok");
  for (auto& s : body["services"])
    EXPECT_EQ(s["restarts"], 0) << s.dump();
}

TEST_F(remote_test, a_remote_monitor_sees_warden_go_down) {
  start_warden(config());
  auto ctl = connect();
  ASSERT_TRUE(ctl);
  caf::scoped_actor self{*sys_};
  self->monitor(ctl);
  warden_->signal(SIGTERM);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(20s) >> [] {});
  EXPECT_TRUE(down);
  EXPECT_EQ(warden_->wait(20s), 0);
}

TEST_F(control_test, tls_with_a_self_signed_certificate) {
  auto key = dir_ / "key.pem";
  auto cert = dir_ / "cert.pem";
  auto made = std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
                           "/CN=127.0.0.1 -keyout " +
                           key.string() + " -out " + cert.string() + " 2>/dev/null")
                              .c_str());
  ASSERT_EQ(made, 0) << "openssl could not make a certificate";
  start_warden(config("token = \"s3cret\"; tls_cert = \"" + cert.string() +
                      "\"; tls_key = \"" + key.string() + "\";"));
  EXPECT_NE(read_file(dir_ / "warden.log").find("(TLS)"), std::string::npos);
  auto r = client({"status", "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["program"], "ctl");
  // A plain connection does not get an answer from the TLS port.
  auto plain =
      client({"status", "--connect", "127.0.0.1:" + std::to_string(port_)}, false);
  EXPECT_NE(plain.code, 0);
}

} // namespace

// -- issue 13: the real binary never leaves a child dead while saying ok ------

class supervision_cli_test : public control_test {
protected:
  std::string tree_config(const std::string& children) {
    return "program = \"sup\";\nnode = \"n1\";\nconfig_check_s = 3600;\n"
           "control = { listen = \"127.0.0.1\"; port = " +
           std::to_string(port_) +
           "; token = \"s3cret\"; };\n"
           "supervisor = { intensity = 10; period_s = 10; children = (\n" +
           children + "\n); };\n";
  }

  /// Polls `inspect PATH --json` until `pred` holds (20 s).
  nlohmann::json await_inspect(const std::string& path,
                               const std::function<bool(const nlohmann::json&)>& pred) {
    auto until = std::chrono::steady_clock::now() + 20s;
    nlohmann::json last;
    while (std::chrono::steady_clock::now() < until) {
      auto r = client({"inspect", path, "--json"});
      if (r.code == 0) {
        last = nlohmann::json::parse(r.out, nullptr, false);
        if (!last.is_discarded() && pred(last))
          return last;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "inspect " << path << " never matched; last: " << last.dump();
    return last;
  }

  static std::function<bool(const nlohmann::json&)> in_state(const std::string& state) {
    return [state](const nlohmann::json& j) { return j.value("state", "") == state; };
  }
};

TEST_F(supervision_cli_test, a_reload_that_renames_a_child_starts_the_new_one) {
  auto beat = [](const std::string& name) {
    return "  { name = \"" + name +
           "\"; type = \"heartbeat\"; params = { every_ms = 60000; }; }";
  };
  start_warden(tree_config(beat("beat1") + ",\n" + beat("beat2") + ",\n" + beat("tail")));
  write_file(config_path_,
             tree_config(beat("beat1") + ",\n" + beat("beat3") + ",\n" + beat("tail")));
  auto reload = client({"reload", "--token", "s3cret"});
  ASSERT_EQ(reload.code, 0) << reload.out;
  EXPECT_NE(reload.out.find("added=[root/beat3] removed=[root/beat2]"), std::string::npos)
      << reload.out;
  await_inspect("root/beat3", in_state("running"));
  auto status = client({"status"});
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_EQ(status.out.find("root/beat2"), std::string::npos) << status.out;
}

TEST_F(supervision_cli_test, a_child_of_a_finished_dependency_restarts_after_kill_9) {
  start_warden(tree_config(
      "  { name = \"migrate\"; type = \"process\"; restart = \"transient\";\n"
      "    command = [ \"/bin/sh\", \"-c\", \"sleep 0.3; exit 0\" ]; },\n"
      "  { name = \"app\"; type = \"process\"; depends_on = [ \"migrate\" ];\n"
      "    command = [ \"/bin/sleep\", \"1000\" ]; }"));
  await_inspect("root/migrate", in_state("done"));
  auto app = await_inspect("root/app", in_state("running"));
  auto pid = app.value("pid", 0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  auto again = await_inspect("root/app", [pid](const nlohmann::json& j) {
    return j.value("state", "") == "running" && j.value("restarts", 0) == 1 &&
           j.value("pid", 0) != pid;
  });
  EXPECT_EQ(again.value("restarts", 0), 1);
  // An operator's restart too.
  auto restart = client({"restart", "root/app", "--token", "s3cret"});
  EXPECT_EQ(restart.code, 0) << restart.out;
  EXPECT_EQ(client({"status"}).code, 0);
}

TEST_F(supervision_cli_test,
       a_one_shot_runs_before_its_dependants_and_status_tells_waiting) {
  start_warden(tree_config(
      "  { name = \"migrate\"; type = \"process\"; restart = \"transient\"; ready = "
      "\"exit\";\n"
      "    command = [ \"/bin/sh\", \"-c\", \"sleep 0.5; exit 0\" ]; },\n"
      "  { name = \"app\"; type = \"process\"; depends_on = [ \"migrate\" ];\n"
      "    command = [ \"/bin/sleep\", \"1000\" ]; }"));
  // "tree running" comes only once the one-shot is done and app started.
  auto migrate = client_json({"inspect", "root/migrate"});
  EXPECT_EQ(migrate["state"], "done");
  auto app = client_json({"inspect", "root/app"});
  EXPECT_EQ(app["state"], "running");
  // The dependency stopped by an operator: a crashed app waits, says why,
  // and the tree is degraded (status exits 5).
  ASSERT_EQ(client({"stop", "root/migrate", "--token", "s3cret"}).code, 0);
  auto pid = app.value("pid", 0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  auto waiting = await_inspect("root/app", in_state("waiting"));
  EXPECT_EQ(waiting["values"].value("waiting_for", ""), "root/migrate (stopped)");
  auto status = client({"status"});
  EXPECT_EQ(status.code, 5) << status.out;
  EXPECT_NE(status.out.find("degraded"), std::string::npos) << status.out;
  auto restart = client({"restart", "root/app", "--token", "s3cret"});
  EXPECT_EQ(restart.code, 1) << restart.out;
  EXPECT_NE(restart.out.find("depends on root/migrate, which is stopped"),
            std::string::npos)
      << restart.out;
  EXPECT_NE(read_file(dir_ / "warden.log").find("child=root/app event=waiting"),
            std::string::npos);
  // Running the one-shot again lets app start.
  ASSERT_EQ(client({"start", "root/migrate", "--token", "s3cret"}).code, 0);
  await_inspect("root/app", in_state("running"));
  EXPECT_EQ(client({"status"}).code, 0);
}
