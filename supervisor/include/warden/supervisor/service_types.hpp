#pragma once

#include <map>
#include <string>
#include <vector>

#include "warden/supervisor/child_spec.hpp"

namespace warden {

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
  /// Registers `factory` under `name`, replacing an earlier registration.
  void add(std::string name, child_factory factory) {
    types_[std::move(name)] = std::move(factory);
  }

  /// Registers `T(actor_config&, service_init)` under `name`.
  template <class T>
  void add(std::string name) {
    add(std::move(name), make_factory<T>());
  }

  /// The factory for `name`, or null.
  const child_factory* find(const std::string& name) const {
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
  std::map<std::string, child_factory> types_;
};

} // namespace warden
