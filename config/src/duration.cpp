#include "warden/config/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace warden {

namespace {

struct unit {
  std::string_view name;
  int64_t ms;
};

// Longest names first so that "ms" is not read as "m" + "s".
constexpr unit units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

bool fail(std::string* why, std::string message) {
  if (why != nullptr)
    *why = std::move(message);
  return false;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string* why) {
  if (text.empty()) {
    fail(why, "empty duration");
    return std::nullopt;
  }
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos]))) {
      fail(why, "bad duration \"" + std::string{text} + "\": expected a number at '" +
                    std::string{text.substr(pos)} + "'");
      return std::nullopt;
    }
    int64_t value = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (value > std::numeric_limits<int64_t>::max() / 10 - 9) {
        fail(why, "duration \"" + std::string{text} + "\" is too large");
        return std::nullopt;
      }
      value = value * 10 + (text[pos++] - '0');
    }
    const unit* found = nullptr;
    for (auto& u : units)
      if (text.substr(pos, u.name.size()) == u.name) {
        found = &u;
        break;
      }
    if (found == nullptr) {
      fail(why, "bad duration \"" + std::string{text} +
                    "\": a unit (ms, s, m, h, d) must follow each number");
      return std::nullopt;
    }
    pos += found->name.size();
    if (value > (std::numeric_limits<int64_t>::max() - total) / found->ms) {
      fail(why, "duration \"" + std::string{text} + "\" is too large");
      return std::nullopt;
    }
    total += value * found->ms;
  }
  return std::chrono::milliseconds{total};
}

std::string format_duration(std::chrono::milliseconds x) {
  auto ms = x.count();
  if (ms == 0)
    return "0s";
  std::string result;
  if (ms < 0) {
    result = "-";
    ms = -ms;
  }
  for (auto i = std::size(units); i-- > 1;) {
    auto& u = units[i];
    if (ms >= u.ms) {
      result += std::to_string(ms / u.ms) + std::string{u.name};
      ms %= u.ms;
    }
  }
  if (ms > 0)
    result += std::to_string(ms) + "ms";
  return result;
}

} // namespace warden
