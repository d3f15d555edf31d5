// `config set` on file text: one value changes, every other byte stays;
// missing settings are added where a person would add them; the atomic
// write that puts the result in place.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "warden/config/atomic_write.hpp"
#include "warden/config/config_edit.hpp"
#include "warden/config/load.hpp"

namespace warden {
namespace {

namespace fs = std::filesystem;

const std::string original = R"(# warden config -- hand-written, keep the comments
program = "file-watch";   # used in topics
log = {
  level = "info";         // the default level
  /* a block
     comment */
  file = "";
};
control = { listen = "127.0.0.1"; port = 4711; };
supervisor = {
    intensity = 5; period_s = 10;
    children = (
      { name = "watcher"; type = "dir_watcher";
        params = { path = "incoming"; };
      },
      { name = "legacy"; type = "process"; command = [ "/bin/true" ]; }
    );
};
)";

std::string set(std::string_view text, std::string_view key, std::string_view value) {
  auto r = set_setting(text, key, value);
  EXPECT_TRUE(r.text) << r.error;
  return r.text.value_or("");
}

TEST(config_edit, replaces_one_value_in_place) {
  auto out = set(original, "supervisor.intensity", "7");
  auto expected = original;
  expected.replace(expected.find("intensity = 5"), 13, "intensity = 7");
  EXPECT_EQ(out, expected);
}

TEST(config_edit, keeps_comments_on_the_edited_line) {
  auto out = set(original, "log.level", "warn");
  auto expected = original;
  expected.replace(expected.find("\"info\""), 6, "\"warn\"");
  EXPECT_EQ(out, expected);
  EXPECT_NE(out.find("level = \"warn\";         // the default level\n"),
            std::string::npos);
}

TEST(config_edit, values_are_read_like_overrides) {
  EXPECT_NE(set(original, "program", "\"a \\\"quoted\\\" name\"")
                .find("program = \"a \\\"quoted\\\" name\";   # used in topics"),
            std::string::npos);
  EXPECT_NE(set(original, "program", "bare words").find("program = \"bare words\";"),
            std::string::npos);
  EXPECT_NE(set(original, "control.port", "0x1000").find("port = 4096;"),
            std::string::npos);
  EXPECT_NE(set(original, "log.file", "").find("file = \"\";"), std::string::npos);
  EXPECT_NE(set(original, "supervisor.children.legacy.command", "[ \"/bin/a\", \"-v\" ]")
                .find("command = [ \"/bin/a\", \"-v\" ];"),
            std::string::npos);
  // A comment in the value cannot swallow the rest of the line: a value
  // that is not a number is a string, and a quoted one is written anew.
  EXPECT_NE(set(original, "control.port", "5000 # five thousand")
                .find("port = \"5000 # five thousand\"; };"),
            std::string::npos);
  EXPECT_NE(
      set(original, "program", "\"p\" # comment").find("program = \"p\";   # used in"),
      std::string::npos);
}

TEST(config_edit, list_items_by_name_or_index) {
  auto out = set(original, "supervisor.children.watcher.params.path", "/srv/in");
  auto expected = original;
  expected.replace(expected.find("\"incoming\""), 10, "\"/srv/in\"");
  EXPECT_EQ(out, expected);
  EXPECT_EQ(set(original, "supervisor.children[0].params.path", "/srv/in"), expected);
  EXPECT_EQ(set(original, "supervisor.children.0.params.path", "/srv/in"), expected);
}

TEST(config_edit, adds_a_missing_setting_at_the_end_of_its_group) {
  auto out = set(original, "log.max_files", "3");
  auto expected = original;
  expected.insert(expected.find("};\ncontrol"), "  max_files = 3;\n");
  EXPECT_EQ(out, expected);
  // Indented like the group's last setting.
  out = set(original, "supervisor.strategy", "one_for_all");
  expected = original;
  expected.insert(expected.rfind("};\n"), "    strategy = \"one_for_all\";\n");
  EXPECT_EQ(out, expected);
  // Inside a group written on one line.
  out = set(original, "control.token", "t0k3n");
  expected = original;
  expected.replace(expected.find("port = 4711; };"), 15,
                   "port = 4711; token = \"t0k3n\"; };");
  EXPECT_EQ(out, expected);
  // Inside a child.
  out = set(original, "supervisor.children.legacy.enabled", "false");
  expected = original;
  expected.replace(expected.find("[ \"/bin/true\" ]; }"), 18,
                   "[ \"/bin/true\" ]; enabled = false; }");
  EXPECT_EQ(out, expected);
  // A child whose closing brace is on its own line.
  out = set(original, "supervisor.children.watcher.restart", "transient");
  expected = original;
  expected.insert(expected.find("      },\n"), "        restart = \"transient\";\n");
  EXPECT_EQ(out, expected);
}

TEST(config_edit, adds_missing_groups_and_top_level_settings) {
  auto out = set(original, "rabbitmq.url", "amqp://mq:5672");
  EXPECT_EQ(out, original + "rabbitmq = { url = \"amqp://mq:5672\"; };\n");
  out = set(original, "log.levels.supervisor", "warn");
  auto expected = original;
  expected.insert(expected.find("};\ncontrol"),
                  "  levels = { supervisor = \"warn\"; };\n");
  EXPECT_EQ(out, expected);
  EXPECT_EQ(set("threads = 2;", "node", "n1"), "threads = 2;\nnode = \"n1\";\n");
  EXPECT_EQ(set("", "node", "n1"), "node = \"n1\";\n");
  EXPECT_EQ(set("log = {};", "log.level", "warn"), "log = { level = \"warn\"; };");
  EXPECT_EQ(set("log = {\n};\n", "log.level", "warn"),
            "log = {\n  level = \"warn\";\n};\n");
}

TEST(config_edit, every_result_loads) {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"supervisor.intensity", "7"},
           {"log.level", "debug"},
           {"log.max_files", "3"},
           {"control.token", "x"},
           {"supervisor.children.watcher.restart", "transient"},
           {"supervisor.children.legacy.enabled", "false"},
           {"rabbitmq.exchange", "ex"},
           {"log.levels.supervisor", "warn"},
           {"config_check_s", "9"}}) {
    auto out = set(original, key, value);
    service_types types;
    types.add("dir_watcher",
              [](caf::local_actor&, service_init) { return caf::actor{}; });
    types.add("process",
              service_type{[](const nlohmann::json&) {
                             return child_factory{[](caf::local_actor&, service_init) {
                               return caf::actor{};
                             }};
                           },
                           {"command"}});
    load_options opts;
    opts.types = &types;
    opts.env = [](const std::string&) { return std::nullopt; };
    auto r = load_text(out, "edited.cfg", opts);
    EXPECT_TRUE(r.ok()) << key << ": " << to_string(r.errors) << out;
  }
}

TEST(config_edit, refuses_what_it_cannot_do) {
  EXPECT_EQ(set_setting("a = 1;\nb = ;", "a", "2").error, "line 2: syntax error");
  EXPECT_EQ(set_setting(original, "program.x", "2").error, "'program' is not a group");
  EXPECT_EQ(set_setting(original, "supervisor.children.nope.enabled", "false").error,
            "'supervisor.children' has no item named 'nope'");
  EXPECT_EQ(set_setting(original, "supervisor.children[5].enabled", "false").error,
            "'supervisor.children' has no item [5]");
  EXPECT_EQ(set_setting(original, "log..level", "x").error,
            "empty step in path 'log..level'");
  EXPECT_EQ(set_setting(original, "log.9lives", "x").error,
            "cannot add 'log.9lives': '9lives' is not a setting name");
  EXPECT_EQ(set_setting(original, "log.level", "\"open").error,
            "cannot read \"open as a value: syntax error");
}

class temp_dir {
public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ =
        fs::temp_directory_path() / ("warden_edit_test_" + std::to_string(::getpid()) +
                                     "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const {
    return path_;
  }

private:
  fs::path path_;
};

std::string read(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

TEST(atomic_write, replaces_the_file_and_keeps_its_permissions) {
  temp_dir dir;
  auto file = dir.path() / "warden.cfg";
  std::ofstream{file} << "old";
  ::chmod(file.c_str(), 0640);
  std::string why;
  ASSERT_TRUE(write_file_atomically(file.string(), "new text\n", &why)) << why;
  EXPECT_EQ(read(file), "new text\n");
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // Nothing else is left in the directory.
  size_t entries = 0;
  for ([[maybe_unused]] auto& entry : fs::directory_iterator{dir.path()})
    ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(atomic_write, creates_a_new_file) {
  temp_dir dir;
  auto file = dir.path() / "fresh.cfg";
  ASSERT_TRUE(write_file_atomically(file.string(), "x = 1;\n"));
  EXPECT_EQ(read(file), "x = 1;\n");
}

TEST(atomic_write, fails_without_touching_anything) {
  std::string why;
  EXPECT_FALSE(write_file_atomically("/nonexistent-warden-dir/warden.cfg", "x", &why));
  EXPECT_EQ(why.rfind("cannot create a temporary file in /nonexistent-warden-dir: ", 0),
            0u)
      << why;
}

} // namespace
} // namespace warden
