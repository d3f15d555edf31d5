#include "warden/supervisor/child_spec.hpp"

#include <iterator>

#include "warden/actors/enum_names.hpp"

namespace warden {

namespace {

constexpr const char* restart_names[] = {"permanent", "transient", "temporary"};
constexpr const char* strategy_names[] = {"one_for_one", "one_for_all", "rest_for_one"};
constexpr const char* auto_shutdown_names[] = {"never", "any_significant",
                                               "all_significant"};

} // namespace

const char* to_string(restart_type x) noexcept {
  return enum_name(restart_names, x);
}

const char* to_string(strategy x) noexcept {
  return enum_name(strategy_names, x);
}

const char* to_string(auto_shutdown x) noexcept {
  return enum_name(auto_shutdown_names, x);
}

bool from_string(const std::string& name, restart_type& x) noexcept {
  return enum_from_name(restart_names, name, x);
}

bool from_string(const std::string& name, strategy& x) noexcept {
  return enum_from_name(strategy_names, name, x);
}

bool from_string(const std::string& name, auto_shutdown& x) noexcept {
  return enum_from_name(auto_shutdown_names, name, x);
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
