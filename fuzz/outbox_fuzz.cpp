// libFuzzer target: the durable outbox of the RabbitMQ gateway opened on
// corrupted segment files, then used as the gateway uses it: replay, read
// everything, append, confirm, checkpoint, reopen (twice).
//
// Input: one options byte, then the segment files, separated by "WSEG".
// Options: bit 0 keeps a cache of the newest records in memory, bit 1 rolls
// segments at 512 bytes, bit 2 fixes the CRC of every record in each file (so
// that the fuzzer reaches past the checksums into the seq and ack logic). A
// file is named for the seq of its first data record, else for one more than
// the file before it: as the outbox itself names them.
//
// Invariants (a violation traps):
// - open succeeds (corruption is skipped or truncated, never fatal) and
//   nothing crashes or loops;
// - every record handed out is an intact data record of the files (its CRC
//   computed here, independently), in increasing seq order above the
//   confirmed floor; after a rewind the same records come again;
// - an appended record gets the next seq and comes back as written;
// - after a checkpoint and a reopen, exactly the unconfirmed records come back,
//   in order, with the same contents; once everything is confirmed, a reopen
//   finds an empty outbox with no warnings.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "warden/messaging/outbox.hpp"

namespace {

using namespace warden;

constexpr std::string_view separator = "WSEG";
constexpr uint32_t data_magic = 0x31444f57; // "WOD1"
constexpr uint32_t ack_magic = 0x31414f57;  // "WOA1"
constexpr size_t header_size = 20;

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

void put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>(v >> (8 * i));
}

/// zlib's crc32, bit by bit: a second opinion on the outbox's own.
uint32_t crc32(uint32_t crc, const char* data, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<unsigned char>(data[i]);
    for (int k = 0; k < 8; ++k)
      crc = (crc & 1) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

uint32_t record_crc(const char* rec, size_t length) {
  return crc32(crc32(0, rec, 8), rec + 12, 8 + length);
}

/// The records from the start of a file, back to back, while they have a
/// known magic and fit; calls `f(offset, magic, length)` for each.
template <class F>
void walk(const std::string& file, F f) {
  for (size_t pos = 0; pos + header_size <= file.size();) {
    auto magic = get32(file.data() + pos);
    uint64_t length = get32(file.data() + pos + 4);
    if ((magic != data_magic && magic != ack_magic) ||
        length > file.size() - pos - header_size)
      return;
    f(pos, magic, static_cast<size_t>(length));
    pos += header_size + length;
  }
}

/// Every intact data record (CRC right, fields inside the payload) anywhere in
/// `file`, by seq; a seq found twice keeps both candidates.
void intact_records(const std::string& file,
                    std::multimap<uint64_t, outbox_record>& out) {
  for (size_t pos = 0; pos + header_size + 16 <= file.size(); ++pos) {
    auto p = file.data() + pos;
    if (get32(p) != data_magic)
      continue;
    uint64_t length = get32(p + 4);
    if (length < 16 || length > file.size() - pos - header_size)
      continue;
    if (record_crc(p, length) != get32(p + 8))
      continue;
    auto payload = p + header_size;
    uint64_t topic = get32(payload + 8);
    uint64_t id = get32(payload + 12);
    if (topic + id > length - 16)
      continue;
    outbox_record rec;
    rec.seq = get64(p + 12);
    rec.timestamp_ms = static_cast<int64_t>(get64(payload));
    rec.topic.assign(payload + 16, topic);
    rec.message_id.assign(payload + 16 + topic, id);
    rec.body.assign(payload + 16 + topic + id, length - 16 - topic - id);
    out.emplace(rec.seq, std::move(rec));
  }
}

bool same(const outbox_record& x, const outbox_record& y) {
  return x.seq == y.seq && x.timestamp_ms == y.timestamp_ms && x.topic == y.topic &&
         x.message_id == y.message_id && x.body == y.body;
}

std::string describe(const outbox_record& rec) {
  return "seq " + std::to_string(rec.seq) + " topic '" + rec.topic + "' id '" +
         rec.message_id + "' body '" + rec.body + "'";
}

std::vector<uint64_t> seqs(const std::vector<outbox_record>& recs) {
  std::vector<uint64_t> result;
  for (auto& rec : recs)
    result.push_back(rec.seq);
  return result;
}

std::string show(const std::vector<uint64_t>& xs) {
  std::string result;
  for (auto x : xs)
    result += std::to_string(x) + " ";
  return result;
}

std::unique_ptr<outbox> open_box(const outbox_options& opts) {
  std::string err;
  auto box = outbox::open(opts, &err);
  fuzz::check(box != nullptr, "the outbox does not open", err);
  return box;
}

std::vector<outbox_record> take_all(outbox& box, const char* when) {
  std::vector<outbox_record> out;
  box.take_unsent(SIZE_MAX, out);
  fuzz::check(box.unsent() == 0, "records left unsent after taking everything", when);
  return out;
}

void check_order(const outbox& box, const std::vector<outbox_record>& recs) {
  for (size_t i = 0; i < recs.size(); ++i) {
    fuzz::check(recs[i].seq > box.confirmed_floor(), "a record at or below the floor");
    fuzz::check(recs[i].seq < box.next_seq(), "a record at or beyond the next seq");
    fuzz::check(i == 0 || recs[i - 1].seq < recs[i].seq, "records out of seq order",
                show(seqs(recs)));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view input{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto options = data[0];
  // The segment files, named as the outbox names them.
  std::vector<std::string> files;
  for (size_t pos = 0;;) {
    auto next = input.find(separator, pos);
    files.emplace_back(
        input.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos)
      break;
    pos = next + separator.size();
  }
  if ((options & 4) != 0)
    for (auto& file : files)
      walk(file, [&](size_t pos, uint32_t, size_t length) {
        put32(file.data() + pos + 8, record_crc(file.data() + pos, length));
      });
  auto dir = fuzz::temp_root() + "/box";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  std::multimap<uint64_t, outbox_record> intact;
  uint64_t base = 1;
  for (size_t i = 0; i < files.size(); ++i) {
    auto& file = files[i];
    if (i > 0)
      ++base;
    if (file.size() >= header_size && get32(file.data()) == data_magic)
      base = std::max(base, get64(file.data() + 12));
    char name[32];
    std::snprintf(name, sizeof(name), "/%020llu.log",
                  static_cast<unsigned long long>(base));
    fuzz::write_file(dir + name, file);
    intact_records(file, intact);
  }
  outbox_options opts;
  opts.dir = dir;
  opts.cache_bytes = (options & 1) != 0 ? 1 << 20 : 0;
  opts.segment_bytes = (options & 2) != 0 ? 512 : 16 << 20;

  // Open 1: replay, read everything twice, append one, confirm half.
  auto box = open_box(opts);
  fuzz::check(box->depth() == box->unsent(), "unsent records differ from depth at open");
  auto first = take_all(*box, "at the first open");
  fuzz::check(box->read_errors().empty(), "records replayed at open do not read back",
              box->read_errors().empty() ? "" : box->read_errors().front());
  fuzz::check(first.size() == box->depth(), "taken records differ from depth");
  check_order(*box, first);
  for (auto& rec : first) {
    auto [lo, hi] = intact.equal_range(rec.seq);
    bool found = std::any_of(lo, hi, [&](auto& kv) { return same(kv.second, rec); });
    fuzz::check(found, "a record handed out is not an intact record of the files",
                describe(rec));
  }
  box->rewind();
  fuzz::check(seqs(take_all(*box, "after a rewind")) == seqs(first),
              "after a rewind, other records");
  auto next = box->next_seq();
  std::string err;
  auto seq = box->append("Fuzz.Topic", "fuzz-1", "{\"n\":1}", 42, &err);
  fuzz::check(seq != 0, "append failed", err);
  fuzz::check(seq == next, "append did not take the next seq");
  auto appended = take_all(*box, "after an append");
  fuzz::check(appended.size() == 1 && appended[0].seq == seq &&
                  appended[0].body == "{\"n\":1}" && appended[0].topic == "Fuzz.Topic" &&
                  appended[0].message_id == "fuzz-1" && appended[0].timestamp_ms == 42,
              "the appended record does not come back as written");
  first.push_back(appended[0]);
  std::vector<outbox_record> kept;
  for (size_t i = first.size(); i-- > 0;) {
    if (i % 2 == 0)
      box->confirm(first[i].seq, false);
    else
      kept.insert(kept.begin(), first[i]);
  }
  fuzz::check(box->depth() == kept.size(), "depth after confirms");
  fuzz::check(box->checkpoint(&err), "checkpoint failed", err);
  box.reset();

  // Open 2: exactly the unconfirmed records, then confirm everything.
  box = open_box(opts);
  auto second = take_all(*box, "at the second open");
  fuzz::check(seqs(second) == seqs(kept), "after a reopen, not the unconfirmed records",
              "expected " + show(seqs(kept)) + "got " + show(seqs(second)));
  for (size_t i = 0; i < kept.size(); ++i)
    fuzz::check(same(second[i], kept[i]), "after a reopen, a record changed",
                describe(kept[i]) + " became " + describe(second[i]));
  fuzz::check(box->next_seq() > seq, "after a reopen, seqs go back");
  box->confirm(box->next_seq() - 1, true);
  fuzz::check(box->depth() == 0, "records left after confirming everything");
  fuzz::check(box->checkpoint(&err), "checkpoint failed", err);
  box.reset();

  // Open 3: nothing left, nothing wrong.
  box = open_box(opts);
  fuzz::check(box->depth() == 0 && take_all(*box, "at the third open").empty(),
              "confirmed records came back after a reopen");
  fuzz::check(box->open_warnings().empty(), "warnings on an outbox written by itself",
              box->open_warnings().empty() ? "" : box->open_warnings().front());
  return 0;
}
