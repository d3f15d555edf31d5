#include "warden/cli/reload_diff.hpp"

#include <map>

namespace warden {

namespace {

using spec_index = std::map<std::string, const child_spec*>;

void index_specs(const supervisor_spec& spec, const std::string& path, spec_index& out) {
  for (auto& c : spec.children) {
    auto child_path = path + "/" + c.name;
    out.emplace(child_path, &c);
    if (c.supervisor)
      index_specs(*c.supervisor, child_path, out);
  }
}

bool same_backoff(const backoff_policy& x, const backoff_policy& y) {
  return x.min == y.min && x.max == y.max && x.jitter == y.jitter &&
         x.reset_after == y.reset_after;
}

bool same_flags(const supervisor_flags& x, const supervisor_flags& y) {
  return x.strat == y.strat && x.intensity == y.intensity && x.period == y.period &&
         same_backoff(x.backoff, y.backoff) && x.shutdown == y.shutdown;
}

/// The spec fields a supervisor applies to a running child without
/// restarting it (`enabled` included: the supervisor starts or stops it).
bool same_child_fields(const child_spec& x, const child_spec& y) {
  bool same_own_backoff = x.backoff.has_value() == y.backoff.has_value() &&
                          (!x.backoff || same_backoff(*x.backoff, *y.backoff));
  return x.enabled == y.enabled && x.restart == y.restart && x.shutdown == y.shutdown &&
         x.depends_on == y.depends_on && x.significant == y.significant &&
         same_own_backoff;
}

std::string list(const std::vector<std::string>& xs) {
  std::string result = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    result += (i > 0 ? ", " : "") + xs[i];
  return result + "]";
}

} // namespace

reload_diff diff_configs(const warden_config& before, const warden_config& after) {
  reload_diff result;
  spec_index old_specs, new_specs;
  index_specs(before.supervisor, "root", old_specs);
  index_specs(after.supervisor, "root", new_specs);
  if (!same_flags(before.supervisor.flags, after.supervisor.flags))
    result.reconfigured.push_back("root");
  for (auto& [path, spec] : new_specs) {
    auto i = old_specs.find(path);
    if (i == old_specs.end()) {
      // Children of an added supervisor come with it.
      auto parent = path.substr(0, path.rfind('/'));
      if (old_specs.count(parent) != 0 || parent == "root")
        result.added.push_back(path);
      continue;
    }
    auto& old = *i->second;
    auto old_cfg = before.children.find(path);
    auto new_cfg = after.children.find(path);
    bool settings_differ = old_cfg == before.children.end() ||
                           new_cfg == after.children.end() ||
                           old_cfg->second.settings != new_cfg->second.settings;
    bool nested_now = spec->supervisor != nullptr;
    bool nested_before = old.supervisor != nullptr;
    if (old.type != spec->type || settings_differ || nested_now != nested_before) {
      result.restarted.push_back(path);
      continue;
    }
    if ((nested_now && !same_flags(old.supervisor->flags, spec->supervisor->flags)) ||
        !same_child_fields(old, *spec))
      result.reconfigured.push_back(path);
    if (old.params != spec->params)
      result.changed.push_back(path);
  }
  for (auto& [path, spec] : old_specs)
    if (new_specs.count(path) == 0) {
      auto parent = path.substr(0, path.rfind('/'));
      if (new_specs.count(parent) != 0 || parent == "root")
        result.removed.push_back(path);
    }
  return result;
}

reload_plan make_reload_plan(const warden_config& after, const reload_diff& diff) {
  return reload_plan{after.supervisor, diff.restarted};
}

std::string summary(const reload_diff& diff) {
  return "reload: added=" + list(diff.added) + " removed=" + list(diff.removed) +
         " changed=" + list(diff.changed) + " restarted=" + list(diff.restarted) +
         " reconfigured=" + list(diff.reconfigured);
}

} // namespace warden
