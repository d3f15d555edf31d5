// The last-fire-times file: round trip, atomic replacement, corrupt and
// truncated files.
#include "warden/schedule/last_fire_file.hpp"

#include <filesystem>
#include <fstream>

#include <date/date.h>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace warden;
using namespace std::chrono_literals;

namespace {

schedule_time utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  auto t = date::sys_days{date::year{y} / date::month{mo} / date::day{d}} +
           std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
  return schedule_time{
      std::chrono::duration_cast<schedule_duration>(t.time_since_epoch())};
}

class temp_dir {
public:
  temp_dir() {
    path_ = std::filesystem::temp_directory_path() /
            ("warden_last_fire_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  std::string file(const char* name) const {
    return (path_ / name).string();
  }

  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator{path_})
      ++n;
    return n;
  }

private:
  std::filesystem::path path_;
};

void write(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary};
  out << text;
}

} // namespace

TEST(last_fire_file, format_is_one_line_per_schedule) {
  last_fire_map m{{"root/w/scan", utc(2026, 3, 29, 1, 0, 0) + 250ms},
                  {"root/x/prune job", utc(2026, 10, 25, 0, 30)}};
  EXPECT_EQ(format_last_fires(m), "# warden schedule last fire times v1\n"
                                  "2026-03-29T01:00:00.250Z root/w/scan\n"
                                  "2026-10-25T00:30:00.000Z root/x/prune job\n"
                                  "# end\n");
}

TEST(last_fire_file, round_trip_through_a_file) {
  temp_dir dir;
  auto path = dir.file("schedule.state");
  last_fire_map m;
  for (int i = 0; i < 100; ++i)
    m["c" + std::to_string(i) + "/tick"] =
        utc(2026, 1, 1) + std::chrono::milliseconds{i * 1234567};
  std::string why;
  ASSERT_TRUE(save_last_fires(path, m, &why)) << why;
  auto loaded = load_last_fires(path);
  EXPECT_TRUE(loaded.problems.empty());
  EXPECT_EQ(loaded.times, m);
  // Saving again replaces the file and leaves no temporary file behind.
  m.erase("c0/tick");
  ASSERT_TRUE(save_last_fires(path, m, &why)) << why;
  EXPECT_EQ(load_last_fires(path).times, m);
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(last_fire_file, sub_millisecond_times_are_truncated) {
  last_fire_map m{{"a", utc(2026, 1, 1) + 1500us}};
  auto parsed = parse_last_fires(format_last_fires(m), "f");
  EXPECT_EQ(parsed.times.at("a"), utc(2026, 1, 1) + 1ms);
}

TEST(last_fire_file, missing_file_is_empty_without_problems) {
  temp_dir dir;
  auto loaded = load_last_fires(dir.file("nothing.state"));
  EXPECT_TRUE(loaded.times.empty());
  EXPECT_TRUE(loaded.problems.empty());
}

TEST(last_fire_file, corrupt_lines_are_ignored_and_reported) {
  auto text = "# warden schedule last fire times v1\n"
              "2026-03-29T01:00:00.000Z good/one\n"
              "garbage\n"
              "2026-13-01T00:00:00.000Z bad/month\n"
              "2026-02-30T00:00:00.000Z bad/day\n"
              "2026-03-29T01:00:00Z no/millis\n"
              "2026-03-29T01:00:00.000Z\n"
              "2026-03-29T01:00:00.000Z \n"
              "\n"
              "2026-03-29T02:00:00.000Z good/two\n"
              "2026-03-29T03:00:00.000Z good/one\n"
              "# end\n";
  auto r = parse_last_fires(text, "state");
  EXPECT_EQ(r.times, (last_fire_map{{"good/one", utc(2026, 3, 29, 3)},
                                    {"good/two", utc(2026, 3, 29, 2)}}));
  EXPECT_EQ(
      r.problems,
      (std::vector<std::string>{
          R"(state:3: cannot read a time and a key from "garbage")",
          R"(state:4: cannot read a time and a key from "2026-13-01T00:00:00.000Z bad/month")",
          R"(state:5: cannot read a time and a key from "2026-02-30T00:00:00.000Z bad/day")",
          R"(state:6: cannot read a time and a key from "2026-03-29T01:00:00Z no/millis")",
          R"(state:7: cannot read a time and a key from "2026-03-29T01:00:00.000Z")",
          R"(state:8: no schedule key after the time)",
          R"(state:11: duplicate key "good/one" (first at line 2), the later one wins)"}));
}

TEST(last_fire_file, truncated_file_keeps_the_complete_lines) {
  temp_dir dir;
  auto path = dir.file("cut.state");
  write(path, "# warden schedule last fire times v1\n"
              "2026-03-29T01:00:00.000Z a\n"
              "2026-03-29T01:00:00.000Z b\n"
              "2026-03-29T01:0");
  auto r = load_last_fires(path);
  EXPECT_EQ(r.times.size(), 2u);
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{path + ":4: incomplete last line ignored",
                                      path + ": no end line, the file is truncated"}));
  // Even a complete-looking last line without a newline is not trusted.
  auto s = parse_last_fires("2026-03-29T01:00:00.000Z root/w/sc", "f");
  EXPECT_TRUE(s.times.empty());
  // An empty file lost everything.
  auto e = parse_last_fires("", "f");
  EXPECT_TRUE(e.times.empty());
  EXPECT_EQ(e.problems,
            (std::vector<std::string>{"f: no end line, the file is truncated"}));
}

TEST(last_fire_file, lines_after_the_end_are_ignored) {
  auto r = parse_last_fires("# end\n2026-03-29T01:00:00.000Z late\n", "f");
  EXPECT_TRUE(r.times.empty());
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{"f:2: line after the end line ignored"}));
}

TEST(last_fire_file, save_fails_cleanly_in_a_missing_directory) {
  std::string why;
  EXPECT_FALSE(save_last_fires("/nonexistent-warden-dir/x.state", {}, &why));
  EXPECT_NE(why.find("cannot create a temporary file in /nonexistent-warden-dir"),
            std::string::npos)
      << why;
}
