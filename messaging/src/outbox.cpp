#include "warden/messaging/outbox.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace warden {

namespace {

constexpr uint32_t data_magic = 0x31444f57; // "WOD1" in file order
constexpr uint32_t ack_magic = 0x31414f57;  // "WOA1" in file order
constexpr size_t header_size = 20;          // magic, length, crc, seq
constexpr size_t data_fixed = 16;           // timestamp, two lengths
constexpr uint64_t max_record_bytes = 1ull << 30;
constexpr size_t max_ack_entries = 4096;
constexpr size_t read_chunk = 1 << 20;
constexpr size_t cache_overhead = 128; // per cached record, roughly
constexpr size_t max_read_errors = 100;
// Seqs (and segment names) beyond this are corrupt: 2^63 appends take 290 000
// years at a million a second, and below it `seq + 1` cannot wrap.
constexpr uint64_t seq_limit = (uint64_t{1} << 63) - 1;

// -- crc32 (the zlib polynomial), slicing by 8 -----------------------------------

using crc_tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr crc_tables make_crc_tables() {
  crc_tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k)
    for (size_t i = 0; i < 256; ++i)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}

constexpr crc_tables crc_table = make_crc_tables();

/// Continues `crc` (0 to start) over `n` bytes, as zlib's crc32(). Eight bytes
/// a step (8 KiB of tables): the byte-wise loop costs ~5 µs per KiB here.
uint32_t crc32(uint32_t crc, const char* data, size_t n) {
  auto p = reinterpret_cast<const unsigned char*>(data);
  auto& t = crc_table;
  crc = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint32_t lo = crc ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                         uint32_t{p[3]} << 24);
    uint32_t hi = uint32_t{p[4]} | uint32_t{p[5]} << 8 | uint32_t{p[6]} << 16 |
                  uint32_t{p[7]} << 24;
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
          t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
          t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; n > 0; --n, ++p)
    crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/// The CRC of a whole record (header and payload), skipping the crc field.
uint32_t record_crc(const char* rec, size_t payload_size) {
  return crc32(crc32(0, rec, 8), rec + 12, 8 + payload_size);
}

// -- little-endian integers -----------------------------------------------------

void put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>(v >> (8 * i));
}

void put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<char>(v >> (8 * i));
}

uint32_t get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint64_t get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

/// Reads a file through a buffer, for the sequential scan at open.
class file_reader {
public:
  file_reader(int fd, uint64_t size)
    : fd_(fd)
    , size_(size) {}

  /// The bytes [pos, pos + n), or null when they lie beyond the end of the
  /// file or cannot be read (then `error()` is set). Valid until the next call.
  const char* get(uint64_t pos, size_t n) {
    if (pos + n > size_)
      return nullptr;
    if (pos >= off_ && pos + n <= off_ + buf_.size())
      return buf_.data() + (pos - off_);
    size_t want = std::max<uint64_t>(n, std::min<uint64_t>(read_chunk, size_ - pos));
    buf_.resize(want);
    off_ = pos;
    size_t got = 0;
    while (got < want) {
      auto r = ::pread(fd_, buf_.data() + got, want - got, static_cast<off_t>(pos + got));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        error_ = errno;
      if (r <= 0)
        break;
      got += static_cast<size_t>(r);
    }
    buf_.resize(got);
    if (got < n) {
      if (error_ == 0)
        error_ = EIO; // the file shrank under us
      return nullptr;
    }
    return buf_.data();
  }

  uint64_t size() const {
    return size_;
  }

  int error() const {
    return error_;
  }

private:
  int fd_;
  uint64_t size_;
  uint64_t off_ = 0;
  std::string buf_;
  int error_ = 0;
};

struct parsed_record {
  uint32_t magic = 0;
  uint32_t length = 0;
  uint64_t seq = 0;
  const char* payload = nullptr;
};

/// Checks the record at `pos`: null when it is intact, else why not.
const char* parse_record(file_reader& in, uint64_t pos, parsed_record& out) {
  auto head = in.get(pos, header_size);
  if (head == nullptr)
    return "incomplete header";
  out.magic = get32(head);
  if (out.magic != data_magic && out.magic != ack_magic)
    return "bad magic";
  out.length = get32(head + 4);
  if (out.length > max_record_bytes)
    return "bad length";
  auto rec = in.get(pos, header_size + out.length);
  if (rec == nullptr)
    return "incomplete record";
  if (record_crc(rec, out.length) != get32(rec + 8))
    return "checksum mismatch";
  out.seq = get64(rec + 12);
  out.payload = rec + header_size;
  if (out.seq > seq_limit)
    return "bad seq";
  if (out.magic == data_magic) {
    if (out.length < data_fixed)
      return "malformed data record";
    uint64_t names = uint64_t{get32(out.payload + 8)} + get32(out.payload + 12);
    if (names > out.length - data_fixed)
      return "malformed data record";
  } else if (out.length % 8 != 0) {
    return "malformed ack record";
  } else {
    for (size_t i = 0; i < out.length; i += 8)
      if (get64(out.payload + i) > seq_limit)
        return "malformed ack record";
  }
  return nullptr;
}

/// Decodes a data record whose header starts at `rec`; false if it is not an
/// intact data record of `size` bytes with this seq.
bool decode_data(const char* rec, size_t size, uint64_t seq, outbox_record& out) {
  if (size < header_size + data_fixed || get32(rec) != data_magic)
    return false;
  size_t length = get32(rec + 4);
  if (header_size + length != size || get64(rec + 12) != seq)
    return false;
  if (record_crc(rec, length) != get32(rec + 8))
    return false;
  auto p = rec + header_size;
  size_t topic_size = get32(p + 8);
  size_t id_size = get32(p + 12);
  if (topic_size + id_size > length - data_fixed)
    return false;
  out.seq = seq;
  out.timestamp_ms = static_cast<int64_t>(get64(p));
  p += data_fixed;
  out.topic.assign(p, topic_size);
  out.message_id.assign(p + topic_size, id_size);
  out.body.assign(p + topic_size + id_size, length - data_fixed - topic_size - id_size);
  return true;
}

/// Scans from `pos` for intact records, the way replay would after skipping
/// corrupt bytes; counts the data records among them and their highest seq.
bool scan_for_intact(file_reader& in, uint64_t pos, uint64_t& data_records,
                     uint64_t& max_seq) {
  bool any = false;
  while (pos + header_size <= in.size()) {
    auto head = in.get(pos, 4);
    if (head == nullptr)
      return any;
    auto magic = get32(head);
    parsed_record rec;
    if ((magic != data_magic && magic != ack_magic) ||
        parse_record(in, pos, rec) != nullptr) {
      if (in.error() != 0)
        return any;
      ++pos;
      continue;
    }
    any = true;
    if (rec.magic == data_magic) {
      ++data_records;
      max_seq = std::max(max_seq, rec.seq);
    }
    pos += header_size + rec.length;
  }
  return any;
}

/// "00000000000000000042.log" → 42; false for other names and beyond seq_limit.
bool parse_segment_name(const std::string& name, uint64_t& base) {
  if (name.size() != 24 || name.compare(20, 4, ".log") != 0)
    return false;
  base = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9')
      return false;
    uint64_t digit = static_cast<uint64_t>(name[i] - '0');
    if (base > (UINT64_MAX - digit) / 10)
      return false;
    base = base * 10 + digit;
  }
  return base <= seq_limit;
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

// -- opening and replay ---------------------------------------------------------

outbox::outbox(outbox_options opts)
  : opts_(std::move(opts)) {}

outbox::~outbox() {
  close_fd(read_fd_);
  close_fd(active_fd_);
  close_fd(dir_fd_); // releases the lock
}

std::unique_ptr<outbox> outbox::open(outbox_options opts, std::string* err) {
  auto fail = [&](std::string msg) {
    if (err != nullptr)
      *err = std::move(msg);
    return nullptr;
  };
  if (opts.dir.empty())
    return fail("outbox: no directory given");
  if (opts.max_bytes == 0)
    return fail("outbox: " + opts.dir + ": max_bytes must be positive");
  if (opts.segment_bytes == 0 || opts.segment_bytes > max_record_bytes)
    return fail("outbox: " + opts.dir + ": segment_bytes must be in 1 .. 1 GiB");
  std::error_code ec;
  std::filesystem::create_directories(opts.dir, ec);
  if (ec)
    return fail("outbox: cannot create " + opts.dir + ": " + ec.message());
  std::unique_ptr<outbox> box{new outbox(std::move(opts))};
  if (!box->load(err))
    return nullptr;
  return box;
}

std::string outbox::segment_path(uint64_t base) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.log", static_cast<unsigned long long>(base));
  return opts_.dir + "/" + name;
}

bool outbox::load(std::string* err) {
  auto fail = [&](std::string msg) {
    if (err != nullptr)
      *err = std::move(msg);
    return false;
  };
  dir_fd_ = ::open(opts_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0)
    return fail("outbox: " + opts_.dir + ": " + errno_text(errno));
  if (::flock(dir_fd_, LOCK_EX | LOCK_NB) != 0)
    return fail("outbox: " + opts_.dir +
                (errno == EWOULDBLOCK ? ": in use by another outbox"
                                      : ": cannot lock: " + errno_text(errno)));
  std::vector<uint64_t> bases;
  std::error_code ec;
  for (std::filesystem::directory_iterator it{opts_.dir, ec}, end; !ec && it != end;
       it.increment(ec)) {
    uint64_t base = 0;
    if (parse_segment_name(it->path().filename().string(), base))
      bases.push_back(base);
  }
  if (ec)
    return fail("outbox: " + opts_.dir + ": " + ec.message());
  std::sort(bases.begin(), bases.end());
  uint64_t last_seq = 0;
  uint64_t floor = 0;
  std::vector<uint64_t> above;
  for (size_t i = 0; i < bases.size(); ++i)
    if (!replay(bases[i], i + 1 == bases.size(), last_seq, floor, above, err))
      return false;
  // Seqs go on after every seq seen, including skipped and deleted ones and
  // those an ack lists: a new record must never count as confirmed already.
  next_seq_ = std::max({uint64_t{1}, last_seq + 1, floor + 1});
  for (auto seq : above)
    next_seq_ = std::max(next_seq_, seq + 1);
  // Appends go on in the last segment only when their seqs follow its own (a
  // segment's index assumes contiguous seqs); else in a new segment.
  bool fresh = segments_.empty() || segments_.back().damaged;
  if (!segments_.empty()) {
    auto& last = segments_.back();
    next_seq_ = std::max(next_seq_, last.base + (last.damaged ? 1 : 0));
    if (!last.entries.empty() && last.last_seq() + 1 != next_seq_) {
      fresh = true;
      next_seq_ = std::max(next_seq_, last.base + 1); // a file name of its own
    }
  }
  floor_ = floor;
  for (auto seq : above)
    if (seq > floor_)
      above_.insert(seq);
  for (auto& seg : segments_) {
    for (size_t i = 0; i < seg.entries.size(); ++i) {
      if (confirmed(seg.first_seq + i))
        continue;
      ++seg.live;
      ++depth_;
      bytes_ += seg.entries[i].size;
    }
  }
  if (fresh) {
    close_fd(active_fd_);
    if (!create_segment(next_seq_, err))
      return false;
  }
  advance_floor();
  ack_dirty_ = false; // replay changed nothing that matters on disk
  cursor_ = floor_ + 1;
  unsent_ = depth_;
  return true;
}

bool outbox::replay(uint64_t base, bool last, uint64_t& last_seq, uint64_t& floor,
                    std::vector<uint64_t>& above, std::string* err) {
  auto path = segment_path(base);
  auto fail = [&](const std::string& what, int code) {
    if (err != nullptr)
      *err = "outbox: " + path + ": " + what + errno_text(code);
    return false;
  };
  int fd = ::open(path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    return fail("", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int code = errno;
    ::close(fd);
    return fail("", code);
  }
  segment seg;
  seg.base = base;
  seg.first_seq = last_seq + 1; // until a data record says otherwise
  file_reader in{fd, static_cast<uint64_t>(st.st_size)};
  uint64_t pos = 0;
  while (pos < in.size()) {
    parsed_record rec;
    const char* why = parse_record(in, pos, rec);
    if (why == nullptr && rec.magic == data_magic) {
      if (rec.seq <= last_seq)
        why = "seq goes backwards";
      else if (!seg.entries.empty() && rec.seq != seg.first_seq + seg.entries.size())
        why = "seq skips";
      else if (pos + header_size + rec.length > UINT32_MAX)
        why = "segment beyond 4 GiB";
    }
    if (why != nullptr) {
      if (in.error() != 0) {
        ::close(fd);
        return fail("read failed: ", in.error());
      }
      uint64_t lost = 0;
      uint64_t max_seq = 0;
      bool intact_after = scan_for_intact(in, pos + 1, lost, max_seq);
      if (in.error() != 0) {
        ::close(fd);
        return fail("read failed: ", in.error());
      }
      auto dropped = std::to_string(in.size() - pos);
      if (last && !intact_after) {
        if (::ftruncate(fd, static_cast<off_t>(pos)) != 0) {
          int code = errno;
          ::close(fd);
          return fail("cannot truncate a torn record: ", code);
        }
        open_warnings_.push_back(path + ": truncated a torn record at offset " +
                                 std::to_string(pos) + " (" + why + ", " + dropped +
                                 " bytes dropped)");
        seg.size = pos;
      } else {
        open_warnings_.push_back(
            path + ": corrupt record at offset " + std::to_string(pos) + " (" + why +
            "); skipped the remaining " + dropped + " bytes of the segment (" +
            std::to_string(lost) + " intact data records lost)");
        seg.size = in.size();
        seg.damaged = true;
        last_seq = std::max(last_seq, max_seq);
      }
      break;
    }
    if (rec.magic == data_magic) {
      if (seg.entries.empty())
        seg.first_seq = rec.seq;
      seg.entries.push_back(
          {static_cast<uint32_t>(pos), static_cast<uint32_t>(header_size + rec.length)});
      last_seq = rec.seq;
    } else {
      floor = std::max(floor, rec.seq);
      above.clear();
      for (size_t i = 0; i < rec.length; i += 8)
        above.push_back(get64(rec.payload + i));
      ack_base_ = base;
      has_ack_ = true;
    }
    pos += header_size + rec.length;
    seg.size = pos;
  }
  if (seg.entries.empty())
    seg.first_seq = last_seq + 1;
  segments_.push_back(std::move(seg));
  if (last && !segments_.back().damaged)
    active_fd_ = fd;
  else
    ::close(fd);
  return true;
}

bool outbox::create_segment(uint64_t base, std::string* err) {
  auto path = segment_path(base);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (err != nullptr)
      *err = "outbox write failed: " + path + ": " + errno_text(errno);
    return false;
  }
  if (opts_.sync) {
    if (active_fd_ >= 0)
      ::fdatasync(active_fd_);
    ::fsync(dir_fd_);
  }
  // The old active segment stays open for reading.
  if (active_fd_ >= 0) {
    close_fd(read_fd_);
    read_fd_ = active_fd_;
    read_base_ = segments_.back().base;
  }
  active_fd_ = fd;
  segment seg;
  seg.base = base;
  seg.first_seq = base;
  segments_.push_back(std::move(seg));
  return true;
}

// -- writing ----------------------------------------------------------------------

bool outbox::write_record(std::string* err) {
  auto* active = &segments_.back();
  if (!active->entries.empty() && active->size + buf_.size() > opts_.segment_bytes) {
    if (!create_segment(next_seq_, err))
      return false;
    active = &segments_.back();
  }
  auto off = active->size;
  size_t done = 0;
  int code = 0;
  while (done < buf_.size()) {
    auto n = ::pwrite(active_fd_, buf_.data() + done, buf_.size() - done,
                      static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      code = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (code == 0 && opts_.sync && ::fdatasync(active_fd_) != 0)
    code = errno;
  if (code != 0) {
    // Keep the file a valid log: cut off the partial record.
    if (done > 0 && ::ftruncate(active_fd_, static_cast<off_t>(off)) != 0) {
      // Then the next record overwrites it (pwrite at the same offset), and
      // replay truncates whatever might remain after the last record.
    }
    if (err != nullptr)
      *err =
          "outbox write failed: " + segment_path(active->base) + ": " + errno_text(code);
    return false;
  }
  active->size += buf_.size();
  return true;
}

uint64_t outbox::append(std::string_view topic, std::string_view message_id,
                        std::string_view body, int64_t timestamp_ms, std::string* err) {
  uint64_t payload =
      data_fixed + uint64_t{topic.size()} + message_id.size() + body.size();
  uint64_t size = header_size + payload;
  if (size > max_record_bytes || bytes_ + size > opts_.max_bytes) {
    if (err != nullptr)
      *err = size > opts_.max_bytes || size > max_record_bytes
                 ? "outbox full (a record of " + std::to_string(size) + " bytes, limit " +
                       std::to_string(opts_.max_bytes) + ")"
                 : "outbox full (" + std::to_string(bytes_) + " bytes, limit " +
                       std::to_string(opts_.max_bytes) + ")";
    return 0;
  }
  auto seq = next_seq_;
  buf_.resize(size);
  char* p = buf_.data();
  put32(p, data_magic);
  put32(p + 4, static_cast<uint32_t>(payload));
  put64(p + 12, seq);
  put64(p + 20, static_cast<uint64_t>(timestamp_ms));
  put32(p + 28, static_cast<uint32_t>(topic.size()));
  put32(p + 32, static_cast<uint32_t>(message_id.size()));
  char* q = p + header_size + data_fixed;
  std::memcpy(q, topic.data(), topic.size());
  q += topic.size();
  std::memcpy(q, message_id.data(), message_id.size());
  q += message_id.size();
  std::memcpy(q, body.data(), body.size());
  put32(p + 8, record_crc(p, payload));
  if (!write_record(err))
    return 0;
  auto& seg = segments_.back();
  if (seg.entries.empty())
    seg.first_seq = seq;
  seg.entries.push_back(
      {static_cast<uint32_t>(seg.size - size), static_cast<uint32_t>(size)});
  ++seg.live;
  ++depth_;
  ++unsent_;
  bytes_ += size;
  next_seq_ = seq + 1;
  if (opts_.cache_bytes > 0) {
    cache_.push_back({seq, timestamp_ms, std::string{topic}, std::string{message_id},
                      std::string{body}});
    cache_used_ += size + cache_overhead;
    while (!cache_.empty() &&
           (cache_used_ > opts_.cache_bytes || cache_.front().seq <= floor_)) {
      auto& front = cache_.front();
      cache_used_ -= header_size + data_fixed + front.topic.size() +
                     front.message_id.size() + front.body.size() + cache_overhead;
      cache_.pop_front();
    }
  }
  return seq;
}

bool outbox::write_ack(std::string* err) {
  size_t count = std::min(above_.size(), max_ack_entries);
  buf_.resize(header_size + 8 * count);
  char* p = buf_.data();
  put32(p, ack_magic);
  put32(p + 4, static_cast<uint32_t>(8 * count));
  put64(p + 12, floor_);
  auto it = above_.begin();
  for (size_t i = 0; i < count; ++i, ++it)
    put64(p + header_size + 8 * i, *it);
  put32(p + 8, record_crc(p, 8 * count));
  if (!write_record(err))
    return false;
  ack_base_ = segments_.back().base;
  has_ack_ = true;
  ack_dirty_ = false;
  return true;
}

bool outbox::flush(std::string* err) {
  if (::fdatasync(active_fd_) == 0)
    return true;
  if (err != nullptr)
    *err = "outbox write failed: " + segment_path(segments_.back().base) + ": " +
           errno_text(errno);
  return false;
}

bool outbox::checkpoint(std::string* err) {
  auto deletable = [&](const segment& seg) {
    return &seg != &segments_.back() && seg.live == 0;
  };
  bool ack_goes = false;
  for (auto& seg : segments_)
    if (has_ack_ && seg.base == ack_base_ && deletable(seg))
      ack_goes = true;
  if ((ack_dirty_ || ack_goes) && !write_ack(err))
    return false;
  bool ok = true;
  bool removed = false;
  std::vector<segment> kept;
  kept.reserve(segments_.size());
  for (auto& seg : segments_) {
    if (!deletable(seg)) {
      kept.push_back(std::move(seg));
      continue;
    }
    auto path = segment_path(seg.base);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      if (ok && err != nullptr)
        *err = "outbox: cannot delete " + path + ": " + errno_text(errno);
      ok = false;
      kept.push_back(std::move(seg));
      continue;
    }
    removed = true;
    if (read_fd_ >= 0 && read_base_ == seg.base)
      close_fd(read_fd_);
    if (!seg.entries.empty())
      above_.erase(above_.lower_bound(seg.first_seq), above_.upper_bound(seg.last_seq()));
  }
  segments_ = std::move(kept);
  if (removed) {
    if (opts_.sync)
      ::fsync(dir_fd_);
    advance_floor();
  }
  return ok;
}

// -- confirming -------------------------------------------------------------------

size_t outbox::segment_index(uint64_t seq) const {
  // The last segment whose first seq is <= seq (or the first one).
  auto it =
      std::upper_bound(segments_.begin(), segments_.end(), seq,
                       [](uint64_t s, const segment& seg) { return s < seg.first_seq; });
  return it == segments_.begin() ? 0 : static_cast<size_t>(it - segments_.begin()) - 1;
}

bool outbox::locate(uint64_t seq, size_t& seg_index, size_t& idx) const {
  if (segments_.empty())
    return false;
  seg_index = segment_index(seq);
  auto& seg = segments_[seg_index];
  if (seg.entries.empty() || seq < seg.first_seq || seq > seg.last_seq())
    return false;
  idx = static_cast<size_t>(seq - seg.first_seq);
  return true;
}

uint64_t outbox::next_present(uint64_t seq) const {
  for (size_t i = segments_.empty() ? 0 : segment_index(seq); i < segments_.size(); ++i) {
    auto& seg = segments_[i];
    if (!seg.entries.empty() && seg.last_seq() >= seq)
      return std::max(seq, seg.first_seq);
  }
  return next_seq_;
}

bool outbox::confirmed(uint64_t seq) const {
  return seq <= floor_ || (!above_.empty() && above_.count(seq) != 0);
}

void outbox::mark_confirmed(segment& seg, size_t idx) {
  bytes_ -= seg.entries[idx].size;
  --seg.live;
  --depth_;
  if (seg.first_seq + idx >= cursor_)
    --unsent_;
  ack_dirty_ = true;
}

void outbox::confirm(uint64_t seq, bool multiple) {
  if (seq <= floor_)
    return;
  if (seq >= next_seq_) {
    if (!multiple)
      return;
    seq = next_seq_ - 1;
    if (seq <= floor_)
      return;
  }
  if (multiple) {
    for (size_t i = segment_index(floor_ + 1); i < segments_.size(); ++i) {
      auto& seg = segments_[i];
      if (seg.entries.empty() || seg.live == 0 || seg.last_seq() <= floor_)
        continue;
      if (seg.first_seq > seq)
        break;
      auto from = std::max(floor_ + 1, seg.first_seq);
      auto to = std::min(seq, seg.last_seq());
      for (auto s = from; s <= to; ++s)
        if (above_.empty() || above_.count(s) == 0)
          mark_confirmed(seg, static_cast<size_t>(s - seg.first_seq));
    }
    floor_ = seq;
    ack_dirty_ = true;
  } else {
    size_t seg_index = 0;
    size_t idx = 0;
    if (!locate(seq, seg_index, idx) || !above_.insert(seq).second)
      return;
    mark_confirmed(segments_[seg_index], idx);
  }
  advance_floor();
}

void outbox::advance_floor() {
  for (;;) {
    if (!above_.empty() && *above_.begin() <= floor_)
      above_.erase(above_.begin(), above_.upper_bound(floor_));
    auto s = floor_ + 1;
    if (s >= next_seq_)
      break;
    if (!above_.empty() && *above_.begin() == s) {
      floor_ = s;
    } else if (auto p = next_present(s); p > s) {
      floor_ = p - 1; // nothing left to confirm below p
    } else {
      break;
    }
    ack_dirty_ = true;
  }
  if (cursor_ <= floor_)
    cursor_ = floor_ + 1;
}

// -- sending ----------------------------------------------------------------------

void outbox::rewind() {
  cursor_ = floor_ + 1;
  unsent_ = depth_;
}

int outbox::read_fd(const segment& seg) {
  if (&seg == &segments_.back())
    return active_fd_;
  if (read_fd_ >= 0 && read_base_ == seg.base)
    return read_fd_;
  close_fd(read_fd_);
  read_fd_ = ::open(segment_path(seg.base).c_str(), O_RDONLY | O_CLOEXEC);
  read_base_ = seg.base;
  return read_fd_;
}

void outbox::read_error(std::string msg) {
  if (read_errors_.size() < max_read_errors)
    read_errors_.push_back(std::move(msg));
}

size_t outbox::take_unsent(size_t max_count, std::vector<outbox_record>& out) {
  if (max_count == 0 || unsent_ == 0)
    return 0;
  // Pick the records: (segment, index) in seq order.
  std::vector<std::pair<size_t, size_t>> picks;
  picks.reserve(std::min(max_count, unsent_));
  for (size_t i = segment_index(cursor_);
       i < segments_.size() && picks.size() < max_count; ++i) {
    auto& seg = segments_[i];
    if (seg.live == 0 || seg.last_seq() < cursor_)
      continue;
    for (size_t k = cursor_ > seg.first_seq ? cursor_ - seg.first_seq : 0;
         k < seg.entries.size() && picks.size() < max_count; ++k)
      if (!confirmed(seg.first_seq + k))
        picks.emplace_back(i, k);
  }
  // Read them: from the cache, else by spans of neighbouring records.
  size_t taken = 0;
  bool dropped = false;
  for (size_t n = 0; n < picks.size();) {
    auto& seg = segments_[picks[n].first];
    auto seq = seg.first_seq + picks[n].second;
    if (!cache_.empty() && seq >= cache_.front().seq && seq <= cache_.back().seq) {
      out.push_back(cache_[seq - cache_.front().seq]);
      ++taken;
      --unsent_;
      cursor_ = seq + 1;
      ++n;
      continue;
    }
    // A span [first, end) of records of one segment, up to read_chunk bytes.
    uint64_t first = seg.entries[picks[n].second].offset;
    size_t m = n + 1;
    while (m < picks.size() && picks[m].first == picks[n].first) {
      auto& e = seg.entries[picks[m].second];
      auto s = seg.first_seq + picks[m].second;
      if (e.offset + e.size - first > read_chunk ||
          (!cache_.empty() && s >= cache_.front().seq))
        break;
      ++m;
    }
    auto& last = seg.entries[picks[m - 1].second];
    size_t span = last.offset + last.size - first;
    int fd = read_fd(seg);
    auto path = segment_path(seg.base);
    if (fd < 0) {
      read_error("outbox: cannot open " + path + ": " + errno_text(errno));
      break;
    }
    read_buf_.resize(span);
    size_t got = 0;
    int code = 0;
    while (got < span) {
      auto r = ::pread(fd, read_buf_.data() + got, span - got,
                       static_cast<off_t>(first + got));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        code = errno;
      if (r <= 0)
        break;
      got += static_cast<size_t>(r);
    }
    if (code != 0) {
      read_error("outbox: cannot read " + path + ": " + errno_text(code));
      break;
    }
    for (; n < m; ++n) {
      auto idx = picks[n].second;
      auto& e = seg.entries[idx];
      auto s = seg.first_seq + idx;
      outbox_record rec;
      if (e.offset + e.size - first <= got &&
          decode_data(read_buf_.data() + (e.offset - first), e.size, s, rec)) {
        out.push_back(std::move(rec));
        ++taken;
        --unsent_;
      } else {
        read_error(path + ": record " + std::to_string(s) + " at offset " +
                   std::to_string(e.offset) + " is no longer intact; dropped");
        mark_confirmed(seg, idx);
        above_.insert(s);
        dropped = true;
      }
      cursor_ = s + 1;
    }
  }
  if (read_buf_.capacity() > read_chunk)
    std::string{}.swap(read_buf_);
  if (dropped)
    advance_floor();
  return taken;
}

} // namespace warden
