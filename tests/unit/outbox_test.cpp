// The durable outbox: order, confirms, checkpoints, replay after a restart,
// torn and corrupt records, the size bound and a full disk. Real files, each
// test in a fresh temporary directory.
#include "warden/messaging/outbox.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace warden;

namespace {

namespace fs = std::filesystem;

class outbox_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto pattern = (fs::temp_directory_path() / "warden_outbox_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    root_ = pattern;
    opts_.dir = root_ + "/box"; // created by open
    opts_.cache_bytes = 0;      // read every record back from the files
  }

  void TearDown() override {
    box_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  /// Opens `opts_` into `box_`, failing the test on error.
  void open() {
    box_.reset();
    std::string err;
    box_ = outbox::open(opts_, &err);
    ASSERT_NE(box_, nullptr) << err;
  }

  uint64_t add(const std::string& body, std::string* err = nullptr) {
    std::string ignored;
    auto seq = box_->append("File.Detected", "id-" + body, body, 1700000000000,
                            err != nullptr ? err : &ignored);
    return seq;
  }

  std::vector<outbox_record> take(size_t max_count = 1000000) {
    std::vector<outbox_record> out;
    box_->take_unsent(max_count, out);
    return out;
  }

  static std::vector<uint64_t> seqs(const std::vector<outbox_record>& recs) {
    std::vector<uint64_t> result;
    for (auto& rec : recs)
      result.push_back(rec.seq);
    return result;
  }

  /// The segment files, oldest first.
  std::vector<std::string> segments() const {
    std::vector<std::string> files;
    for (auto& entry : fs::directory_iterator{opts_.dir})
      if (entry.path().extension() == ".log")
        files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    return files;
  }

  static void append_bytes(const std::string& file, const std::string& bytes) {
    std::ofstream out{file, std::ios::binary | std::ios::app};
    out << bytes;
  }

  static void flip_byte(const std::string& file, uint64_t offset) {
    std::fstream io{file, std::ios::binary | std::ios::in | std::ios::out};
    io.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    io.get(c);
    io.seekp(static_cast<std::streamoff>(offset));
    io.put(static_cast<char>(c ^ 0x5a));
  }

  static bool has_warning(const outbox& box, const std::string& part) {
    for (auto& w : box.open_warnings())
      if (w.find(part) != std::string::npos)
        return true;
    return false;
  }

  std::string root_;
  outbox_options opts_;
  std::unique_ptr<outbox> box_;
};

/// A record in the outbox's format, CRC and all, for files the outbox itself
/// would not write (crafted or corrupted in ways a checksum does not catch).
std::string raw_record(const char* magic, uint64_t seq, const std::string& payload) {
  auto le = [](uint64_t v, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += static_cast<char>(v >> (8 * i));
    return out;
  };
  auto crc32 = [](uint32_t crc, const std::string& data) {
    crc = ~crc;
    for (unsigned char c : data) {
      crc ^= c;
      for (int k = 0; k < 8; ++k)
        crc = (crc & 1) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
  };
  auto head = std::string{magic, 4} + le(payload.size(), 4);
  auto rest = le(seq, 8) + payload;
  return head + le(crc32(crc32(0, head), rest), 4) + rest;
}

/// An ack record: every seq up to `floor` confirmed, and `above`.
std::string raw_ack(uint64_t floor, const std::vector<uint64_t>& above) {
  std::string payload;
  for (auto seq : above)
    for (int i = 0; i < 8; ++i)
      payload += static_cast<char>(seq >> (8 * i));
  return raw_record("WOA1", floor, payload);
}

/// The size on disk of a record added by `add` with this body.
uint64_t record_size(const std::string& body) {
  return 20 + 16 + std::string{"File.Detected"}.size() + 3 + 2 * body.size();
}

TEST_F(outbox_test, append_then_take_in_order) {
  open();
  EXPECT_EQ(box_->depth(), 0u);
  for (int i = 1; i <= 5; ++i)
    EXPECT_EQ(add("m" + std::to_string(i)), static_cast<uint64_t>(i));
  EXPECT_EQ(box_->depth(), 5u);
  EXPECT_EQ(box_->unsent(), 5u);
  EXPECT_EQ(box_->bytes(), 5 * record_size("m1"));
  auto first = take(3);
  EXPECT_EQ(seqs(first), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(first[0].topic, "File.Detected");
  EXPECT_EQ(first[0].message_id, "id-m1");
  EXPECT_EQ(first[0].body, "m1");
  EXPECT_EQ(first[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(box_->unsent(), 2u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(box_->unsent(), 0u);
  EXPECT_EQ(box_->depth(), 5u); // handed out is not confirmed
  EXPECT_EQ(add("m6"), 6u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{6}));
}

TEST_F(outbox_test, the_cache_and_the_files_give_the_same_records) {
  opts_.cache_bytes = 1 << 20;
  open();
  std::string big(3000, 'x');
  for (int i = 0; i < 50; ++i)
    add(big + std::to_string(i));
  auto cached = take();
  box_->rewind();
  opts_.cache_bytes = 0;
  auto from_cache = take(); // the oldest are no longer cached
  ASSERT_EQ(cached.size(), 50u);
  ASSERT_EQ(from_cache.size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(cached[i].seq, i + 1);
    EXPECT_EQ(cached[i].body, big + std::to_string(i));
    EXPECT_EQ(from_cache[i].body, cached[i].body);
    EXPECT_EQ(from_cache[i].message_id, cached[i].message_id);
  }
}

TEST_F(outbox_test, confirm_single_multiple_and_out_of_order) {
  open();
  for (int i = 1; i <= 10; ++i)
    add("m" + std::to_string(i));
  auto size = record_size("m1");
  take();
  box_->confirm(3, false);
  EXPECT_EQ(box_->depth(), 9u);
  EXPECT_EQ(box_->confirmed_floor(), 0u);
  box_->confirm(2, true); // 1, 2 and the 3 from before
  EXPECT_EQ(box_->depth(), 7u);
  EXPECT_EQ(box_->confirmed_floor(), 3u);
  box_->confirm(6, false);
  box_->confirm(5, false);
  EXPECT_EQ(box_->depth(), 5u);
  EXPECT_EQ(box_->confirmed_floor(), 3u);
  box_->confirm(8, true);
  EXPECT_EQ(box_->depth(), 2u);
  EXPECT_EQ(box_->confirmed_floor(), 8u);
  EXPECT_EQ(box_->bytes(), size + record_size("m10"));
  // Idempotent; unknown seqs ignored.
  box_->confirm(8, true);
  box_->confirm(3, false);
  box_->confirm(7, false);
  box_->confirm(99, false);
  EXPECT_EQ(box_->depth(), 2u);
  box_->confirm(10, false);
  EXPECT_EQ(box_->depth(), 1u);
  box_->confirm(10, false);
  EXPECT_EQ(box_->depth(), 1u);
  box_->confirm(99, true); // beyond the last: everything
  EXPECT_EQ(box_->depth(), 0u);
  EXPECT_EQ(box_->bytes(), 0u);
  EXPECT_EQ(box_->confirmed_floor(), 10u);
}

TEST_F(outbox_test, confirmed_records_are_not_handed_out) {
  open();
  for (int i = 1; i <= 6; ++i)
    add("m" + std::to_string(i));
  box_->confirm(2, false);
  box_->confirm(4, true);
  box_->confirm(6, false);
  EXPECT_EQ(box_->unsent(), 1u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{5}));
}

TEST_F(outbox_test, rewind_resends_unconfirmed_from_the_oldest) {
  open();
  for (int i = 1; i <= 5; ++i)
    add("m" + std::to_string(i));
  EXPECT_EQ(take().size(), 5u);
  box_->confirm(2, true);
  box_->confirm(4, false);
  box_->rewind(); // a reconnect
  EXPECT_EQ(box_->unsent(), 2u);
  add("m6"); // new ones go after the old ones
  EXPECT_EQ(seqs(take(2)), (std::vector<uint64_t>{3, 5}));
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{6}));
  box_->rewind();
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{3, 5, 6}));
}

TEST_F(outbox_test, checkpoint_deletes_confirmed_segments) {
  opts_.segment_bytes = 2 * record_size("m01"); // two records per segment
  open();
  for (int i = 1; i <= 10; ++i)
    add(i < 10 ? "m0" + std::to_string(i) : "m10");
  EXPECT_EQ(segments().size(), 5u);
  EXPECT_EQ(box_->segment_count(), 5u);
  box_->confirm(5, true); // segments 1-2 and 3-4 fully, 5-6 half
  std::string err;
  EXPECT_TRUE(box_->checkpoint(&err)) << err;
  // 5-6, 7-8, 9-10, and 11 holding the ack record, which did not fit in 9-10.
  EXPECT_EQ(segments().size(), 4u);
  box_->confirm(10, true); // all, but the active segment stays
  EXPECT_TRUE(box_->checkpoint(&err)) << err;
  auto left = segments();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(fs::path{left[0]}.filename().string(), "00000000000000000011.log");
  EXPECT_EQ(box_->bytes(), 0u);
  // Nothing to resend after a restart, and the numbering goes on.
  open();
  EXPECT_EQ(box_->depth(), 0u);
  EXPECT_TRUE(box_->open_warnings().empty());
  EXPECT_EQ(add("m11"), 11u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{11}));
}

TEST_F(outbox_test, checkpoint_deletes_segments_confirmed_out_of_order) {
  opts_.segment_bytes = 2 * record_size("m1");
  open();
  for (int i = 1; i <= 6; ++i)
    add("m" + std::to_string(i));
  box_->confirm(3, false);
  box_->confirm(4, false); // the middle segment, while 1 and 2 wait
  EXPECT_TRUE(box_->checkpoint());
  // 1-2, 5-6, and 7 holding the ack record.
  EXPECT_EQ(segments().size(), 3u);
  open();
  EXPECT_EQ(box_->depth(), 4u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{1, 2, 5, 6}));
}

TEST_F(outbox_test, reopen_replays_exactly_the_unconfirmed_in_order) {
  opts_.segment_bytes = 3 * record_size("m1");
  open();
  for (int i = 1; i <= 9; ++i)
    add("m" + std::to_string(i));
  take();
  box_->confirm(4, true);
  box_->confirm(7, false);
  ASSERT_TRUE(box_->checkpoint());
  box_->confirm(9, false); // not checkpointed: sent again after a restart
  open();
  EXPECT_TRUE(box_->open_warnings().empty());
  EXPECT_EQ(box_->depth(), 4u);
  EXPECT_EQ(box_->unsent(), 4u);
  EXPECT_EQ(box_->bytes(), 4 * record_size("m1"));
  EXPECT_EQ(box_->next_seq(), 10u);
  auto recs = take();
  EXPECT_EQ(seqs(recs), (std::vector<uint64_t>{5, 6, 8, 9}));
  EXPECT_EQ(recs[0].body, "m5");
  EXPECT_EQ(recs[3].message_id, "id-m9");
  EXPECT_EQ(add("m10"), 10u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{10}));
  // Confirms given after a restart persist as well.
  box_->confirm(6, true);
  ASSERT_TRUE(box_->checkpoint());
  open();
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{8, 9, 10}));
}

TEST_F(outbox_test, numbering_survives_a_restart_with_everything_confirmed) {
  open();
  for (int i = 1; i <= 3; ++i)
    add("m" + std::to_string(i));
  box_->confirm(3, true);
  ASSERT_TRUE(box_->checkpoint());
  open();
  EXPECT_EQ(box_->depth(), 0u);
  EXPECT_EQ(add("m4"), 4u);
}

TEST_F(outbox_test, the_directory_is_created_and_locked) {
  opts_.dir = root_ + "/a/b/c";
  open();
  std::string err;
  EXPECT_EQ(outbox::open(opts_, &err), nullptr);
  EXPECT_NE(err.find(opts_.dir), std::string::npos) << err;
  EXPECT_NE(err.find("in use"), std::string::npos) << err;
  box_.reset();
  open(); // the lock went with the first one
}

TEST_F(outbox_test, open_errors_name_the_file) {
  append_bytes(root_ + "/plain", "x");
  opts_.dir = root_ + "/plain/box";
  std::string err;
  EXPECT_EQ(outbox::open(opts_, &err), nullptr);
  EXPECT_NE(err.find(root_ + "/plain"), std::string::npos) << err;
}

TEST_F(outbox_test, a_torn_last_record_is_truncated) {
  open();
  for (int i = 1; i <= 5; ++i)
    add("m" + std::to_string(i));
  box_.reset();
  auto file = segments().back();
  auto full = fs::file_size(file);
  fs::resize_file(file, full - 3); // killed in the middle of the 5th write
  open();
  EXPECT_TRUE(has_warning(*box_, file))
      << ::testing::PrintToString(box_->open_warnings());
  EXPECT_TRUE(has_warning(*box_, "torn"));
  EXPECT_EQ(box_->depth(), 4u);
  EXPECT_EQ(fs::file_size(file), full - record_size("m5"));
  EXPECT_EQ(add("new"), 5u);
  auto recs = take();
  EXPECT_EQ(seqs(recs), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(recs.back().body, "new");
  open();
  EXPECT_TRUE(box_->open_warnings().empty());
  EXPECT_EQ(box_->depth(), 5u);
}

TEST_F(outbox_test, garbage_after_the_last_record_is_truncated) {
  open();
  for (int i = 1; i <= 5; ++i)
    add("m" + std::to_string(i));
  box_.reset();
  auto file = segments().back();
  auto full = fs::file_size(file);
  append_bytes(file, std::string(37, '\xa7') + "WOD1garbage");
  open();
  EXPECT_TRUE(has_warning(*box_, file));
  EXPECT_EQ(fs::file_size(file), full);
  EXPECT_EQ(box_->depth(), 5u);
  EXPECT_EQ(add("m6"), 6u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  open();
  EXPECT_TRUE(box_->open_warnings().empty());
}

TEST_F(outbox_test, a_torn_header_is_truncated) {
  open();
  add("m1");
  box_.reset();
  append_bytes(segments().back(), std::string("WOD1\x10", 5));
  open();
  EXPECT_TRUE(has_warning(*box_, "torn"));
  EXPECT_EQ(box_->depth(), 1u);
}

TEST_F(outbox_test, a_corrupt_record_in_an_older_segment_skips_the_rest_of_it) {
  opts_.segment_bytes = 3 * record_size("m1");
  open();
  for (int i = 1; i <= 9; ++i)
    add("m" + std::to_string(i));
  box_.reset();
  auto files = segments();
  ASSERT_EQ(files.size(), 3u);
  // The body of record 2, in the middle of the first segment.
  flip_byte(files[0], record_size("m1") + record_size("m1") - 1);
  open();
  EXPECT_TRUE(has_warning(*box_, files[0]))
      << ::testing::PrintToString(box_->open_warnings());
  EXPECT_TRUE(has_warning(*box_, "checksum"));
  EXPECT_TRUE(has_warning(*box_, "1 intact data records lost"));
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{1, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(add("m10"), 10u); // in a new segment: 7-9 is full
  // Once what is left of it is confirmed, the damaged file goes.
  box_->confirm(1, false);
  ASSERT_TRUE(box_->checkpoint());
  EXPECT_EQ(segments().size(), 3u);
  EXPECT_FALSE(fs::exists(files[0]));
  open();
  EXPECT_TRUE(box_->open_warnings().empty());
  EXPECT_EQ(box_->depth(), 7u);
}

TEST_F(outbox_test, a_corrupt_record_in_the_last_segment_keeps_the_file) {
  open();
  for (int i = 1; i <= 5; ++i)
    add("m" + std::to_string(i));
  box_.reset();
  auto file = segments().back();
  auto size = fs::file_size(file);
  flip_byte(file, 2 * record_size("m1") + 14); // the seq of record 3
  open();
  EXPECT_TRUE(has_warning(*box_, file));
  EXPECT_TRUE(has_warning(*box_, "2 intact data records lost"));
  EXPECT_EQ(fs::file_size(file), size); // left for a post-mortem
  EXPECT_EQ(box_->depth(), 2u);
  EXPECT_EQ(add("m6"), 6u); // numbering goes on after the skipped ones
  EXPECT_EQ(segments().size(), 2u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{1, 2, 6}));
  open();
  EXPECT_EQ(box_->open_warnings().size(), 1u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{1, 2, 6}));
}

TEST_F(outbox_test, a_full_outbox_refuses_and_drops_nothing) {
  auto size = record_size("m01");
  opts_.max_bytes = 10 * size + size / 2;
  opts_.segment_bytes = 4 * size;
  open();
  std::string err;
  for (int i = 1; i <= 10; ++i)
    ASSERT_NE(add(i < 10 ? "m0" + std::to_string(i) : "m10", &err), 0u) << err;
  EXPECT_EQ(add("m11", &err), 0u);
  EXPECT_EQ(err, "outbox full (" + std::to_string(10 * size) + " bytes, limit " +
                     std::to_string(opts_.max_bytes) + ")");
  EXPECT_EQ(box_->depth(), 10u);
  EXPECT_LE(box_->bytes(), opts_.max_bytes);
  auto recs = take();
  ASSERT_EQ(recs.size(), 10u);
  EXPECT_EQ(recs.back().body, "m10");
  // Handing out frees nothing; a confirm (and the checkpoint) does.
  EXPECT_EQ(add("m11", &err), 0u);
  box_->confirm(4, true);
  ASSERT_TRUE(box_->checkpoint());
  EXPECT_EQ(segments().size(), 2u);
  EXPECT_EQ(add("m11", &err), 11u) << err;
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{11}));
  // A single record beyond the bound is refused as well.
  EXPECT_EQ(add(std::string(opts_.max_bytes, 'x'), &err), 0u);
  EXPECT_NE(err.find("outbox full"), std::string::npos) << err;
}

TEST_F(outbox_test, a_write_failure_is_reported_and_the_file_stays_valid) {
  opts_.segment_bytes = 1 << 20;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  auto pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: a file size limit of 4000 bytes, as a disk that fills up.
    ::close(pipe_fds[0]);
    std::signal(SIGXFSZ, SIG_IGN);
    std::string err;
    auto box = outbox::open(opts_, &err);
    int appended = 0;
    if (box) {
      rlimit limit{4000, 4000};
      ::setrlimit(RLIMIT_FSIZE, &limit);
      for (int i = 0; i < 100 && err.empty(); ++i)
        if (box->append("t", "id", std::string(300, 'b'), i, &err) != 0)
          ++appended;
      if (err.empty())
        err = "no error";
      // Smaller ones still fit below the limit.
      std::string err2;
      if (box->append("t", "id", "", 0, &err2) != 0)
        ++appended;
    }
    auto report = std::to_string(appended) + "\n" + err;
    if (::write(pipe_fds[1], report.data(), report.size()) < 0)
      ::_exit(2);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0;)
    report.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto newline = report.find('\n');
  ASSERT_NE(newline, std::string::npos) << report;
  auto appended = std::stoul(report.substr(0, newline));
  auto err = report.substr(newline + 1);
  EXPECT_EQ(err.find("outbox write failed: " + opts_.dir + "/"), 0u) << err;
  EXPECT_NE(err.find(std::strerror(EFBIG)), std::string::npos) << err;
  EXPECT_EQ(appended, 4000 / (20 + 16 + 3 + 300) + 1);
  // The partial record was truncated away: the file replays cleanly.
  open();
  EXPECT_TRUE(box_->open_warnings().empty())
      << ::testing::PrintToString(box_->open_warnings());
  EXPECT_EQ(box_->depth(), appended);
  auto recs = take();
  ASSERT_EQ(recs.size(), appended);
  EXPECT_EQ(recs.front().body, std::string(300, 'b'));
  EXPECT_EQ(recs.back().body, "");
  EXPECT_EQ(add("after"), appended + 1);
}

TEST_F(outbox_test, kill_9_loses_nothing_that_was_appended) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  auto pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string err;
    auto box = outbox::open(opts_, &err);
    uint64_t last = 0;
    for (int i = 0; box && i < 1000; ++i)
      last = box->append("t", "id" + std::to_string(i), "{}", i, &err);
    auto report = std::to_string(last);
    if (::write(pipe_fds[1], report.data(), report.size()) < 0)
      ::_exit(2);
    ::kill(::getpid(), SIGKILL);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buf[64];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0;)
    report.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_EQ(report, "1000");
  open();
  EXPECT_EQ(box_->depth(), 1000u);
  auto recs = take();
  ASSERT_EQ(recs.size(), 1000u);
  EXPECT_EQ(recs.back().message_id, "id999");
}

// Found by fuzz/outbox_fuzz: an ack that lists seqs beyond the last record
// made new records count as confirmed at once (never sent).
TEST_F(outbox_test, seqs_go_on_after_every_seq_an_ack_lists) {
  open();
  for (int i = 1; i <= 3; ++i)
    add("m" + std::to_string(i));
  box_.reset();
  append_bytes(segments().back(), raw_ack(1, {5, 6}));
  open();
  EXPECT_EQ(box_->next_seq(), 7u);
  EXPECT_EQ(add("n1"), 7u);
  EXPECT_EQ(add("n2"), 8u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{2, 3, 7, 8}));
}

// Found by fuzz/outbox_fuzz: when the seqs went on past the last segment's own
// (a floor beyond its records), appends landed in it anyway, where its index
// took them for other seqs: below the floor, confirmed, never sent.
TEST_F(outbox_test, appends_after_a_seq_gap_go_to_a_new_segment) {
  open();
  for (int i = 1; i <= 3; ++i)
    add("m" + std::to_string(i));
  box_.reset();
  append_bytes(segments().back(), raw_ack(10, {}));
  open();
  EXPECT_EQ(box_->depth(), 0u);
  EXPECT_EQ(add("x"), 11u);
  EXPECT_EQ(segments().size(), 2u);
  auto recs = take();
  ASSERT_EQ(seqs(recs), (std::vector<uint64_t>{11}));
  EXPECT_EQ(recs[0].body, "x");
  open();
  EXPECT_TRUE(box_->open_warnings().empty());
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{11}));
}

// Found by fuzz/outbox_fuzz: seqs and segment names near 2^64 wrapped around
// (a new record got seq 0 or 1, or the new segment's name already existed).
TEST_F(outbox_test, seqs_and_names_beyond_two_to_the_63_are_corrupt) {
  open();
  add("m1");
  box_.reset();
  std::string payload(16, '\0');
  append_bytes(segments().back(), raw_record("WOD1", uint64_t{1} << 63, payload));
  std::ofstream{opts_.dir + "/18446744073709551615.log"} << raw_ack(~uint64_t{0}, {});
  open();
  EXPECT_TRUE(has_warning(*box_, "bad seq"))
      << ::testing::PrintToString(box_->open_warnings());
  EXPECT_EQ(box_->depth(), 1u);
  EXPECT_EQ(add("m2"), 2u);
  EXPECT_EQ(seqs(take()), (std::vector<uint64_t>{1, 2}));
}

TEST_F(outbox_test, hundred_thousand_appends_then_reopen) {
  opts_.segment_bytes = 1 << 20;
  open();
  const std::string body = R"({"path":"/data/in/file-000000.csv","size":123456})";
  for (uint64_t i = 1; i <= 100000; ++i)
    ASSERT_EQ(box_->append("File.Detected", std::to_string(i), body, 0, nullptr), i);
  EXPECT_GT(segments().size(), 5u);
  open();
  EXPECT_TRUE(box_->open_warnings().empty());
  EXPECT_EQ(box_->depth(), 100000u);
  uint64_t expected = 1;
  std::vector<outbox_record> batch;
  while (box_->take_unsent(4096, batch) > 0) {
    for (auto& rec : batch) {
      ASSERT_EQ(rec.seq, expected);
      ASSERT_EQ(rec.message_id, std::to_string(expected));
      ++expected;
    }
    ASSERT_EQ(batch.back().body, body);
    box_->confirm(batch.back().seq, true);
    batch.clear();
  }
  EXPECT_EQ(expected, 100001u);
  ASSERT_TRUE(box_->checkpoint());
  EXPECT_EQ(segments().size(), 1u);
  EXPECT_EQ(box_->append("File.Detected", "x", body, 0, nullptr), 100001u);
}

} // namespace
