#include "warden/schedule/next_fire.hpp"

#include <date/tz.h>

#include "warden/schedule/find_zone.hpp"

namespace warden {

namespace {

using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

schedule_time to_schedule_time(date::sys_seconds x) {
  return schedule_time{
      std::chrono::duration_cast<schedule_duration>(x.time_since_epoch())};
}

/// How far before the local time of `after` a candidate may lie and still
/// fire after `after`: the length of a repeated hour when `after` lies just
/// before a fall-back change, else 0.
seconds look_back(const date::time_zone* zone, date::sys_seconds after,
                  const date::sys_info& info) {
  if (info.end - after > date::days{2})
    return seconds{0};
  auto next = zone->get_info(info.end);
  return next.offset < info.offset ? info.offset - next.offset : seconds{0};
}

} // namespace

std::optional<schedule_time> next_fire(const cron_expr& expr, schedule_time after,
                                       const date::time_zone* zone) {
  if (zone == nullptr)
    zone = local_zone();
  auto after_s = floor<seconds>(after);
  auto info = zone->get_info(after_s);
  auto local_after = date::local_seconds{after_s.time_since_epoch() + info.offset};
  // Candidates before `threshold` map to times at or before `after`.
  auto threshold = floor<minutes>(local_after) - look_back(zone, after_s, info);
  auto day = floor<date::days>(threshold);
  auto end = day + date::days{366 * next_fire_horizon_years + 2};
  std::optional<schedule_time> best;
  // Local times beyond `best_limit` map after `best` (offsets change by less
  // than three hours between neighbouring candidates).
  date::local_seconds best_limit;
  auto consider = [&](date::sys_seconds x) {
    auto t = to_schedule_time(x);
    if (t > after && (!best || t < *best)) {
      best = t;
      best_limit = date::local_seconds{x.time_since_epoch() + info.offset + hours{3}};
    }
  };
  auto stop_day = end;
  bool wild = expr.wild();
  while (day < end && day <= stop_day) {
    date::year_month_day ymd{day};
    if (!expr.has_month(static_cast<unsigned>(ymd.month()))) {
      auto next_month = date::year_month{ymd.year(), ymd.month()} + date::months{1};
      day = date::local_days{next_month / 1};
      continue;
    }
    if (expr.matches_day(static_cast<unsigned>(ymd.day()),
                         date::weekday{day}.c_encoding())) {
      for (unsigned h = 0; h < 24; ++h) {
        if (!expr.has_hour(h))
          continue;
        for (unsigned m = 0; m < 60; ++m) {
          if (!expr.has_minute(m))
            continue;
          auto local = date::local_seconds{day} + hours{h} + minutes{m};
          if (local < threshold)
            continue;
          if (best && local > best_limit)
            return best;
          auto li = zone->get_info(local);
          switch (li.result) {
            case date::local_info::unique:
              consider(date::sys_seconds{local.time_since_epoch() - li.first.offset});
              break;
            case date::local_info::nonexistent:
              // Skipped by a spring-forward change: a fixed-time job runs once
              // when the gap ends, a wild one follows the clock.
              if (!wild)
                consider(li.second.begin);
              break;
            case date::local_info::ambiguous:
              // Repeated by a fall-back change: a fixed-time job runs at the
              // first occurrence only, a wild one at both.
              consider(date::sys_seconds{local.time_since_epoch() - li.first.offset});
              if (wild)
                consider(date::sys_seconds{local.time_since_epoch() - li.second.offset});
              break;
          }
        }
      }
    }
    // A later local day may still map to an earlier instant across a change
    // of offset, so look one more day before settling.
    if (best && stop_day == end)
      stop_day = day + date::days{1};
    day += date::days{1};
  }
  return best;
}

} // namespace warden
