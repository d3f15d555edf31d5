#pragma once

// The durable outbox of the RabbitMQ gateway: every outgoing message is
// appended to an on-disk log before it counts as sent, and leaves the outbox
// when the broker confirms it (publisher confirms).
//
// The contract:
// - `append` writes the whole record with one write(2) before it returns, so a
//   `kill -9` right after loses nothing; with `sync` it also fdatasyncs (a
//   power cut then loses nothing either).
// - Records are handed out by `take_unsent` in seq order. After a reconnect,
//   `rewind` makes every unconfirmed record unsent again, from the oldest, so
//   old records go out before new ones.
// - `confirm` marks records as confirmed (in memory); `checkpoint` persists the
//   confirmed floor as an ack record and deletes fully confirmed segment files.
//   Confirms not yet checkpointed are lost at a crash: those records are sent
//   again after the restart (at least once, never lost).
// - Bounded: when the unconfirmed records would exceed `max_bytes`, `append`
//   fails with "outbox full (...)" (back-pressure), never dropping anything. A
//   write error (disk full, file size limit) fails the same way with the errno
//   text, and the partial record is truncated away.
// - Memory is bounded: bodies are read back from the segment files when sent;
//   only the newest `cache_bytes` of records are also kept in memory. The index
//   costs 8 bytes of memory per record still on disk.
// - Not thread-safe: one owner (the gateway actor). The directory is locked
//   (flock) against a second process.
//
// On disk: segment files `NNNNNNNNNNNNNNNNNNNN.log` (20 digits, the first seq
// the segment was created for). A segment is a sequence of records, integers
// little-endian:
//
//   [u32 magic "WOD1" data / "WOA1" ack][u32 payload length]
//   [u32 crc32 of everything else in the record][u64 seq][payload]
//
// A data payload is [i64 timestamp_ms][u32 topic length][u32 message id
// length][topic][message id][body]. An ack record's seq is the confirmed floor
// (every seq <= floor is confirmed) and its payload lists confirmed seqs above
// the floor (u64 each, at most 4096).
//
// Replay on open: segments in name order, every record checked (magic, length,
// CRC, seq order, seqs below 2^63; files named beyond that are not segments).
// An invalid tail of the last segment with no intact record after it is a torn
// write and is truncated off; invalid data anywhere else skips the rest of that
// segment (the file is kept as it is, and new records go to a fresh segment).
// Both are reported by `open_warnings()`.

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

/// Settings of an outbox; see `outbox::open`.
struct outbox_options {
  /// Directory of the segment files; created if missing (with parents).
  std::string dir;
  /// Bound on unconfirmed data on disk (whole records, headers included).
  uint64_t max_bytes = 256ull << 20;
  /// Roll to a new segment file when a record would take the active one
  /// beyond this. At most 1 GiB.
  uint64_t segment_bytes = 16ull << 20;
  /// fdatasync after each append and each checkpoint (and fsync the
  /// directory when segment files come and go).
  bool sync = false;
  /// The newest records kept in memory as well, so that sending right after
  /// appending does not read the file back. 0 reads every record back.
  uint64_t cache_bytes = 1ull << 20;
};

/// One message in the outbox.
struct outbox_record {
  /// Assigned by append, strictly increasing, survives restarts.
  uint64_t seq = 0;
  int64_t timestamp_ms = 0;
  /// The routing key.
  std::string topic;
  std::string message_id;
  /// JSON text.
  std::string body;
};

/// A durable, bounded log of outgoing messages; see the comment at the top of
/// this file for the contract and the file format.
class outbox {
public:
  ~outbox();

  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;

  /// Opens (creating) the directory and replays it. On error returns null and
  /// sets `*err` to a message naming the file.
  static std::unique_ptr<outbox> open(outbox_options opts, std::string* err);

  /// Appends a record; returns its seq, or 0 and sets `*err` to
  /// "outbox full (N bytes, limit M)" or
  /// "outbox write failed: <file>: <strerror>".
  uint64_t append(std::string_view topic, std::string_view message_id,
                  std::string_view body, int64_t timestamp_ms, std::string* err);

  /// Appends to `out` the records not yet handed out since the last rewind, in
  /// seq order, at most `max_count`; advances the send cursor. Returns how
  /// many were appended. A record that cannot be read back intact (its bytes
  /// changed on disk since it was written) is dropped and reported in
  /// `read_errors()`; a transient read error stops early and is retried at
  /// the next call.
  size_t take_unsent(size_t max_count, std::vector<outbox_record>& out);

  /// After a reconnect: every unconfirmed record counts as unsent again (from
  /// the oldest).
  void rewind();

  /// The broker confirmed `seq` (and, if `multiple`, everything before it).
  /// Idempotent; out of order is fine; unknown seqs are ignored.
  void confirm(uint64_t seq, bool multiple);

  /// Persists the confirmed floor (an ack record) and deletes fully confirmed
  /// segment files other than the active one. Call after a batch of confirms.
  /// Returns false and sets `*err` when the ack record cannot be written
  /// (then nothing is deleted) or a file cannot be deleted.
  bool checkpoint(std::string* err = nullptr);

  /// fdatasync of the active segment, for callers that batch appends without
  /// `sync`. Returns false and sets `*err` on failure.
  bool flush(std::string* err = nullptr);

  /// Unconfirmed records.
  size_t depth() const {
    return depth_;
  }

  /// Unconfirmed records after the send cursor.
  size_t unsent() const {
    return unsent_;
  }

  /// Unconfirmed bytes on disk (what `max_bytes` bounds).
  uint64_t bytes() const {
    return bytes_;
  }

  /// The seq the next append gets.
  uint64_t next_seq() const {
    return next_seq_;
  }

  /// Every seq up to this one is confirmed.
  uint64_t confirmed_floor() const {
    return floor_;
  }

  /// Segment files currently in use.
  size_t segment_count() const {
    return segments_.size();
  }

  const std::string& dir() const {
    return opts_.dir;
  }

  /// What replay found wrong on open (torn records truncated, corrupt data
  /// skipped), one line each, naming the file.
  const std::vector<std::string>& open_warnings() const {
    return open_warnings_;
  }

  /// Records dropped by `take_unsent` because they could not be read back,
  /// and transient read errors (the first 100).
  const std::vector<std::string>& read_errors() const {
    return read_errors_;
  }

private:
  /// Where a data record lies in its segment file.
  struct entry {
    uint32_t offset;
    uint32_t size;
  };

  struct segment {
    /// The number in the file name.
    uint64_t base = 0;
    /// The seq of entries[0]; the seqs of a segment are contiguous.
    uint64_t first_seq = 0;
    std::vector<entry> entries;
    /// Bytes in the file that belong to the log.
    uint64_t size = 0;
    /// Unconfirmed records.
    size_t live = 0;
    /// Replay skipped a corrupt tail; never appended to again.
    bool damaged = false;

    uint64_t last_seq() const {
      return first_seq + entries.size() - 1;
    }
  };

  explicit outbox(outbox_options opts);

  bool load(std::string* err);
  bool replay(uint64_t base, bool last, uint64_t& last_seq, uint64_t& floor,
              std::vector<uint64_t>& above, std::string* err);
  std::string segment_path(uint64_t base) const;
  bool create_segment(uint64_t base, std::string* err);
  bool write_record(std::string* err);
  bool write_ack(std::string* err);
  int read_fd(const segment& seg);
  size_t segment_index(uint64_t seq) const;
  bool locate(uint64_t seq, size_t& seg_index, size_t& idx) const;
  uint64_t next_present(uint64_t seq) const;
  bool confirmed(uint64_t seq) const;
  void mark_confirmed(segment& seg, size_t idx);
  void advance_floor();
  void read_error(std::string msg);

  outbox_options opts_;
  int dir_fd_ = -1;
  int active_fd_ = -1;
  int read_fd_ = -1;
  uint64_t read_base_ = 0;
  std::vector<segment> segments_; // by base; the last one is active
  uint64_t next_seq_ = 1;
  uint64_t floor_ = 0;
  std::set<uint64_t> above_; // confirmed seqs above floor_
  bool ack_dirty_ = false;
  uint64_t ack_base_ = 0; // the segment holding the latest ack record
  bool has_ack_ = false;
  uint64_t cursor_ = 1; // the next seq to hand out
  size_t depth_ = 0;
  size_t unsent_ = 0;
  uint64_t bytes_ = 0;
  std::deque<outbox_record> cache_; // the newest records, contiguous seqs
  uint64_t cache_used_ = 0;
  std::string buf_; // the record being written
  std::string read_buf_;
  std::vector<std::string> open_warnings_;
  std::vector<std::string> read_errors_;
};

} // namespace warden
