#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/supervisor/child_spec.hpp"

namespace warden {

/// One service type: how to make its factory from the type-specific keys of
/// a child (e.g. `command`, `env` for `process`), and which keys those are.
struct service_type {
  std::function<child_factory(const nlohmann::json& settings)> make;
  /// Child-level config keys this type accepts besides the common ones.
  std::vector<std::string> settings_keys;
};

/// The service types a program knows by name: what `type = "..."` in the
/// config refers to. Built-in types register themselves; a user's `main`
/// adds its own before handing over to warden's command line.
///
/// ```
/// warden::service_types types;
/// types.add<my_service>("my_service");
/// ```
class service_types {
public:
  /// Registers `type` under `name`, replacing an earlier registration.
  void add(std::string name, service_type type) {
    types_[std::move(name)] = std::move(type);
  }

  /// Registers a type without type-specific keys.
  void add(std::string name, child_factory factory) {
    add(std::move(name), service_type{[factory{std::move(factory)}](
                                          const nlohmann::json&) { return factory; },
                                      {}});
  }

  /// Registers `T(actor_config&, service_init)` under `name`.
  template <class T>
  void add(std::string name) {
    add(std::move(name), make_factory<T>());
  }

  /// The type registered as `name`, or null.
  const service_type* find(const std::string& name) const {
    auto i = types_.find(name);
    return i != types_.end() ? &i->second : nullptr;
  }

  /// All registered names, sorted (for "did you mean" and `--help`).
  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (auto& kv : types_)
      result.push_back(kv.first);
    return result;
  }

private:
  std::map<std::string, service_type> types_;
};

} // namespace warden
