// plan_reload: the one decision of a reload, made by every supervisor for
// its children and by the config diff for the log line. Pure: specs in,
// steps out.

#include <gtest/gtest.h>

#include "warden/supervisor/plan_reload.hpp"

namespace warden {
namespace {

child_spec child(std::string name, nlohmann::json params = nlohmann::json::object()) {
  child_spec c;
  c.name = std::move(name);
  c.type = "probe";
  c.params = std::move(params);
  return c;
}

supervisor_spec spec_of(std::vector<child_spec> children) {
  supervisor_spec spec;
  spec.children = std::move(children);
  return spec;
}

std::vector<child_facts> facts(const supervisor_spec& spec) {
  std::vector<child_facts> result;
  for (auto& c : spec.children)
    result.push_back(facts_of(c));
  return result;
}

std::vector<std::string> names(const supervisor_spec& spec,
                               const std::vector<size_t>& xs) {
  std::vector<std::string> result;
  for (auto i : xs)
    result.push_back(spec.children[i].name);
  return result;
}

using strings = std::vector<std::string>;

TEST(plan_reload, the_same_spec_changes_nothing) {
  auto before = spec_of({child("a"), child("b", {{"n", 1}})});
  auto steps = plan_reload(facts(before), before.flags, before);
  EXPECT_TRUE(steps.empty());
}

TEST(plan_reload, a_rename_is_one_removal_and_one_addition) {
  auto before = spec_of({child("beat1"), child("beat2"), child("tail")});
  auto after = spec_of({child("beat1"), child("beat3"), child("tail")});
  auto steps = plan_reload(facts(before), before.flags, after);
  EXPECT_EQ(steps.removed, strings{"beat2"});
  EXPECT_EQ(names(after, steps.added), strings{"beat3"});
  EXPECT_TRUE(steps.restarted.empty());
  EXPECT_TRUE(steps.offered.empty());
  EXPECT_TRUE(steps.reconfigured.empty());
}

TEST(plan_reload, changed_params_are_offered_and_settings_restart) {
  auto before = spec_of({child("a", {{"n", 1}}), child("b"), child("c")});
  auto after = before;
  after.children[0].params["n"] = 2;
  after.children[1].settings_hash = 42; // e.g. a process's command changed
  after.children[2].type = "other";
  auto steps = plan_reload(facts(before), before.flags, after);
  EXPECT_EQ(names(after, steps.offered), strings{"a"});
  EXPECT_EQ(names(after, steps.restarted), (strings{"b", "c"}));
}

TEST(plan_reload, fields_applied_in_place_are_reconfigured_not_restarted) {
  auto before = spec_of({child("a"), child("b"), child("c"), child("d")});
  auto after = before;
  after.children[0].enabled = false;
  after.children[1].restart = restart_type::transient;
  after.children[2].depends_on = {"a"};
  after.children[3].one_shot = true;
  auto steps = plan_reload(facts(before), before.flags, after);
  EXPECT_EQ(names(after, steps.reconfigured), (strings{"a", "b", "c", "d"}));
  EXPECT_TRUE(steps.restarted.empty());
  EXPECT_TRUE(steps.offered.empty());
}

TEST(plan_reload, flags_and_nested_supervisors) {
  supervisor_spec inner = spec_of({child("x")});
  auto before = spec_of({nested("sub", inner), child("w")});
  auto after = before;
  after.flags.intensity = 9;
  auto steps = plan_reload(facts(before), before.flags, after);
  EXPECT_TRUE(steps.flags_changed);
  // A kept nested supervisor gets its part: it plans its own children.
  EXPECT_EQ(names(after, steps.nested), strings{"sub"});
  // Turning a worker into a supervisor is a restart.
  after.children[1] = nested("w", inner);
  steps = plan_reload(facts(before), before.flags, after);
  EXPECT_EQ(names(after, steps.restarted), strings{"w"});
}

} // namespace
} // namespace warden
