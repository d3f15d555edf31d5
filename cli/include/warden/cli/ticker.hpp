#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "warden/actors/lifecycle.hpp"
#include "warden/config/warden_config.hpp"
#include "warden/supervisor/path_registry.hpp"

namespace warden {

/// The schedules of a config by child path (what the ticker runs).
struct schedule_set {
  std::map<std::string, std::vector<schedule_config>> by_child;
};

/// The schedules of `cfg`.
schedule_set schedules_of(const warden_config& cfg);

/// Where the ticker reads the time of day: the system clock in production, a
/// manual clock in tests.
using ticker_clock = std::function<std::chrono::system_clock::time_point()>;

/// Spawns the ticker: one `schedule_book` and one timer for every schedule
/// of the tree. It follows the children's lifecycle (at_start, stops) on
/// `events`, delivers `tick` messages to the current instance of each child
/// (a request: the answer marks the tick handled, for the overlap policy),
/// shows next/last fire times in the children's diagnostics values
/// (`schedule.<tick>.next`, `.last`, `.fired`, `.late`, `.skipped`), and
/// keeps the last fire time per schedule in `state_file` (catch-up after a
/// restart of warden). Send it a new `schedule_set` on reload; changed
/// schedules are replaced, others untouched, children never restarted.
///
/// `clock` is the ticker's only notion of the time of day (empty: the
/// system clock). Its timer waits on the actor system's clock for the
/// difference to the next deadline, so a test drives the ticker by passing a
/// clock that follows the test coordinator's virtual time and calling
/// `advance_time` (see tests/actor/ticker_test.cpp).
caf::actor spawn_ticker(caf::actor_system& sys, schedule_set initial,
                        path_registry_ptr registry, lifecycle_bus_ptr events,
                        std::string state_file, ticker_clock clock = {});

} // namespace warden

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(warden::schedule_set)
