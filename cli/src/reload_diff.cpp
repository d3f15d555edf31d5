#include "warden/cli/reload_diff.hpp"

#include <algorithm>

#include "warden/supervisor/plan_reload.hpp"

namespace warden {

namespace {

std::string list(const std::vector<std::string>& xs) {
  std::string result = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    result += (i > 0 ? ", " : "") + xs[i];
  return result + "]";
}

/// The supervisors' own plans, level by level: what each supervisor of the
/// running tree will decide when it gets its part of `after`.
void diff_level(const supervisor_spec& before, const supervisor_spec& after,
                const std::string& path, reload_diff& out) {
  std::vector<child_facts> current;
  current.reserve(before.children.size());
  for (auto& c : before.children)
    current.push_back(facts_of(c));
  auto steps = plan_reload(current, before.flags, after);
  if (steps.flags_changed)
    out.reconfigured.push_back(path);
  auto at = [&](size_t i) { return path + "/" + after.children[i].name; };
  for (auto i : steps.added)
    out.added.push_back(at(i));
  for (auto& name : steps.removed)
    out.removed.push_back(path + "/" + name);
  for (auto i : steps.restarted)
    out.restarted.push_back(at(i));
  for (auto i : steps.reconfigured)
    out.reconfigured.push_back(at(i));
  for (auto i : steps.offered)
    out.changed.push_back(at(i));
  for (auto i : steps.nested) {
    auto& name = after.children[i].name;
    for (auto& old : before.children)
      if (old.name == name && old.supervisor)
        diff_level(*old.supervisor, *after.children[i].supervisor, at(i), out);
  }
}

} // namespace

reload_diff diff_configs(const warden_config& before, const warden_config& after) {
  reload_diff result;
  diff_level(before.supervisor, after.supervisor, "root", result);
  for (auto* xs : {&result.added, &result.removed, &result.changed, &result.restarted,
                   &result.reconfigured})
    std::sort(xs->begin(), xs->end());
  return result;
}

reload_plan make_reload_plan(const warden_config& after, const reload_diff&) {
  return reload_plan{after.supervisor};
}

std::string summary(const reload_diff& diff) {
  return "reload: added=" + list(diff.added) + " removed=" + list(diff.removed) +
         " changed=" + list(diff.changed) + " restarted=" + list(diff.restarted) +
         " reconfigured=" + list(diff.reconfigured);
}

} // namespace warden
