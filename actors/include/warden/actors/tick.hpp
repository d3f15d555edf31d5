#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace warden {

/// A scheduled tick, delivered to a service as an ordinary message (handled
/// in the service's own turn) and answered, so that the scheduler knows it
/// was handled: override `service::on_tick`, or match `const warden::tick&`
/// in the behavior and return anything.
struct tick {
  /// The schedule's `tick` name, e.g. "scan".
  std::string name;
  /// "regular", "at_start" or "catch_up".
  std::string kind = "regular";
  /// When it was due, µs since the Unix epoch.
  int64_t due_us = 0;
  /// How late it is delivered, in µs.
  int64_t lateness_us = 0;
  /// Regular runs missed since the previous tick (it fell behind).
  uint64_t missed = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tick& x) {
  return f(caf::meta::type_name("warden::tick"), x.name, x.kind, x.due_us, x.lateness_us,
           x.missed);
}

} // namespace warden
