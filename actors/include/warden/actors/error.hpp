#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>

namespace warden {

/// Errors raised by warden itself. Registered with CAF under the category
/// atom `warden` so they travel as exit reasons and in replies. The context
/// of a warden error is a list of strings: the first is the human message,
/// an optional second one is the cause (the error this one wraps).
enum class error : uint8_t {
  none = 0,
  /// A service threw an exception from a handler or hook.
  exception,
  /// A service called `fail()`.
  service_failed,
  /// A supervisor exceeded its restart intensity and gave up.
  intensity_exceeded,
  /// A child spec or supervisor spec did not validate.
  invalid_spec,
  /// No child with the given name or path.
  unknown_child,
  /// The child exists but is in a state where the request makes no sense.
  bad_state,
  /// A child with that name already exists.
  duplicate_child,
  /// A child did not stop within its shutdown deadline and was killed.
  shutdown_timeout,
  /// A child factory returned no actor or threw.
  start_failed,
  /// Its dependencies are not running, so the child cannot start.
  dependency_not_running,
  /// A message or request was malformed (bad topic, bad JSON, bad field).
  invalid_argument,
  /// A resource refused the work for now: the outbox is full, its disk
  /// failed, the gateway is away. Retry later (back-pressure).
  unavailable,
};

/// The number of enumerators, for the round-trip test of `to_string`.
constexpr uint8_t error_count = static_cast<uint8_t>(error::unavailable) + 1;

/// Returns the enumerator's name, e.g. "intensity_exceeded".
const char* to_string(error x) noexcept;

/// Parses an enumerator name; returns false for unknown names.
bool from_string(const std::string& name, error& x) noexcept;

/// The CAF error category of warden errors.
constexpr caf::atom_value error_category = caf::atom("warden");

/// Builds a warden error with a human message.
caf::error make_error(error code, std::string message = {});

/// Builds a warden error that keeps `cause` as its cause.
caf::error make_error(error code, std::string message, const caf::error& cause);

/// Renders any CAF error for humans: warden errors as
/// "intensity_exceeded: root/workers gave up; cause: ...", CAF's own
/// categories through CAF's `to_string`. The empty error is "normal".
std::string describe(const caf::error& x);

/// Renderer to register with `actor_system_config::add_error_category`.
std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& context);

} // namespace warden
