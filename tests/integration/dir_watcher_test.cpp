// The `dir_watcher` service on real files in a temp dir: complete files are
// reported once with size and mtime, a slow writer only after it closed, a
// rename into the directory, pattern filtering, a rescan after a stop, the
// directory deleted and recreated, subdirectories, relative paths.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "integration/service_tree.hpp"
#include "warden/actors/identity.hpp"
#include "warden/services/dir_watcher.hpp"

namespace warden::test {
namespace {

namespace fs = std::filesystem;

/// Writes `text` into `path` (created or truncated) and closes it.
void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

int64_t mtime_ms(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

nlohmann::json body_of(const bus_message& msg) {
  return nlohmann::json::parse(msg.body);
}

/// The paths in the File.Detected messages received so far, in order.
std::vector<std::string> detected(inbox& box) {
  std::vector<std::string> result;
  for (auto& msg : box.on("File.Detected.#"))
    result.push_back(body_of(msg)["path"].get<std::string>());
  return result;
}

class dir_watcher_test : public ::testing::Test {
protected:
  void SetUp() override {
    set_identity(identity{"test", "n1", base.path().string()});
    fs::create_directory(dir);
  }

  /// A tree with `root/watch` watching `dir` with `params` added.
  std::unique_ptr<service_tree> start(nlohmann::json params = nlohmann::json::object()) {
    if (!params.contains("path"))
      params["path"] = dir.string();
    std::vector<child_spec> children;
    children.push_back(service_child<dir_watcher>("watch", "dir_watcher", params));
    return std::make_unique<service_tree>(
        std::vector<std::string>{"File.Detected.#", "Files.#"}, std::move(children));
  }

  temp_dir base;
  fs::path dir = base.path() / "incoming";
};

TEST_F(dir_watcher_test, closed_file_is_reported_once_with_size_and_mtime) {
  auto t = start();
  EXPECT_EQ(t->value("watch", "watching"), dir.string());
  write_file(dir / "a.csv", "0123456789");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  auto msgs = t->box->on("File.Detected.#");
  EXPECT_EQ(msgs[0].topic, "File.Detected.n1");
  EXPECT_EQ(msgs[0].source, "root/watch");
  auto body = body_of(msgs[0]);
  EXPECT_EQ(body["path"], (dir / "a.csv").string());
  EXPECT_EQ(body["size"], 10);
  EXPECT_EQ(body["mtime"], mtime_ms(dir / "a.csv"));
  // Opened for writing and closed without a change, and a rescan: nothing
  // new. A second file is the barrier: everything before it has arrived.
  { std::ofstream again{dir / "a.csv", std::ios::app}; }
  ASSERT_TRUE(t->tick("watch", "scan"));
  write_file(dir / "b.csv", "xy");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 2));
  EXPECT_EQ(detected(*t->box), (std::vector<std::string>{(dir / "a.csv").string(),
                                                         (dir / "b.csv").string()}));
  EXPECT_EQ(t->value("watch", "files_seen"), "2");
  EXPECT_EQ(t->value("watch", "last_file"), (dir / "b.csv").string());
  // Written again (new size): a new version, reported again.
  write_file(dir / "a.csv", "0123456789abc");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 3));
  EXPECT_EQ(body_of(t->box->on("File.Detected.#")[2])["size"], 13);
}

TEST_F(dir_watcher_test, a_file_name_that_is_not_utf8_is_reported_not_a_crash) {
  auto t = start();
  write_file(dir / "bad-\xff\xfe.csv", "x");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  auto body = body_of(t->box->on("File.Detected.#")[0]);
  EXPECT_EQ(body["path"], (dir / "bad-\xef\xbf\xbd\xef\xbf\xbd.csv").string())
      << "each byte that is not UTF-8 becomes U+FFFD";
  EXPECT_EQ(t->snapshot("watch").restarts, 0u);
}

TEST_F(dir_watcher_test, slow_writer_is_reported_only_after_close) {
  auto t = start();
  auto slow = dir / "slow.csv";
  int fd = ::open(slow.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::string part(1000, 'x');
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(::write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
    std::this_thread::sleep_for(30ms); // slow, not for correctness
  }
  // A rescan while it is open for writing leaves it alone (/proc says so).
  struct stat st {};
  ASSERT_EQ(::stat(slow.c_str(), &st), 0);
  EXPECT_EQ(files_open_for_writing().count(file_id{st.st_dev, st.st_ino}), 1u);
  ASSERT_TRUE(t->tick("watch", "scan"));
  write_file(dir / "barrier.csv", "b");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  EXPECT_EQ(detected(*t->box), std::vector<std::string>{(dir / "barrier.csv").string()});
  ASSERT_EQ(::write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  ::close(fd);
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 2));
  auto msgs = t->box->on("File.Detected.#");
  auto body = body_of(msgs[1]);
  EXPECT_EQ(body["path"], slow.string());
  EXPECT_EQ(body["size"], 4000);
  // Closed: no longer a writer's file.
  ASSERT_TRUE(t->tick("watch", "scan"));
  write_file(dir / "barrier2.csv", "b");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 3));
  EXPECT_EQ(detected(*t->box).size(), 3u);
}

TEST_F(dir_watcher_test, file_renamed_into_the_directory_is_reported) {
  auto t = start({{"pattern", "*.csv"}});
  auto outside = base.path() / "outside.csv";
  write_file(outside, "moved in");
  fs::rename(outside, dir / "moved.csv");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  auto body = body_of(t->box->on("File.Detected.#")[0]);
  EXPECT_EQ(body["path"], (dir / "moved.csv").string());
  EXPECT_EQ(body["size"], 8);
  // The usual writer: a hidden temporary name, renamed when complete.
  write_file(dir / ".part.csv", "complete");
  fs::rename(dir / ".part.csv", dir / "done.csv");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 2));
  EXPECT_EQ(detected(*t->box), (std::vector<std::string>{(dir / "moved.csv").string(),
                                                         (dir / "done.csv").string()}));
}

TEST_F(dir_watcher_test, pattern_filters_by_name) {
  auto t = start({{"pattern", "*.csv"}});
  write_file(dir / "a.txt", "no");
  write_file(dir / ".hidden.csv", "no: a leading dot must be matched explicitly");
  fs::create_directory(dir / "sub.csv"); // a directory: never a file
  write_file(dir / "b.csv", "yes");
  write_file(dir / "c.CSV", "no");
  write_file(dir / "d.csv", "yes");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 2));
  ASSERT_TRUE(t->tick("watch", "scan")); // a rescan applies the pattern too
  write_file(dir / "e.csv", "yes");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 3));
  EXPECT_EQ(detected(*t->box),
            (std::vector<std::string>{(dir / "b.csv").string(), (dir / "d.csv").string(),
                                      (dir / "e.csv").string()}));
}

TEST_F(dir_watcher_test, scan_tick_finds_files_created_while_stopped) {
  auto t = start({{"pattern", "*.csv"}});
  write_file(dir / "before.csv", "1");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  ASSERT_TRUE(t->call_root(stop_child_atom::value, "watch"));
  write_file(dir / "x.csv", "22");
  write_file(dir / "y.csv", "333");
  write_file(dir / "y.txt", "no");
  ASSERT_TRUE(t->call_root(restart_child_atom::value, "watch"));
  ASSERT_TRUE(t->wait_state("watch", child_state::running));
  // Not reported at start: the scan tick does it. What was reported before
  // the restart is reported again (the memory of it went with the instance).
  ASSERT_TRUE(t->tick("watch", "scan"));
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 4));
  auto paths = detected(*t->box);
  std::sort(paths.begin() + 1, paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{
                       (dir / "before.csv").string(), (dir / "before.csv").string(),
                       (dir / "x.csv").string(), (dir / "y.csv").string()}));
  // A second scan reports nothing new.
  ASSERT_TRUE(t->tick("watch", "scan"));
  write_file(dir / "z.csv", "barrier");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 5));
  EXPECT_EQ(detected(*t->box).size(), 5u);
}

TEST_F(dir_watcher_test, survives_the_directory_deleted_and_recreated) {
  auto t = start({{"retry_ms", 100}});
  write_file(dir / "one", "1");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  fs::remove_all(dir);
  ASSERT_TRUE(t->wait_flag("watch", "missing", true));
  EXPECT_EQ(t->snapshot("watch").state, child_state::running);
  fs::create_directory(dir);
  ASSERT_TRUE(t->wait_flag("watch", "missing", false));
  write_file(dir / "two", "22");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 2));
  EXPECT_EQ(detected(*t->box),
            (std::vector<std::string>{(dir / "one").string(), (dir / "two").string()}));
  // Recreated with a file in it at once (before the watch is back): the
  // files of a directory that came back are all new, so they are reported.
  fs::remove_all(dir);
  fs::create_directory(dir);
  write_file(dir / "three", "333");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 3));
  EXPECT_EQ(detected(*t->box).back(), (dir / "three").string());
  // Moved away and another one put in its place.
  fs::rename(dir, base.path() / "old");
  fs::create_directory(dir);
  write_file(dir / "four", "4444");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 4));
  EXPECT_EQ(detected(*t->box).back(), (dir / "four").string());
  write_file(base.path() / "old" / "ignored", "the old directory is not watched");
  write_file(dir / "five", "5");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 5));
  EXPECT_EQ(detected(*t->box).back(), (dir / "five").string());
  EXPECT_EQ(detected(*t->box).size(), 5u);
  EXPECT_EQ(t->snapshot("watch").restarts, 0u);
}

TEST_F(dir_watcher_test, directory_missing_at_start_is_watched_once_it_appears) {
  fs::remove(dir);
  auto t = start({{"retry_ms", 100}});
  EXPECT_TRUE(t->has_flag("watch", "missing"));
  fs::create_directory(dir);
  write_file(dir / "first", "1");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  EXPECT_EQ(detected(*t->box), std::vector<std::string>{(dir / "first").string()});
  EXPECT_FALSE(t->has_flag("watch", "missing"));
}

TEST_F(dir_watcher_test, recursive_watches_subdirectories) {
  fs::create_directories(dir / "old" / "deep");
  auto t = start({{"recursive", true}, {"pattern", "*.csv"}});
  EXPECT_EQ(t->value("watch", "dirs"), "3");
  write_file(dir / "old" / "deep" / "a.csv", "a");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 1));
  fs::create_directories(dir / "new" / "deeper");
  write_file(dir / "new" / "deeper" / "b.csv", "b");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 2));
  // A tree moved in with files in it.
  fs::create_directories(base.path() / "tree" / "sub");
  write_file(base.path() / "tree" / "sub" / "c.csv", "c");
  fs::rename(base.path() / "tree", dir / "tree");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 3));
  EXPECT_EQ(detected(*t->box),
            (std::vector<std::string>{(dir / "old" / "deep" / "a.csv").string(),
                                      (dir / "new" / "deeper" / "b.csv").string(),
                                      (dir / "tree" / "sub" / "c.csv").string()}));
  // Moved out: no longer watched.
  fs::rename(dir / "tree", base.path() / "gone");
  write_file(base.path() / "gone" / "sub" / "d.csv", "d");
  write_file(dir / "e.csv", "e");
  ASSERT_TRUE(t->box->wait_for("File.Detected.#", 4));
  EXPECT_EQ(detected(*t->box).back(), (dir / "e.csv").string());
  EXPECT_EQ(detected(*t->box).size(), 4u);
}

TEST_F(dir_watcher_test, relative_path_starts_at_the_config_directory) {
  auto t = start({{"path", "incoming"}, {"topic", "Files.Here"}});
  EXPECT_EQ(t->value("watch", "watching"), dir.string());
  write_file(dir / "r", "r");
  ASSERT_TRUE(t->box->wait_for("#", 1));
  EXPECT_EQ(t->box->on("#")[0].topic, "Files.Here");
}

TEST_F(dir_watcher_test, bad_params_fail_the_child) {
  std::vector<child_spec> children;
  auto no_path = service_child<dir_watcher>("no_path", "dir_watcher", {{"pattern", "*"}});
  auto bad_type = service_child<dir_watcher>(
      "bad_type", "dir_watcher", {{"path", dir.string()}, {"recursive", "yes"}});
  for (auto* x : {&no_path, &bad_type}) {
    x->restart = restart_type::temporary;
    children.push_back(*x);
  }
  service_tree t{{"File.Detected.#"}, std::move(children)};
  auto reason = [&](const std::string& name) {
    std::string result;
    service_tree::wait_until([&] {
      auto snap = t.snapshot(name);
      if (snap.exits.empty())
        return false;
      result = snap.exits.back().reason;
      return true;
    });
    return result;
  };
  EXPECT_NE(reason("no_path").find("params.path: missing"), std::string::npos);
  EXPECT_NE(reason("bad_type").find("params.recursive: must be true or false"),
            std::string::npos);
}

} // namespace
} // namespace warden::test
