#include "warden/actors/bus_message.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

namespace warden {

namespace {

uint64_t process_prefix() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
         static_cast<uint64_t>(
             std::chrono::steady_clock::now().time_since_epoch().count());
}

const uint64_t prefix = process_prefix();

} // namespace

std::string next_message_id() {
  static std::atomic<uint64_t> counter{0};
  char buf[40];
  auto n = std::snprintf(buf, sizeof(buf), "%016llx-%llx",
                         static_cast<unsigned long long>(prefix),
                         static_cast<unsigned long long>(
                             counter.fetch_add(1, std::memory_order_relaxed) + 1));
  return std::string(buf, static_cast<size_t>(n));
}

bool own_message_id(const std::string& message_id) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx-", static_cast<unsigned long long>(prefix));
  return message_id.size() > 17 && message_id.compare(0, 17, buf) == 0;
}

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace warden
