// `warden --help` and `warden COMMAND --help` for every command: exit 0, a
// description, and every option and argument that README.md's command line
// names for it. The table below is README's "The command line" and "The
// control plane" sections; each of its words must also appear in README.md
// itself (WARDEN_README), so the two cannot drift apart unnoticed.

#include "cli_fixture.hpp"

namespace {

using namespace warden::test;

struct command_help {
  std::vector<std::string> args;      // the command, e.g. {"config", "get"}
  std::string description;            // the first line of its help
  std::vector<std::string> must_list; // options and arguments README names
};

const std::vector<std::string> client_options = {
    "-c,--config FILE", "--connect HOST:PORT", "--token T", "--json", "--tls"};

std::vector<std::string> client(std::vector<std::string> extra = {}) {
  auto out = client_options;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

const std::vector<command_help> commands = {
    {{},
     "warden: a supervision tree for C++ services on CAF",
     {"run", "check", "config", "status", "tree", "inspect", "restart", "stop", "start",
      "enable", "disable", "reload", "tail", "version", "Exit codes: 0 clean stop"}},
    {{"run"},
     "run the tree in the foreground",
     {"-c,--config FILE", "--set KEY=VALUE", "SIGHUP reloads"}},
    {{"check"},
     "validate the config; print every error as FILE:LINE: setting: message",
     {"-c,--config FILE"}},
    {{"config"}, "show or edit the config", {"-c,--config FILE", "dump", "get", "set"}},
    {{"config", "dump"}, "print the effective config (secrets redacted)", {}},
    {{"config", "get"}, "print one setting", {"KEY"}},
    {{"config", "set"},
     "change one setting in the file, keeping its layout; written only if valid",
     {"KEY", "VALUE"}},
    {{"status"},
     "show the tree's health (the same object as a Health.Response)",
     client()},
    {{"tree"}, "show the supervision tree", client({"--dot"})},
    {{"inspect"},
     "show one child: state, exits, diagnostics, schedules",
     client({"PATH"})},
    {{"restart"},
     "restart a child (a supervisor: its subtree, in order)",
     client({"PATH"})},
    {{"stop"}, "stop a child; it stays stopped until `start`", client({"PATH"})},
    {{"start"}, "start a stopped child", client({"PATH"})},
    {{"enable"}, "enable a child, persisted in the config file", client({"PATH"})},
    {{"disable"}, "disable a child, persisted in the config file", client({"PATH"})},
    {{"reload"}, "reload the config file now", client()},
    {{"tail"}, "stream lifecycle events until Ctrl-C", client()},
    {{"version"}, "print the version", {}},
};

/// How README.md writes an entry of `must_list`: `-c,--config FILE` as
/// `-c FILE`, everything else as it is.
std::string readme_form(const std::string& entry) {
  if (entry.rfind("-c,--config ", 0) == 0)
    return "-c " + entry.substr(12);
  return entry;
}

class help_test : public cli_test {};

TEST_F(help_test, every_command_has_help_that_matches_readme) {
  auto readme = read_file(WARDEN_README);
  ASSERT_FALSE(readme.empty()) << WARDEN_README;
  for (auto& cmd : commands) {
    auto args = cmd.args;
    args.push_back("--help");
    std::string name = "warden";
    for (auto& a : cmd.args)
      name += " " + a;
    EXPECT_EQ(run(args), 0) << name << " --help:\n" << output();
    auto text = output();
    EXPECT_EQ(text.substr(0, text.find('\n')), cmd.description) << name << ":\n" << text;
    for (auto& entry : cmd.must_list) {
      EXPECT_NE(text.find(entry), std::string::npos)
          << name << " --help does not list '" << entry << "':\n"
          << text;
      if (!cmd.args.empty()) {
        EXPECT_NE(readme.find(readme_form(entry)), std::string::npos)
            << "README.md does not name '" << readme_form(entry) << "' (" << name << ")";
      }
    }
  }
}

TEST_F(help_test, an_unknown_option_is_a_usage_error) {
  EXPECT_EQ(run({"run", "--frobnicate"}), 2);
  EXPECT_EQ(run({"tree", "--dot", "--frobnicate"}), 2);
  EXPECT_EQ(run({"config", "get"}), 2); // KEY is required
}

} // namespace
