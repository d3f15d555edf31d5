#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/local_actor.hpp>
#include <nlohmann/json.hpp>

#include "warden/actors/service.hpp"

namespace warden {

/// When a child that exited is started again (OTP's restart types).
enum class restart_type : uint8_t {
  permanent, ///< always
  transient, ///< only after an abnormal exit (not normal, not shutdown)
  temporary, ///< never
};

/// Which siblings restart together with a crashed child.
enum class strategy : uint8_t {
  one_for_one,  ///< only the crashed child
  one_for_all,  ///< all children
  rest_for_one, ///< the crashed child and every child started after it
};

/// When a supervisor stops itself because significant children exited
/// (OTP's auto_shutdown).
enum class auto_shutdown : uint8_t {
  never,
  any_significant, ///< once any significant child exits on its own
  all_significant, ///< once all significant children have exited
};

const char* to_string(restart_type x) noexcept;
const char* to_string(strategy x) noexcept;
const char* to_string(auto_shutdown x) noexcept;
bool from_string(const std::string& name, restart_type& x) noexcept;
bool from_string(const std::string& name, strategy& x) noexcept;
bool from_string(const std::string& name, auto_shutdown& x) noexcept;

using std::chrono::milliseconds;

/// The shutdown deadline that never expires (the default of supervisors).
constexpr milliseconds shutdown_infinity = milliseconds::max();

/// Delays between restarts of the same child. The n-th consecutive crash
/// waits min × 2^(n-1), capped at max, spread by ±jitter (a fraction); a child
/// that ran for `reset_after` without crashing starts again from `min`.
/// All zero (the default): restart at once.
struct backoff_policy {
  milliseconds min{0};
  milliseconds max{0};
  double jitter = 0.0;
  milliseconds reset_after{10000};

  bool enabled() const noexcept {
    return max.count() > 0;
  }
};

/// Starts one instance of a child: spawns it from `parent` (the supervisor)
/// and returns the handle. Build one with `make_factory<T>(...)` or
/// `make_function_factory(fn)`.
using child_factory =
    std::function<caf::actor(caf::local_actor& parent, service_init init)>;

struct supervisor_spec;

/// One child of a supervisor, as plain data. Defaults follow OTP: a
/// permanent worker with a 5 s shutdown deadline.
struct child_spec {
  /// Unique among siblings; no '/'. The child's path is parent path + '/' + name.
  std::string name;
  /// The service type, for diagnostics ("supervisor" for nested supervisors).
  std::string type = "service";
  /// Starts an instance. Not used for nested supervisors (`supervisor` set).
  child_factory factory;
  restart_type restart = restart_type::permanent;
  /// Time between the stop request and the kill; `shutdown_infinity` waits
  /// forever (the default for nested supervisors).
  milliseconds shutdown{5000};
  /// Siblings that must be running (ready) before this child starts.
  std::vector<std::string> depends_on;
  /// Whether this child's own exit may shut its supervisor down (see
  /// `auto_shutdown`); only for transient and temporary children.
  bool significant = false;
  /// A disabled child is known but not started.
  bool enabled = true;
  /// Overrides the supervisor's backoff for this child.
  std::optional<backoff_policy> backoff;
  /// Handed to every instance (`service::params()`).
  nlohmann::json params;
  /// Set for nested supervisors: the spec of the child supervisor.
  std::shared_ptr<const supervisor_spec> supervisor;
  /// `ready = "exit"`: a one-shot, ready once it has exited normally (state
  /// `done`); its dependants start only then. Its own `ready()` is ignored.
  bool one_shot = false;
  /// Names the type-specific settings the factory was made from: a reload
  /// restarts a child whose hash changed (0 for children defined in code).
  uint64_t settings_hash = 0;
};

/// Supervisor-wide settings (OTP's sup_flags plus backoff).
struct supervisor_flags {
  strategy strat = strategy::one_for_one;
  /// More than `intensity` restarts within `period` and the supervisor gives
  /// up: it stops its children and exits with `error::intensity_exceeded`.
  uint32_t intensity = 1;
  milliseconds period{5000};
  backoff_policy backoff;
  auto_shutdown shutdown = auto_shutdown::never;
};

/// A supervisor and its children, in start order (left to right).
struct supervisor_spec {
  supervisor_flags flags;
  std::vector<child_spec> children;
};

/// A factory that spawns `T(actor_config&, service_init, xs...)`.
template <class T, class... Ts>
child_factory make_factory(Ts... xs) {
  return [=](caf::local_actor& parent, service_init init) -> caf::actor {
    return parent.spawn<T>(std::move(init), xs...);
  };
}

/// A factory for a `function_service` running `fn`.
child_factory make_function_factory(function_service::body fn);

/// A child spec for a worker service.
child_spec worker(std::string name, child_factory factory,
                  restart_type restart = restart_type::permanent);

/// A child spec for a nested supervisor.
child_spec nested(std::string name, supervisor_spec spec,
                  restart_type restart = restart_type::permanent);

} // namespace warden

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(warden::child_spec)
