#include "warden/supervisor/plan_reload.hpp"

#include <string_view>
#include <unordered_map>

namespace warden {

namespace {

bool same_backoff(const backoff_policy& x, const backoff_policy& y) noexcept {
  return x.min == y.min && x.max == y.max && x.jitter == y.jitter &&
         x.reset_after == y.reset_after;
}

bool same_in_place_fields(const child_facts& x, const child_facts& y) {
  bool same_own_backoff = x.backoff.has_value() == y.backoff.has_value() &&
                          (!x.backoff || same_backoff(*x.backoff, *y.backoff));
  return x.enabled == y.enabled && x.restart == y.restart && x.shutdown == y.shutdown &&
         x.depends_on == y.depends_on && x.significant == y.significant &&
         x.one_shot == y.one_shot && same_own_backoff;
}

} // namespace

child_facts facts_of(const child_spec& spec) {
  child_facts result;
  result.name = spec.name;
  result.type = spec.type;
  result.settings_hash = spec.settings_hash;
  result.nested = spec.supervisor != nullptr;
  result.params = &spec.params;
  result.enabled = spec.enabled;
  result.restart = spec.restart;
  result.shutdown = spec.shutdown;
  result.depends_on = spec.depends_on;
  result.significant = spec.significant;
  result.one_shot = spec.one_shot;
  result.backoff = spec.backoff;
  return result;
}

bool same_flags(const supervisor_flags& x, const supervisor_flags& y) noexcept {
  return x.strat == y.strat && x.intensity == y.intensity && x.period == y.period &&
         same_backoff(x.backoff, y.backoff) && x.shutdown == y.shutdown;
}

reload_steps plan_reload(const std::vector<child_facts>& current,
                         const supervisor_flags& current_flags,
                         const supervisor_spec& next) {
  reload_steps result;
  result.flags_changed = !same_flags(current_flags, next.flags);
  std::unordered_map<std::string_view, const child_facts*> now;
  now.reserve(current.size());
  for (auto& c : current)
    now.emplace(c.name, &c);
  std::unordered_map<std::string_view, size_t> wanted;
  wanted.reserve(next.children.size());
  for (size_t i = 0; i < next.children.size(); ++i)
    wanted.emplace(next.children[i].name, i);
  for (auto& c : current)
    if (wanted.count(c.name) == 0)
      result.removed.push_back(c.name);
  for (size_t i = 0; i < next.children.size(); ++i) {
    auto& spec = next.children[i];
    auto found = now.find(spec.name);
    if (found == now.end()) {
      result.added.push_back(i);
      continue;
    }
    auto& old = *found->second;
    auto facts = facts_of(spec);
    if (old.type != facts.type || old.settings_hash != facts.settings_hash ||
        old.nested != facts.nested) {
      result.restarted.push_back(i);
      continue;
    }
    if (!same_in_place_fields(old, facts))
      result.reconfigured.push_back(i);
    if (facts.nested)
      result.nested.push_back(i);
    else if (*old.params != *facts.params)
      result.offered.push_back(i);
  }
  return result;
}

} // namespace warden
