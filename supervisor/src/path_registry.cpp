#include "warden/supervisor/path_registry.hpp"

#include <map>

namespace warden {

void path_registry::put(const diagnostics_ptr& diag) {
  std::lock_guard<std::mutex> guard{mtx_};
  // Erase first: the key must view into the new block's string.
  entries_.erase(diag->path());
  entries_.emplace(diag->path(), diag);
}

void path_registry::erase(const diagnostics* diag) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = entries_.find(diag->path());
      i != entries_.end() && i->second.get() == diag)
    entries_.erase(i);
}

diagnostics_ptr path_registry::find(std::string_view path) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = entries_.find(path); i != entries_.end())
    return i->second;
  return nullptr;
}

caf::actor path_registry::whereis(std::string_view path) const {
  auto diag = find(path);
  return diag ? diag->current() : caf::actor{};
}

size_t path_registry::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

std::vector<diagnostics_ptr> path_registry::subtree(std::string_view prefix) const {
  std::vector<diagnostics_ptr> result;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [path, diag] : entries_)
    if (path == prefix ||
        (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
         path[prefix.size()] == '/'))
      result.push_back(diag);
  return result;
}

namespace {

std::mutex systems_mtx;
std::map<const caf::actor_system*, std::weak_ptr<path_registry>> systems;

} // namespace

path_registry_ptr registry_of(const caf::actor_system& sys) {
  std::lock_guard<std::mutex> guard{systems_mtx};
  auto i = systems.find(&sys);
  return i != systems.end() ? i->second.lock() : nullptr;
}

void set_registry_of(const caf::actor_system& sys, const path_registry_ptr& registry) {
  std::lock_guard<std::mutex> guard{systems_mtx};
  // Forget systems whose trees are gone (a new system may reuse an address).
  for (auto i = systems.begin(); i != systems.end();)
    i = i->second.expired() ? systems.erase(i) : std::next(i);
  systems[&sys] = registry;
}

} // namespace warden
