// The command line as users run it: real processes, real files, signals.
// The program is examples/custom_main (warden's command line plus the
// `greeter` and `flaky` types). Waits are for an event (a pidfd, inotify on
// the output) with a deadline, never a sleep.

#include "cli_fixture.hpp"

namespace {

using namespace warden::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* two_greeters = R"(program = "test";
config_check_s = 1;
supervisor = {
  intensity = 3; period_s = 10;
  children = (
    { name = "beat"; type = "heartbeat"; params = { every_ms = 60000; }; },
    { name = "hello"; type = "greeter"; depends_on = [ "beat" ]; params = { name = "ann"; }; }
  );
};
)";

TEST_F(cli_test, version_and_usage_errors) {
  EXPECT_EQ(run({"version"}), 0);
  EXPECT_NE(output().find("warden "), std::string::npos);
  EXPECT_EQ(run({"frobnicate"}), 2);
  EXPECT_EQ(run({}), 2);
}

TEST_F(cli_test, check_prints_every_error_with_file_and_line) {
  auto path = cfg(R"(supervisor = {
  strategy = "one_for_none";
  children = (
    { name = "a"; type = "greeter"; },
    { name = "a"; type = "greter"; }
  );
};
)");
  EXPECT_EQ(run({"check", "-c", path}), 1);
  auto f = path.string();
  EXPECT_EQ(output(),
            f +
                ":2: supervisor.strategy: unknown strategy 'one_for_none' (did you mean "
                "'one_for_one'?)\n" +
                f +
                ":5: supervisor.children[1].type: unknown service type 'greter' (did you "
                "mean 'greeter'?)\n" +
                f +
                ":5: supervisor.children[1].name: duplicate child name 'a' (first at "
                "line 4)\n");
  EXPECT_EQ(run({"check", "-c", cfg(two_greeters)}), 0);
  EXPECT_NE(output().find("ok (2 children)"), std::string::npos) << output();
}

TEST_F(cli_test, config_from_standard_input) {
  EXPECT_EQ(run({"check", "-c", "-"}, two_greeters), 0) << output();
  EXPECT_EQ(run({"config", "-c", "-", "get", "supervisor.intensity"}, two_greeters), 0);
  EXPECT_EQ(output(), "3\n");
}

TEST_F(cli_test, config_set_edits_one_value_and_keeps_the_rest) {
  auto path = cfg(std::string{"# my comment\n"} + two_greeters);
  EXPECT_EQ(run({"config", "-c", path, "set", "supervisor.intensity", "7"}), 0)
      << output();
  auto text = read_file(path);
  auto expected = std::string{"# my comment\n"} + two_greeters;
  expected.replace(expected.find("intensity = 3"), 13, "intensity = 7");
  EXPECT_EQ(text, expected);
  // An invalid result is refused and the file left alone.
  EXPECT_EQ(run({"config", "-c", path, "set", "supervisor.intensity", "\"many\""}), 1);
  EXPECT_EQ(read_file(path), expected);
}

TEST_F(cli_test, run_stops_gracefully_on_sigint_in_reverse_order) {
  // With a rotating log file next to the config, and quieter services.
  auto config_text =
      std::string{two_greeters} +
      "log = { file = \"logs/warden.log\"; levels = { services = \"warn\"; }; };\n";
  auto p = start({"run", "-c", cfg(config_text)});
  ASSERT_TRUE(await_output("tree running"));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0) << output();
  auto text = output();
  auto hello = text.find("child=root/hello event=stopped");
  auto beat = text.find("child=root/beat event=stopped");
  ASSERT_NE(hello, std::string::npos) << text;
  ASSERT_NE(beat, std::string::npos) << text;
  EXPECT_LT(hello, beat);
  auto file = read_file(dir_ / "logs" / "warden.log");
  EXPECT_NE(file.find("child=root/beat event=stopped"), std::string::npos) << file;
  EXPECT_EQ(text.find("hello, ann"), std::string::npos); // services at warn
}

TEST_F(cli_test, a_root_that_gives_up_exits_with_code_3) {
  auto p = start({"run", "-c", cfg(R"(supervisor = {
  intensity = 2; period_s = 60;
  children = ( { name = "bad"; type = "flaky"; params = { after_ms = 5; }; } );
};
)")});
  EXPECT_EQ(p->wait(), 3) << output();
  EXPECT_NE(output().find("gave up"), std::string::npos);
  EXPECT_NE(output().find("root/bad: service_failed: flaky by design"),
            std::string::npos);
}

TEST_F(cli_test, sighup_applies_changed_params_without_touching_others) {
  auto path = cfg(two_greeters);
  auto p = start({"run", "-c", path});
  ASSERT_TRUE(await_output("hello, ann"));
  auto changed = std::string{two_greeters};
  changed.replace(changed.find("\"ann\""), 5, "\"bob\"");
  write_file(path, changed);
  p->signal(SIGHUP);
  ASSERT_TRUE(await_output("hello again, bob"));
  ASSERT_TRUE(
      await_output("reload: added=[] removed=[] changed=[root/hello] restarted=[]"));
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait(), 0);
  // Nothing was restarted: each child started exactly once.
  EXPECT_EQ(count(output(), "event=started"), 2u) << output();
}

TEST_F(cli_test, a_changed_file_is_reloaded_and_an_invalid_one_refused) {
  auto path = cfg(two_greeters);
  auto p = start({"run", "-c", path});
  ASSERT_TRUE(await_output("tree running"));
  // Invalid: refused whole, the tree stays as it was.
  auto broken = std::string{two_greeters};
  broken.replace(broken.find("intensity = 3"), 13, "intensity = -3");
  write_file(path, broken);
  ASSERT_TRUE(await_output("reload refused"));
  // Valid: a child is added.
  auto added = std::string{two_greeters};
  added.replace(added.find("  );"), 4,
                "    ,{ name = \"extra\"; type = \"greeter\"; params = { name = \"cy\"; "
                "}; }\n  );");
  write_file(path, added);
  ASSERT_TRUE(await_output("hello, cy"));
  ASSERT_TRUE(await_output("added=[root/extra]"));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0);
  EXPECT_EQ(count(output(), "event=started"), 3u) << output();
}

TEST_F(cli_test, scheduled_ticks_reach_a_service_and_survive_a_reload) {
  auto text = std::string{R"(supervisor = {
  children = (
    { name = "scan"; type = "scanner";
      schedule = ( { every = "100ms"; tick = "scan"; at_start = true; } ); }
  );
};
)"};
  auto path = cfg(text);
  auto p = start({"run", "-c", path});
  ASSERT_TRUE(await_output("root/scan: tick scan (at_start)"));
  ASSERT_TRUE(await_output("root/scan: tick scan (regular)", 3));
  // A reload that renames the tick: the child keeps running, new ticks come.
  auto renamed = text;
  renamed.replace(renamed.find("tick = \"scan\""), 13, "tick = \"sweep\"");
  write_file(path, renamed);
  p->signal(SIGHUP);
  ASSERT_TRUE(await_output("root/scan: tick sweep (regular)", 2));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0) << output();
  EXPECT_EQ(count(output(), "event=started"), 1u) << output();
  // The last fire times survive for catch-up after a restart.
  auto saved = read_file(dir_ / "state" / "last_fire");
  EXPECT_NE(saved.find("root/scan#sweep"), std::string::npos) << saved;
}

TEST_F(cli_test, the_embedded_default_runs_without_any_file) {
  // An empty working directory: no ./warden.cfg, no ./etc/warden.cfg.
  auto old = fs::current_path();
  fs::current_path(dir_);
  auto p = start({"run"});
  fs::current_path(old);
  ASSERT_TRUE(await_output("tree running"));
  EXPECT_NE(output().find("<embedded default>"), std::string::npos);
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(), 0) << output();
}

} // namespace
