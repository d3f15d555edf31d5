// Strategies, validation and start order of child specs; enum names.

#include <gtest/gtest.h>

#include "warden/actors/child_state.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/lifecycle.hpp"
#include "warden/supervisor/strategy.hpp"
#include "warden/supervisor/validate.hpp"

namespace warden {
namespace {

child_factory dummy() {
  return [](caf::local_actor&, service_init) { return caf::actor{}; };
}

child_spec child(std::string name, std::vector<std::string> deps = {}) {
  auto c = worker(std::move(name), dummy());
  c.depends_on = std::move(deps);
  return c;
}

std::vector<std::string> messages(const std::vector<spec_error>& errors) {
  std::vector<std::string> result;
  for (auto& e : errors)
    result.push_back(e.where + ": " + e.message);
  return result;
}

TEST(strategy, affected_ranges) {
  auto r = affected(strategy::one_for_one, 2, 5);
  EXPECT_EQ(r.first, 2u);
  EXPECT_EQ(r.last, 3u);
  r = affected(strategy::one_for_all, 2, 5);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 5u);
  r = affected(strategy::rest_for_one, 2, 5);
  EXPECT_EQ(r.first, 2u);
  EXPECT_EQ(r.last, 5u);
  EXPECT_TRUE(r.contains(4));
  EXPECT_FALSE(r.contains(1));
}

TEST(validate, accepts_a_good_tree) {
  supervisor_spec inner;
  inner.children.push_back(child("x"));
  supervisor_spec spec;
  spec.children.push_back(child("a"));
  spec.children.push_back(child("b", {"a"}));
  spec.children.push_back(nested("inner", std::move(inner)));
  EXPECT_TRUE(validate(spec, "root").empty()) << to_string(validate(spec, "root"));
}

TEST(validate, reports_every_problem_with_its_place) {
  supervisor_spec inner;
  inner.children.push_back(child(""));
  supervisor_spec spec;
  spec.flags.period = std::chrono::milliseconds{0};
  spec.children.push_back(child("a"));
  spec.children.push_back(child("a"));
  spec.children.push_back(child("b/c"));
  spec.children.push_back(child("d", {"ghost"}));
  spec.children.push_back(child("e", {"e"}));
  auto f = child("f");
  f.factory = nullptr;
  spec.children.push_back(f);
  auto g = child("g");
  g.significant = true;
  spec.children.push_back(g);
  auto h = child("h");
  h.backoff =
      backoff_policy{std::chrono::milliseconds{500}, std::chrono::milliseconds{100}, 0.0,
                     std::chrono::milliseconds{0}};
  spec.children.push_back(h);
  auto i = child("i");
  i.shutdown = std::chrono::milliseconds{-1};
  spec.children.push_back(i);
  spec.children.push_back(nested("inner", std::move(inner)));
  auto got = messages(validate(spec, "root"));
  std::vector<std::string> want = {
      "root: period must be positive",
      "root/a: duplicate child name 'a'",
      "root/b/c: child name must not contain '/'",
      "root/e: child depends on itself",
      "root/f: child has no factory",
      "root/g: a permanent child cannot be significant",
      "root/g: significant child under a supervisor with auto_shutdown never",
      "root/h: backoff min (500 ms) exceeds max (100 ms)",
      "root/i: shutdown deadline must not be negative",
      "root/inner/?: child name must not be empty",
      "root/d: depends_on names 'ghost', which is not a sibling",
  };
  EXPECT_EQ(got, want);
}

TEST(validate, finds_dependency_cycles) {
  supervisor_spec spec;
  spec.children.push_back(child("a", {"c"}));
  spec.children.push_back(child("b", {"a"}));
  spec.children.push_back(child("c", {"b"}));
  auto got = messages(validate(spec, "root"));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "root/b: depends_on forms a cycle: a -> c -> b -> a");
}

TEST(start_order, puts_dependencies_first_and_keeps_order_otherwise) {
  std::vector<child_spec> children;
  children.push_back(child("web", {"api"}));
  children.push_back(child("log"));
  children.push_back(child("api", {"db"}));
  children.push_back(child("db"));
  auto order = start_order(children);
  std::vector<std::string> names;
  for (auto i : order)
    names.push_back(children[i].name);
  EXPECT_EQ(names, (std::vector<std::string>{"db", "api", "web", "log"}));
}

TEST(validate_child, checks_a_dynamic_child_against_its_siblings) {
  auto got = messages(validate_child(child("a", {"zz"}), {"a", "b"}, {}, "root"));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "root/a: duplicate child name 'a'",
                     "root/a: depends_on names 'zz', which is not a sibling"}));
}

// Every enumerator has a name and the name parses back.
TEST(names, stay_in_sync_with_the_enums) {
  for (uint8_t i = 0; i < error_count; ++i) {
    auto x = static_cast<error>(i);
    error back = error::none;
    ASSERT_TRUE(from_string(to_string(x), back)) << int{i};
    EXPECT_EQ(back, x);
  }
  EXPECT_STREQ(to_string(static_cast<error>(error_count)), "unknown");
  for (uint8_t i = 0; i < child_state_count; ++i) {
    auto x = static_cast<child_state>(i);
    child_state back = child_state::stopped;
    ASSERT_TRUE(from_string(to_string(x), back));
    EXPECT_EQ(back, x);
  }
  for (uint8_t i = 0; i < lifecycle_kind_count; ++i)
    EXPECT_STRNE(to_string(static_cast<lifecycle_kind>(i)), "unknown");
  for (auto s : {strategy::one_for_one, strategy::one_for_all, strategy::rest_for_one}) {
    strategy back = strategy::one_for_one;
    ASSERT_TRUE(from_string(to_string(s), back));
    EXPECT_EQ(back, s);
  }
  for (auto r :
       {restart_type::permanent, restart_type::transient, restart_type::temporary}) {
    restart_type back = restart_type::permanent;
    ASSERT_TRUE(from_string(to_string(r), back));
    EXPECT_EQ(back, r);
  }
  strategy s;
  EXPECT_FALSE(from_string("one_for_none", s));
}

TEST(errors, describe_keeps_the_cause_chain) {
  auto inner = make_error(error::service_failed, "disk full");
  auto outer = make_error(error::intensity_exceeded, "root gave up", inner);
  EXPECT_EQ(describe(outer),
            "intensity_exceeded: root gave up; cause: service_failed: disk full");
  EXPECT_EQ(describe(caf::error{}), "normal");
  EXPECT_EQ(describe(caf::exit_reason::kill), "kill");
  EXPECT_EQ(describe(caf::sec::request_timeout), "request_timeout");
}

} // namespace
} // namespace warden
