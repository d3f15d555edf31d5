#include "warden/supervisor/child_spec.hpp"

#include <iterator>

namespace warden {

namespace {

constexpr const char* restart_names[] = {"permanent", "transient", "temporary"};
constexpr const char* strategy_names[] = {"one_for_one", "one_for_all", "rest_for_one"};
constexpr const char* auto_shutdown_names[] = {"never", "any_significant",
                                               "all_significant"};

template <class Enum, size_t N>
bool parse(const char* const (&names)[N], const std::string& name, Enum& x) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) {
      x = static_cast<Enum>(i);
      return true;
    }
  return false;
}

template <class Enum, size_t N>
const char* name_of(const char* const (&names)[N], Enum x) {
  auto index = static_cast<size_t>(x);
  return index < N ? names[index] : "unknown";
}

} // namespace

const char* to_string(restart_type x) noexcept {
  return name_of(restart_names, x);
}

const char* to_string(strategy x) noexcept {
  return name_of(strategy_names, x);
}

const char* to_string(auto_shutdown x) noexcept {
  return name_of(auto_shutdown_names, x);
}

bool from_string(const std::string& name, restart_type& x) noexcept {
  return parse(restart_names, name, x);
}

bool from_string(const std::string& name, strategy& x) noexcept {
  return parse(strategy_names, name, x);
}

bool from_string(const std::string& name, auto_shutdown& x) noexcept {
  return parse(auto_shutdown_names, name, x);
}

child_factory make_function_factory(function_service::body fn) {
  return [fn{std::move(fn)}](caf::local_actor& parent, service_init init) -> caf::actor {
    return parent.spawn<function_service>(std::move(init), fn);
  };
}

child_spec worker(std::string name, child_factory factory, restart_type restart) {
  child_spec result;
  result.name = std::move(name);
  result.factory = std::move(factory);
  result.restart = restart;
  return result;
}

child_spec nested(std::string name, supervisor_spec spec, restart_type restart) {
  child_spec result;
  result.name = std::move(name);
  result.type = "supervisor";
  result.restart = restart;
  result.shutdown = shutdown_infinity;
  result.supervisor = std::make_shared<const supervisor_spec>(std::move(spec));
  return result;
}

} // namespace warden
