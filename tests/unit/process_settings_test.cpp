// The pure parts of the `process` type: its settings (as the config loader
// hands them over) with every bad key named, the params rendered as
// libconfig text (read back by libconfig itself), exit reasons, and the
// type's errors as `warden check` reports them.

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <libconfig.h++>
#include <nlohmann/json.hpp>

#include "warden/config/load.hpp"
#include "warden/services/process.hpp"

namespace warden {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string error_of(const json& settings) {
  try {
    parse_process_settings(settings);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(process_settings, defaults_and_every_key) {
  auto s = parse_process_settings(json{{"command", {"/usr/bin/python3", "worker.py"}}});
  EXPECT_EQ(s.command, (std::vector<std::string>{"/usr/bin/python3", "worker.py"}));
  EXPECT_TRUE(s.env.empty());
  EXPECT_EQ(s.cwd, "");
  EXPECT_EQ(s.user, "");
  EXPECT_FALSE(s.stdin_section);
  EXPECT_FALSE(s.has_port());
  EXPECT_EQ(s.ready, process_ready::started);
  EXPECT_EQ(s.ready_timeout, 30000ms);
  s = parse_process_settings(json{{"command", {"w", "--n", 3}},
                                  {"env", {{"A", "x"}, {"N", 5}, {"B", true}}},
                                  {"cwd", "/srv"},
                                  {"user", "nobody"},
                                  {"stdin", "section"},
                                  {"port", "auto"},
                                  {"ready", "port"},
                                  {"ready_timeout_ms", 0}});
  EXPECT_EQ(s.command, (std::vector<std::string>{"w", "--n", "3"}));
  EXPECT_EQ(s.env,
            (std::map<std::string, std::string>{{"A", "x"}, {"B", "true"}, {"N", "5"}}));
  EXPECT_EQ(s.cwd, "/srv");
  EXPECT_EQ(s.user, "nobody");
  EXPECT_TRUE(s.stdin_section);
  EXPECT_TRUE(s.port_auto);
  EXPECT_EQ(s.ready, process_ready::port);
  EXPECT_EQ(s.ready_timeout, 0ms);
  s = parse_process_settings(json{{"command", {"w"}}, {"port", 8080}, {"stdin", "null"}});
  EXPECT_EQ(s.port, 8080);
  EXPECT_FALSE(s.port_auto);
  EXPECT_FALSE(s.stdin_section);
}

TEST(process_settings, bad_settings_are_all_named) {
  EXPECT_EQ(error_of(json::object()),
            "missing setting 'command' (the program and its arguments, e.g. command = [ "
            "\"/usr/bin/python3\", \"worker.py\" ])");
  EXPECT_EQ(
      error_of(json{{"command", "/bin/true"}}),
      "command: must be a non-empty array of strings [ \"/path/to/program\", \"arg\", "
      "... ]");
  EXPECT_EQ(
      error_of(json{{"command", json::array()}}),
      "command: must be a non-empty array of strings [ \"/path/to/program\", \"arg\", "
      "... ]");
  EXPECT_EQ(error_of(json{{"command", {"a", {{"x", 1}}}}}),
            "command[1]: must be a string");
  EXPECT_EQ(error_of(json{{"command", {""}}}),
            "command[0]: the program must not be empty");
  EXPECT_EQ(
      error_of(json{{"command", {"a"}},
                    {"env", {{"A", {1, 2}}}},
                    {"stdin", "params"},
                    {"port", 0},
                    {"ready", "listening"},
                    {"ready_timeout_ms", -1},
                    {"cwd", ""},
                    {"user", 7}}),
      "env.A: must be a string, number or boolean; cwd: must be a non-empty string; "
      "user: must be a non-empty string; stdin: must be \"section\" (the params as "
      "text) or \"null\"; port: must be \"auto\" or a port number 1..65535; ready: "
      "must be \"started\", \"port\", \"notify\" or \"exit\"; ready_timeout_ms: must be "
      "a number "
      "of milliseconds (0: wait forever)");
  EXPECT_EQ(error_of(json{{"command", {"a"}}, {"env", "A=1"}}),
            "env: must be a group { NAME = \"value\"; ... }");
  EXPECT_EQ(error_of(json{{"command", {"a"}}, {"port", 70000}}),
            "port: must be \"auto\" or a port number 1..65535");
  EXPECT_EQ(error_of(json{{"command", {"a"}}, {"ready", "port"}}),
            "ready: \"port\" needs a port (port = \"auto\" or a number)");
}

TEST(process_settings, the_type_lists_its_keys) {
  auto type = process_service_type();
  EXPECT_EQ(type.settings_keys,
            (std::vector<std::string>{"command", "env", "cwd", "user", "stdin", "port",
                                      "ready", "ready_timeout_ms"}));
  EXPECT_TRUE(type.make(json{{"command", {"/bin/true"}}}));
  EXPECT_THROW(type.make(json::object()), std::invalid_argument);
}

TEST(process_settings, ready_names_round_trip) {
  for (auto x : {process_ready::started, process_ready::port, process_ready::notify}) {
    process_ready y = process_ready::started;
    EXPECT_TRUE(from_string(to_string(x), y));
    EXPECT_EQ(x, y);
  }
  process_ready y;
  EXPECT_FALSE(from_string("ready", y));
}

// -- params as libconfig text ------------------------------------------------

TEST(process_params_text, reads_back_through_libconfig) {
  auto params = json::parse(R"({
    "name": "a \"quoted\" \\ name\twith\ncontrols\u0001",
    "n": -3, "big": 5000000000, "ratio": 0.25, "whole": 2.0, "on": false,
    "ints": [1, 2, 3], "mixed_ints": [1, 5000000000], "floats": [0.5, 1.5],
    "words": ["x", "y"], "none": [], "list": [1, "two", {"three": 3}],
    "nested": [[1, 2], [3]], "group": {"inner": {"deep": "yes"}}, "skipped": null
  })");
  auto text = params_to_config_text(params);
  libconfig::Config cfg;
  ASSERT_NO_THROW(cfg.readString(text)) << text;
  auto& root = cfg.getRoot();
  EXPECT_EQ(std::string{root["name"].c_str()},
            "a \"quoted\" \\ name\twith\ncontrols\x01");
  EXPECT_EQ(static_cast<int>(root["n"]), -3);
  EXPECT_EQ(root["big"].getType(), libconfig::Setting::TypeInt64);
  EXPECT_EQ(static_cast<long long>(root["big"]), 5000000000LL);
  EXPECT_DOUBLE_EQ(static_cast<double>(root["ratio"]), 0.25);
  EXPECT_EQ(root["whole"].getType(), libconfig::Setting::TypeFloat);
  EXPECT_FALSE(static_cast<bool>(root["on"]));
  EXPECT_TRUE(root["ints"].isArray());
  EXPECT_EQ(root["mixed_ints"][1].getType(), libconfig::Setting::TypeInt64);
  EXPECT_EQ(static_cast<long long>(root["mixed_ints"][0]), 1);
  EXPECT_TRUE(root["floats"].isArray());
  EXPECT_EQ(std::string{root["words"][0].c_str()}, "x");
  EXPECT_EQ(root["none"].getLength(), 0);
  EXPECT_TRUE(root["list"].isList());
  EXPECT_EQ(static_cast<int>(root["list"][2]["three"]), 3);
  EXPECT_TRUE(root["nested"].isList());
  EXPECT_EQ(static_cast<int>(root["nested"][0][1]), 2);
  EXPECT_EQ(std::string{root["group"]["inner"]["deep"].c_str()}, "yes");
  EXPECT_FALSE(root.exists("skipped"));
}

TEST(process_params_text, one_setting_per_line_groups_indented) {
  EXPECT_EQ(
      params_to_config_text(json::parse(R"({"a": 1, "g": {"b": "x", "c": [true]}})")),
      "a = 1;\ng = {\n  b = \"x\";\n  c = [ true ];\n};\n");
  EXPECT_EQ(params_to_config_text(json{}), "");
  EXPECT_EQ(params_to_config_text(json::object()), "");
}

TEST(process_params_text, what_libconfig_cannot_hold_is_an_error) {
  EXPECT_THROW(params_to_config_text(json{{"not a name", 1}}), std::invalid_argument);
  EXPECT_THROW(params_to_config_text(json{{"g", {{"1st", 1}}}}), std::invalid_argument);
  EXPECT_THROW(params_to_config_text(json{{"x", std::nan("")}}), std::invalid_argument);
}

TEST(process_exit, reasons_read_like_a_shell_would_say_them) {
  EXPECT_EQ(describe_exit(3, 0), "exit 3");
  EXPECT_EQ(describe_exit(0, 0), "exit 0");
  EXPECT_EQ(describe_exit(-1, 11), "signal 11 (SIGSEGV)");
  EXPECT_EQ(describe_exit(-1, 9), "signal 9 (SIGKILL)");
  EXPECT_EQ(describe_exit(-1, 6, true), "signal 6 (SIGABRT, core dumped)");
}

// -- as `warden check` sees it -------------------------------------------------

TEST(process_settings, config_errors_name_file_line_and_key) {
  service_types types;
  types.add("process", process_service_type());
  load_options opts;
  opts.types = &types;
  auto r = load_text(R"(supervisor = {
  children = (
    { name = "ok"; type = "process"; command = [ "/bin/true" ]; port = "auto";
      ready = "port"; stdin = "section"; env = { A = "1"; }; },
    { name = "bad"; type = "process"; command = "/bin/true"; port = 0; },
    { name = "typo"; type = "process"; command = [ "/bin/true" ]; prot = "auto"; }
  );
};
)",
                     "test.cfg", opts);
  ASSERT_FALSE(r.ok());
  auto text = to_string(r.errors);
  EXPECT_NE(
      text.find("test.cfg:5: supervisor.children.bad: service type 'process' rejected "
                "its settings: command: must be a non-empty array of strings"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("port: must be \"auto\" or a port number 1..65535"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("test.cfg:6: supervisor.children.typo.prot: unknown setting 'prot' (did "
                "you mean 'port'?)"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("children.ok"), std::string::npos) << text;
}

} // namespace
} // namespace warden
