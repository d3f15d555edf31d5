#include "warden/schedule/last_fire_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <date/date.h>

#include "warden/schedule/atomic_write.hpp"

namespace warden {

namespace {

constexpr std::string_view header_line = "# warden schedule last fire times v1";
constexpr std::string_view end_line = "# end";

bool printable_key(const std::string& key) {
  if (key.empty())
    return false;
  for (auto c : key)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return false;
  return true;
}

std::string format_time(schedule_time t) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  return date::format("%Y-%m-%dT%H:%M:%SZ", ms);
}

bool digits(std::string_view x, size_t pos, size_t n, int& value) {
  value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (x[i] < '0' || x[i] > '9')
      return false;
    value = value * 10 + (x[i] - '0');
  }
  return true;
}

/// Parses exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`.
bool parse_time(std::string_view x, schedule_time& result) {
  if (x.size() != 24 || x[4] != '-' || x[7] != '-' || x[10] != 'T' || x[13] != ':' ||
      x[16] != ':' || x[19] != '.' || x[23] != 'Z')
    return false;
  int y, mo, d, h, mi, s, ms;
  if (!digits(x, 0, 4, y) || !digits(x, 5, 2, mo) || !digits(x, 8, 2, d) ||
      !digits(x, 11, 2, h) || !digits(x, 14, 2, mi) || !digits(x, 17, 2, s) ||
      !digits(x, 20, 3, ms))
    return false;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59)
    return false;
  auto tp = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
            std::chrono::seconds{s} + std::chrono::milliseconds{ms};
  result =
      schedule_time{std::chrono::duration_cast<schedule_duration>(tp.time_since_epoch())};
  return true;
}

} // namespace

std::string format_last_fires(const last_fire_map& times) {
  std::string result{header_line};
  result += '\n';
  for (auto& [key, when] : times) {
    if (!printable_key(key))
      continue;
    result += format_time(when);
    result += ' ';
    result += key;
    result += '\n';
  }
  result += end_line;
  result += '\n';
  return result;
}

last_fire_load parse_last_fires(std::string_view text, const std::string& origin) {
  last_fire_load result;
  std::map<std::string, size_t> first_line;
  bool ended = false;
  size_t line_no = 0;
  size_t pos = 0;
  auto problem = [&](const std::string& what) {
    result.problems.push_back(origin + ":" + std::to_string(line_no) + ": " + what);
  };
  while (pos < text.size()) {
    ++line_no;
    auto nl = text.find('\n', pos);
    bool complete = nl != std::string_view::npos;
    auto line = text.substr(pos, complete ? nl - pos : std::string_view::npos);
    pos = complete ? nl + 1 : text.size();
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty())
      continue;
    if (line == end_line) {
      ended = true;
      continue;
    }
    if (line[0] == '#')
      continue;
    if (ended) {
      problem("line after the end line ignored");
      continue;
    }
    if (!complete) {
      problem("incomplete last line ignored");
      continue;
    }
    auto space = line.find(' ');
    schedule_time when;
    if (space == std::string_view::npos || !parse_time(line.substr(0, space), when)) {
      auto shown = line.substr(0, std::min<size_t>(line.size(), 40));
      problem("cannot read a time and a key from \"" + std::string{shown} + "\"");
      continue;
    }
    std::string key{line.substr(space + 1)};
    if (!printable_key(key)) {
      problem("no schedule key after the time");
      continue;
    }
    if (auto i = first_line.find(key); i != first_line.end())
      problem("duplicate key \"" + key + "\" (first at line " +
              std::to_string(i->second) + "), the later one wins");
    else
      first_line.emplace(key, line_no);
    result.times[key] = when;
  }
  if (!ended) {
    result.problems.push_back(origin + ": no end line, the file is truncated");
  }
  return result;
}

bool save_last_fires(const std::string& path, const last_fire_map& times,
                     std::string* why) {
  return write_file_atomically(path, format_last_fires(times), why, 0644);
}

last_fire_load load_last_fires(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec)
    return {};
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    last_fire_load result;
    result.problems.push_back(path + ": cannot read: " + std::strerror(errno));
    return result;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_last_fires(buf.str(), path);
}

} // namespace warden
