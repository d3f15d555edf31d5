// The supervisor on CAF's test coordinator: OTP's test matrix (restart type
// × exit reason; strategy × {basic, escalation, a sibling fails during the
// restart}), nesting, ordered start and stop, backoff, stragglers, dynamic
// children. Deterministic: virtual time, no sleeping.

#include "fixture.hpp"

#include <map>

#include "warden/actors/health.hpp"

namespace warden::test {
namespace {

supervisor_spec three(strategy s, uint32_t intensity = 10) {
  supervisor_spec spec;
  spec.flags.strat = s;
  spec.flags.intensity = intensity;
  spec.flags.period = 10s;
  spec.children.push_back(probe_child("a"));
  spec.children.push_back(probe_child("b"));
  spec.children.push_back(probe_child("c"));
  return spec;
}

using supervisor_test = actor_fixture;

/// Two permanent probes, `dependant` depending on `dependency`.
supervisor_spec dependant_of(const std::string& dependency,
                             const std::string& dependant) {
  supervisor_spec spec;
  spec.children.push_back(probe_child(dependency));
  auto c = probe_child(dependant);
  c.depends_on = {dependency};
  spec.children.push_back(c);
  return spec;
}

// -- restart type × exit reason ----------------------------------------------

struct matrix_case {
  restart_type type;
  const char* how; // "normal", "shutdown", "abnormal"
  bool restarted;
  child_state after;
};

class restart_matrix : public actor_fixture,
                       public ::testing::WithParamInterface<matrix_case> {};

TEST_P(restart_matrix, restart_type_times_exit_reason) {
  auto param = GetParam();
  supervisor_spec spec;
  spec.children.push_back(probe_child("w", param.type));
  start(std::move(spec));
  auto before = at("root/w");
  ASSERT_TRUE(before);
  std::string how = param.how;
  if (how == "normal")
    send_to("root/w", caf::make_message(finish_atom::value));
  else if (how == "shutdown")
    self->send_exit(before, caf::exit_reason::user_shutdown);
  else
    crash("root/w");
  run();
  EXPECT_EQ(restarts("root/w"), param.restarted ? 1u : 0u);
  EXPECT_EQ(state("root/w"), param.after);
  if (param.restarted) {
    EXPECT_TRUE(at("root/w"));
    EXPECT_NE(at("root/w"), before);
  } else {
    EXPECT_FALSE(at("root/w"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    otp, restart_matrix,
    ::testing::Values(
        matrix_case{restart_type::permanent, "normal", true, child_state::running},
        matrix_case{restart_type::permanent, "shutdown", true, child_state::running},
        matrix_case{restart_type::permanent, "abnormal", true, child_state::running},
        matrix_case{restart_type::transient, "normal", false, child_state::done},
        matrix_case{restart_type::transient, "shutdown", false, child_state::done},
        matrix_case{restart_type::transient, "abnormal", true, child_state::running},
        matrix_case{restart_type::temporary, "normal", false, child_state::done},
        matrix_case{restart_type::temporary, "shutdown", false, child_state::done},
        matrix_case{restart_type::temporary, "abnormal", false, child_state::failed}));

// -- strategies: basic --------------------------------------------------------

TEST_F(supervisor_test, one_for_one_restarts_only_the_crashed_child) {
  start(three(strategy::one_for_one));
  auto a = at("root/a");
  auto c = at("root/c");
  crash("root/b");
  EXPECT_EQ(restarts("root/b"), 1u);
  EXPECT_EQ(state("root/b"), child_state::running);
  EXPECT_EQ(at("root/a"), a);
  EXPECT_EQ(at("root/c"), c);
  EXPECT_EQ(restarts("root/a"), 0u);
}

TEST_F(supervisor_test, one_for_all_restarts_every_child) {
  start(three(strategy::one_for_all));
  auto a = at("root/a");
  auto c = at("root/c");
  crash("root/b");
  EXPECT_NE(at("root/a"), a);
  EXPECT_NE(at("root/c"), c);
  for (auto path : {"root/a", "root/b", "root/c"})
    EXPECT_EQ(state(path), child_state::running) << path;
  EXPECT_EQ(restarts("root/b"), 1u);
  // Siblings are stopped right to left, then all start left to right.
  auto stops = lines_with({"event=stopped"});
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_NE(stops[0].find("child=root/c"), std::string::npos);
  EXPECT_NE(stops[1].find("child=root/a"), std::string::npos);
}

TEST_F(supervisor_test, rest_for_one_restarts_the_child_and_those_after_it) {
  start(three(strategy::rest_for_one));
  auto a = at("root/a");
  auto c = at("root/c");
  crash("root/b");
  EXPECT_EQ(at("root/a"), a);
  EXPECT_NE(at("root/c"), c);
  EXPECT_EQ(state("root/c"), child_state::running);
  EXPECT_EQ(restarts("root/b"), 1u);
}

// -- strategies: escalation ---------------------------------------------------

class escalation : public actor_fixture,
                   public ::testing::WithParamInterface<strategy> {};

TEST_P(escalation, more_than_intensity_restarts_gives_up_with_the_cause) {
  start(three(GetParam(), 2));
  crash("root/b", "disk on fire");
  crash("root/b", "disk on fire");
  EXPECT_FALSE(root_down());
  crash("root/b", "disk on fire");
  auto reason = root_down();
  ASSERT_TRUE(reason);
  ASSERT_EQ(reason->category(), error_category);
  EXPECT_EQ(reason->code(), static_cast<uint8_t>(error::intensity_exceeded));
  auto text = describe(*reason);
  EXPECT_NE(text.find("root gave up"), std::string::npos) << text;
  EXPECT_NE(text.find("cause: root/b: service_failed: disk on fire"), std::string::npos)
      << text;
  // The remaining children were stopped right to left.
  auto stops = lines_with({"event=stopped", "reason=\"user_shutdown\""});
  ASSERT_GE(stops.size(), 2u);
  EXPECT_NE(stops[stops.size() - 2].find("child=root/c"), std::string::npos);
  EXPECT_NE(stops.back().find("child=root/a"), std::string::npos);
  EXPECT_EQ(lines_with({"event=gave_up"}).size(), 1u);
  root = nullptr;
}

INSTANTIATE_TEST_SUITE_P(strategies, escalation,
                         ::testing::Values(strategy::one_for_one, strategy::one_for_all,
                                           strategy::rest_for_one));

TEST_F(supervisor_test, restarts_outside_the_period_do_not_count) {
  start(three(strategy::one_for_one, 2));
  for (int i = 0; i < 6; ++i) {
    crash("root/a");
    advance(6s);
  }
  EXPECT_FALSE(root_down());
  EXPECT_EQ(restarts("root/a"), 6u);
}

// -- strategies: a sibling fails while the group restarts ----------------------

class sibling_fails : public actor_fixture,
                      public ::testing::WithParamInterface<strategy> {};

TEST_P(sibling_fails, during_the_restart_all_end_up_running_once) {
  supervisor_spec spec;
  spec.flags.strat = GetParam();
  spec.flags.intensity = 10;
  spec.children.push_back(probe_child("a"));
  // b ignores stop requests: the group restart waits for its deadline.
  auto b = probe_child("b", restart_type::permanent, {false, true, false});
  b.shutdown = 500ms;
  spec.children.push_back(b);
  spec.children.push_back(probe_child("c"));
  start(std::move(spec));
  crash("root/c"); // one_for_all: stops b (slow), then a
  // While b is still being stopped, a crashes.
  crash("root/a");
  advance(500ms); // b's deadline: killed
  for (auto path : {"root/a", "root/b", "root/c"})
    EXPECT_EQ(state(path), child_state::running) << path;
  EXPECT_EQ(restarts("root/a"), 1u);
  EXPECT_EQ(restarts("root/c"), 1u);
  EXPECT_FALSE(root_down());
}

INSTANTIATE_TEST_SUITE_P(strategies, sibling_fails,
                         ::testing::Values(strategy::one_for_one, strategy::one_for_all,
                                           strategy::rest_for_one));

// -- nesting ------------------------------------------------------------------

TEST_F(supervisor_test, a_nested_supervisor_that_gives_up_is_a_crashed_child) {
  supervisor_spec inner;
  inner.flags.intensity = 0;
  inner.children.push_back(probe_child("w"));
  supervisor_spec outer;
  outer.flags.intensity = 3;
  outer.children.push_back(probe_child("first"));
  outer.children.push_back(nested("sub", std::move(inner)));
  start(std::move(outer));
  EXPECT_EQ(state("root/sub"), child_state::running);
  EXPECT_EQ(state("root/sub/w"), child_state::running);
  auto sub_before = at("root/sub");
  crash("root/sub/w");
  // sub gave up at once (intensity 0); root restarted it with a fresh w.
  EXPECT_EQ(restarts("root/sub"), 1u);
  EXPECT_NE(at("root/sub"), sub_before);
  EXPECT_EQ(state("root/sub/w"), child_state::running);
  EXPECT_EQ(restarts("root/sub/w"), 0u);
  auto crashes = lines_with({"child=root/sub ", "event=crashed"});
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_NE(crashes[0].find("root/sub/w: service_failed: boom"), std::string::npos)
      << crashes[0];
  EXPECT_FALSE(root_down());
}

TEST_F(supervisor_test, escalation_travels_up_three_levels_keeping_the_first_cause) {
  supervisor_spec l3;
  l3.flags.intensity = 0;
  l3.children.push_back(probe_child("leaf"));
  supervisor_spec l2;
  l2.flags.intensity = 0;
  l2.children.push_back(nested("l3", std::move(l3)));
  supervisor_spec l1;
  l1.flags.intensity = 0;
  l1.children.push_back(nested("l2", std::move(l2)));
  start(std::move(l1));
  EXPECT_EQ(state("root/l2/l3/leaf"), child_state::running);
  crash("root/l2/l3/leaf", "segfault in parser");
  auto reason = root_down();
  ASSERT_TRUE(reason);
  auto text = describe(*reason);
  EXPECT_NE(text.find("root gave up"), std::string::npos) << text;
  EXPECT_NE(text.find("root/l2/l3/leaf: service_failed: segfault in parser"),
            std::string::npos)
      << text;
  root = nullptr;
}

// -- ordered start and stop ---------------------------------------------------

TEST_F(supervisor_test, a_child_starts_after_its_dependencies_report_ready) {
  supervisor_spec spec;
  spec.children.push_back(
      probe_child("db", restart_type::permanent, {true, false, false}));
  auto api = probe_child("api");
  api.depends_on = {"db"};
  spec.children.push_back(api);
  start(std::move(spec));
  EXPECT_EQ(state("root/db"), child_state::starting);
  EXPECT_EQ(state("root/api"), child_state::waiting);
  EXPECT_FALSE(at("root/api"));
  EXPECT_EQ(state("root"), child_state::starting);
  send_to("root/db", caf::make_message(go_ready_atom::value));
  EXPECT_EQ(state("root/db"), child_state::running);
  EXPECT_EQ(state("root/api"), child_state::running);
  EXPECT_EQ(state("root"), child_state::running);
}

TEST_F(supervisor_test, depends_on_reorders_the_start) {
  supervisor_spec spec;
  auto web = probe_child("web");
  web.depends_on = {"cache"};
  spec.children.push_back(web);
  spec.children.push_back(probe_child("cache"));
  start(std::move(spec));
  auto starts = lines_with({"event=started"});
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_NE(starts[0].find("child=root/cache"), std::string::npos);
  EXPECT_NE(starts[1].find("child=root/web"), std::string::npos);
}

TEST_F(supervisor_test, shutdown_stops_right_to_left_and_names_stragglers) {
  supervisor_spec spec;
  spec.children.push_back(probe_child("a"));
  auto stuck = probe_child("stuck", restart_type::permanent, {false, true, false});
  stuck.shutdown = 2s;
  spec.children.push_back(stuck);
  spec.children.push_back(probe_child("c"));
  start(std::move(spec));
  auto reply = self->request(root, caf::infinite, shutdown_atom::value);
  run();
  EXPECT_EQ(state("root/c"), child_state::stopped);
  EXPECT_EQ(state("root/stuck"), child_state::stopping);
  EXPECT_EQ(state("root/a"), child_state::running); // waits its turn
  advance(1999ms);
  EXPECT_EQ(state("root/stuck"), child_state::stopping);
  advance(1ms);
  std::vector<std::string> stragglers;
  reply.receive([&](std::vector<std::string>& xs) { stragglers = xs; },
                [&](caf::error& err) { ADD_FAILURE() << describe(err); });
  EXPECT_EQ(stragglers, std::vector<std::string>{"root/stuck"});
  auto stops = lines_with({"event=stopped"});
  ASSERT_EQ(stops.size(), 3u);
  EXPECT_NE(stops[0].find("child=root/c"), std::string::npos);
  EXPECT_NE(stops[1].find("child=root/stuck"), std::string::npos);
  EXPECT_NE(stops[2].find("child=root/a"), std::string::npos);
  EXPECT_EQ(lines_with({"child=root/stuck", "event=killed"}).size(), 1u);
  auto reason = root_down();
  ASSERT_TRUE(reason);
  EXPECT_FALSE(*reason);
  root = nullptr;
}

// -- backoff ------------------------------------------------------------------

TEST_F(supervisor_test, backoff_delays_restarts_and_shows_the_next_restart) {
  supervisor_spec spec;
  spec.flags.intensity = 100;
  spec.flags.period = 60s;
  spec.flags.backoff = {100ms, 1000ms, 0.0, 5000ms};
  spec.children.push_back(probe_child("w"));
  start(std::move(spec));
  crash("root/w");
  EXPECT_EQ(state("root/w"), child_state::backoff);
  EXPECT_EQ(snap("root/w").next_restart_ms, 100);
  EXPECT_FALSE(at("root/w"));
  advance(99ms);
  EXPECT_EQ(state("root/w"), child_state::backoff);
  EXPECT_EQ(snap("root/w").next_restart_ms, 1);
  advance(1ms);
  EXPECT_EQ(state("root/w"), child_state::running);
  EXPECT_EQ(snap("root/w").next_restart_ms, -1);
  // Consecutive crashes double the delay up to the maximum.
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) {
    crash("root/w");
    delays.push_back(snap("root/w").next_restart_ms);
    advance(std::chrono::milliseconds{delays.back()});
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{200, 400, 800, 1000, 1000}));
  // A healthy period resets it.
  advance(5s);
  crash("root/w");
  EXPECT_EQ(snap("root/w").next_restart_ms, 100);
  auto first_delays = lines_with({"event=backoff"});
  auto n =
      std::count_if(first_delays.begin(), first_delays.end(), [](const std::string& x) {
        return x.size() >= 13 && x.compare(x.size() - 13, 13, " delay_ms=100") == 0;
      });
  EXPECT_EQ(n, 2);
}

// -- dynamic children ---------------------------------------------------------

TEST_F(supervisor_test, children_can_be_added_stopped_restarted_and_deleted) {
  start(supervisor_spec{});
  auto added = ask<caf::ok_atom>(start_child_atom::value, probe_child("late"));
  ASSERT_TRUE(added) << describe(added.error());
  EXPECT_EQ(state("root/late"), child_state::running);
  auto dup = ask<caf::ok_atom>(start_child_atom::value, probe_child("late"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), static_cast<uint8_t>(error::invalid_spec));
  // An operator's stop keeps even a permanent child stopped.
  ASSERT_TRUE(ask<caf::ok_atom>(stop_child_atom::value, std::string{"late"}));
  EXPECT_EQ(state("root/late"), child_state::stopped);
  EXPECT_EQ(restarts("root/late"), 0u);
  ASSERT_TRUE(ask<caf::ok_atom>(restart_child_atom::value, std::string{"late"}));
  EXPECT_EQ(state("root/late"), child_state::running);
  auto before = at("root/late");
  ASSERT_TRUE(ask<caf::ok_atom>(restart_child_atom::value, std::string{"late"}));
  EXPECT_NE(at("root/late"), before);
  EXPECT_EQ(state("root/late"), child_state::running);
  auto children = ask<std::vector<diagnostics_snapshot>>(which_children_atom::value);
  ASSERT_TRUE(children);
  ASSERT_EQ(children->size(), 1u);
  EXPECT_EQ(children->front().path, "root/late");
  ASSERT_TRUE(ask<caf::ok_atom>(delete_child_atom::value, std::string{"late"}));
  EXPECT_FALSE(ctx.registry->find("root/late"));
  // Stray messages and errors neither answer nor hurt a supervisor.
  self->send(root, std::string{"garbage"}, 42);
  self->send(root, caf::make_error(caf::sec::unexpected_message));
  run();
  EXPECT_FALSE(root_down());
  auto unknown = ask<caf::ok_atom>(stop_child_atom::value, std::string{"nope"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), static_cast<uint8_t>(error::unknown_child));
}

TEST_F(supervisor_test, a_child_others_depend_on_cannot_be_deleted) {
  start(dependant_of("db", "api"));
  auto result = ask<caf::ok_atom>(delete_child_atom::value, std::string{"db"});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), static_cast<uint8_t>(error::bad_state));
  EXPECT_EQ(state("root/db"), child_state::running);
}

// -- services -----------------------------------------------------------------

TEST_F(supervisor_test, an_exception_is_a_crash_that_keeps_its_message) {
  supervisor_spec spec;
  spec.children.push_back(probe_child("w"));
  start(std::move(spec));
  send_to("root/w",
          caf::make_message(throw_atom::value, std::string{"bad input line 7"}));
  auto s = snap("root/w");
  EXPECT_EQ(s.restarts, 1u);
  ASSERT_EQ(s.exits.size(), 1u);
  EXPECT_EQ(s.exits[0].reason, "exception: bad input line 7");
}

TEST_F(supervisor_test, a_start_hook_that_throws_is_retried_until_the_limit) {
  supervisor_spec spec;
  spec.flags.intensity = 3;
  spec.children.push_back(
      probe_child("w", restart_type::permanent, {false, false, true}));
  start(std::move(spec));
  auto reason = root_down();
  ASSERT_TRUE(reason);
  EXPECT_NE(describe(*reason).find("exception: cannot open port"), std::string::npos)
      << describe(*reason);
  root = nullptr;
}

TEST_F(supervisor_test, diagnostics_show_flags_values_and_handled_messages) {
  supervisor_spec spec;
  spec.children.push_back(probe_child("w"));
  start(std::move(spec));
  for (int i = 0; i < 3; ++i) {
    auto pong = self->request(at("root/w"), caf::infinite, ping_atom::value);
    run();
    pong.receive([](pong_atom) {},
                 [](caf::error& err) { ADD_FAILURE() << describe(err); });
  }
  auto s = snap("root/w");
  EXPECT_EQ(s.flags, std::vector<std::string>{"pinged"});
  EXPECT_EQ(s.values.at("pings"), "3");
  EXPECT_GE(s.handled, 3u);
  EXPECT_EQ(s.mailbox, 0u);
  EXPECT_EQ(s.type, "probe");
  EXPECT_EQ(s.state, child_state::running);
}

TEST_F(supervisor_test, lifecycle_events_reach_subscribers) {
  std::vector<lifecycle_event> events;
  // (An argument: CAF 0.17 trips UBSan on function actors spawned without.)
  auto collector = sys.spawn(
      [&](caf::event_based_actor*, int) -> caf::behavior {
        return {[&](const lifecycle_event& ev) { events.push_back(ev); }};
      },
      0);
  ctx.events = std::make_shared<lifecycle_bus>();
  ctx.events->subscribe(collector);
  supervisor_spec spec;
  spec.children.push_back(probe_child("w"));
  start(std::move(spec));
  crash("root/w", "oops");
  std::vector<std::string> kinds;
  for (auto& ev : events)
    kinds.push_back(std::string{to_string(ev.kind)} + " " + ev.child);
  EXPECT_EQ(kinds, (std::vector<std::string>{"started root/w", "crashed root/w",
                                             "restarted root/w"}));
  EXPECT_EQ(events[1].reason, "service_failed: oops");
  EXPECT_EQ(events[1].supervisor, "root");
  self->send_exit(collector, caf::exit_reason::kill);
}

TEST_F(supervisor_test, a_significant_child_can_shut_the_supervisor_down) {
  supervisor_spec spec;
  spec.flags.shutdown = auto_shutdown::any_significant;
  spec.children.push_back(probe_child("keeper"));
  auto job = probe_child("job", restart_type::transient);
  job.significant = true;
  spec.children.push_back(job);
  start(std::move(spec));
  send_to("root/job", caf::make_message(finish_atom::value));
  auto reason = root_down();
  ASSERT_TRUE(reason);
  EXPECT_FALSE(*reason);
  EXPECT_EQ(lines_with({"child=root/keeper", "event=stopped"}).size(), 1u);
  root = nullptr;
}

TEST_F(supervisor_test, invalid_specs_are_refused_before_anything_starts) {
  supervisor_spec spec;
  spec.children.push_back(probe_child("a"));
  spec.children.push_back(probe_child("a"));
  auto b = probe_child("b");
  b.depends_on = {"ghost"};
  spec.children.push_back(b);
  auto result = spawn_supervisor(sys, "root", spec, ctx);
  ASSERT_FALSE(result);
  auto text = describe(result.error());
  EXPECT_NE(text.find("root/a: duplicate child name 'a'"), std::string::npos) << text;
  EXPECT_NE(text.find("root/b: depends_on names 'ghost'"), std::string::npos) << text;
  EXPECT_TRUE(!ctx.registry || ctx.registry->size() == 0u);
}

// -- reload -------------------------------------------------------------------

supervisor_spec reload_base() {
  supervisor_spec spec;
  spec.flags.intensity = 5;
  spec.children.push_back(probe_child("keep"));
  auto live = probe_child("live");
  live.params = {{"live", true}, {"n", 1}};
  spec.children.push_back(live);
  auto stubborn = probe_child("stubborn");
  stubborn.params = {{"n", 1}};
  spec.children.push_back(stubborn);
  spec.children.push_back(probe_child("gone"));
  supervisor_spec inner;
  inner.children.push_back(probe_child("x"));
  spec.children.push_back(nested("sub", std::move(inner)));
  return spec;
}

TEST_F(supervisor_test, reload_touches_only_what_changed) {
  start(reload_base());
  std::map<std::string, caf::actor> before;
  for (auto p : {"root/keep", "root/live", "root/stubborn", "root/sub", "root/sub/x"})
    before[p] = at(p);
  auto next = reload_base();
  next.flags.strat = strategy::one_for_all; // applies without restarts
  next.flags.intensity = 0;
  next.children[1].params["n"] = 2;               // live: accepted in place
  next.children[2].params["n"] = 2;               // stubborn: declined, restarted
  next.children.erase(next.children.begin() + 3); // gone: removed
  next.children.push_back(probe_child("fresh"));  // added
  auto& inner = const_cast<supervisor_spec&>(*next.children[3].supervisor);
  inner.children.push_back(probe_child("y")); // nested: added
  auto result = ask<caf::ok_atom>(reload_atom::value, reload_plan{next});
  ASSERT_TRUE(result) << describe(result.error());
  run();
  EXPECT_EQ(at("root/keep"), before["root/keep"]);
  EXPECT_EQ(at("root/live"), before["root/live"]);
  EXPECT_NE(at("root/stubborn"), before["root/stubborn"]);
  EXPECT_EQ(state("root/stubborn"), child_state::running);
  EXPECT_EQ(at("root/sub"), before["root/sub"]);
  EXPECT_EQ(at("root/sub/x"), before["root/sub/x"]);
  EXPECT_EQ(state("root/sub/y"), child_state::running);
  EXPECT_EQ(state("root/fresh"), child_state::running);
  EXPECT_FALSE(ctx.registry->find("root/gone"));
  for (auto p : {"root/keep", "root/live", "root/stubborn"})
    EXPECT_EQ(restarts(p), 0u) << p;
  // The new intensity (0) holds: the next crash escalates.
  crash("root/keep");
  EXPECT_TRUE(root_down());
  root = nullptr;
}

TEST_F(supervisor_test, reload_restarts_children_whose_type_changed) {
  start(reload_base());
  auto keep = at("root/keep");
  auto x = at("root/sub/x");
  auto next = reload_base();
  next.children[0].settings_hash = 1; // its type-specific settings changed
  auto& inner = const_cast<supervisor_spec&>(*next.children[4].supervisor);
  inner.children[0].type = "other";
  auto result = ask<caf::ok_atom>(reload_atom::value, reload_plan{next});
  ASSERT_TRUE(result);
  run();
  EXPECT_NE(at("root/keep"), keep);
  EXPECT_NE(at("root/sub/x"), x);
  EXPECT_EQ(state("root/sub/x"), child_state::running);
}

TEST_F(supervisor_test, reload_removes_several_children_right_to_left) {
  start(reload_base());
  auto next = reload_base();
  next.children.erase(next.children.begin() + 2,
                      next.children.begin() + 4); // stubborn, gone
  auto result = ask<caf::ok_atom>(reload_atom::value, reload_plan{next});
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_FALSE(ctx.registry->find("root/stubborn"));
  EXPECT_FALSE(ctx.registry->find("root/gone"));
  auto stops = lines_with({"event=stopped"});
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_NE(stops[0].find("child=root/gone"), std::string::npos);
  EXPECT_NE(stops[1].find("child=root/stubborn"), std::string::npos);
  EXPECT_EQ(state("root/keep"), child_state::running);
}

TEST_F(supervisor_test, reload_can_disable_and_enable_a_child) {
  start(reload_base());
  auto next = reload_base();
  next.children[0].enabled = false;
  ASSERT_TRUE(ask<caf::ok_atom>(reload_atom::value, reload_plan{next}));
  EXPECT_EQ(state("root/keep"), child_state::disabled);
  ASSERT_TRUE(ask<caf::ok_atom>(reload_atom::value, reload_plan{reload_base()}));
  EXPECT_EQ(state("root/keep"), child_state::running);
}

// -- issue 13: no child left dead while the tree says ok ----------------------

health_level health(supervisor_context& ctx) {
  return health_of(ctx.registry->subtree("root"));
}

TEST_F(supervisor_test, a_reload_that_renames_a_child_starts_the_new_one) {
  // beat2 → beat3 in the middle: the removal shifts beat3 left, under the
  // old start cursor.
  supervisor_spec spec;
  for (auto name : {"beat1", "beat2", "tail"})
    spec.children.push_back(probe_child(name));
  start(spec);
  auto next = spec;
  next.children[1] = probe_child("beat3");
  ASSERT_TRUE(ask<caf::ok_atom>(reload_atom::value, reload_plan{next}));
  run();
  EXPECT_FALSE(ctx.registry->find("root/beat2"));
  EXPECT_EQ(state("root/beat3"), child_state::running);
  EXPECT_EQ(health(ctx), health_level::ok);
}

TEST_F(supervisor_test, a_child_restarts_after_its_transient_dependency_finished) {
  supervisor_spec spec;
  spec.children.push_back(probe_child("migrate", restart_type::transient));
  auto app = probe_child("app");
  app.depends_on = {"migrate"};
  spec.children.push_back(app);
  start(std::move(spec));
  send_to("root/migrate", caf::make_message(finish_atom::value));
  EXPECT_EQ(state("root/migrate"), child_state::done);
  crash("root/app");
  EXPECT_EQ(state("root/app"), child_state::running);
  EXPECT_EQ(restarts("root/app"), 1u);
  EXPECT_TRUE(at("root/app"));
  EXPECT_TRUE(ask<caf::ok_atom>(restart_child_atom::value, std::string{"app"}));
  EXPECT_EQ(state("root/app"), child_state::running);
  EXPECT_EQ(health(ctx), health_level::ok);
}

TEST_F(supervisor_test, a_child_whose_dependency_an_operator_stopped_is_waiting) {
  start(dependant_of("db", "app"));
  ASSERT_TRUE(ask<caf::ok_atom>(stop_child_atom::value, std::string{"db"}));
  EXPECT_EQ(state("root/app"), child_state::running); // not stopped with it
  crash("root/app");
  EXPECT_EQ(state("root/app"), child_state::waiting);
  EXPECT_EQ(snap("root/app").values["waiting_for"], "root/db (stopped)");
  EXPECT_EQ(lines_with({"child=root/app", "event=waiting", "root/db"}).size(), 1u);
  EXPECT_EQ(health(ctx), health_level::degraded);
  // A restart says why it cannot happen yet (and happens once it can).
  auto restarted = ask<caf::ok_atom>(restart_child_atom::value, std::string{"app"});
  ASSERT_FALSE(restarted);
  EXPECT_NE(describe(restarted.error()).find("depends on root/db, which is stopped"),
            std::string::npos)
      << describe(restarted.error());
  ASSERT_TRUE(ask<caf::ok_atom>(restart_child_atom::value, std::string{"db"}));
  EXPECT_EQ(state("root/db"), child_state::running);
  EXPECT_EQ(state("root/app"), child_state::running);
  EXPECT_TRUE(snap("root/app").values.count("waiting_for") == 0);
  EXPECT_EQ(health(ctx), health_level::ok);
}

/// A transient one-shot `migrate` and a permanent `app` depending on it.
supervisor_spec migrate_then_app() {
  auto spec = dependant_of("migrate", "app");
  spec.children[0].restart = restart_type::transient;
  spec.children[0].one_shot = true;
  return spec;
}

TEST_F(supervisor_test, a_one_shot_is_done_before_its_dependants_start) {
  auto spec = migrate_then_app();
  start(spec);
  // Its own ready() does not count: only its exit does.
  EXPECT_EQ(state("root/migrate"), child_state::starting);
  EXPECT_EQ(state("root/app"), child_state::waiting);
  EXPECT_EQ(state("root"), child_state::starting);
  send_to("root/migrate", caf::make_message(finish_atom::value));
  EXPECT_EQ(state("root/migrate"), child_state::done);
  EXPECT_EQ(state("root/app"), child_state::running);
  EXPECT_EQ(state("root"), child_state::running);
  EXPECT_EQ(health(ctx), health_level::ok);
  // A reload that changes nothing does not run it again.
  ASSERT_TRUE(ask<caf::ok_atom>(reload_atom::value, reload_plan{spec}));
  EXPECT_EQ(state("root/migrate"), child_state::done);
  EXPECT_FALSE(at("root/migrate"));
  // An operator's restart does.
  ASSERT_TRUE(ask<caf::ok_atom>(restart_child_atom::value, std::string{"migrate"}));
  EXPECT_EQ(state("root/migrate"), child_state::starting);
  send_to("root/migrate", caf::make_message(finish_atom::value));
  EXPECT_EQ(state("root/migrate"), child_state::done);
}

TEST_F(supervisor_test, a_failed_one_shot_follows_its_restart_type) {
  auto spec = migrate_then_app();
  spec.flags.intensity = 5;
  start(std::move(spec));
  crash("root/migrate");
  EXPECT_EQ(restarts("root/migrate"), 1u);
  EXPECT_EQ(state("root/migrate"), child_state::starting);
  EXPECT_EQ(state("root/app"), child_state::waiting);
  EXPECT_EQ(health(ctx), health_level::degraded); // app should run and waits
  send_to("root/migrate", caf::make_message(finish_atom::value));
  EXPECT_EQ(state("root/app"), child_state::running);
  EXPECT_EQ(health(ctx), health_level::ok);
}

TEST_F(supervisor_test,
       health_is_degraded_in_backoff_and_failing_while_the_root_gives_up) {
  supervisor_spec spec;
  spec.flags.intensity = 1;
  spec.flags.backoff.min = 100ms;
  spec.flags.backoff.max = 1s;
  auto stuck = probe_child("stuck", restart_type::permanent, {false, true, false});
  stuck.shutdown = 2s;
  spec.children.push_back(stuck);
  spec.children.push_back(probe_child("w"));
  start(std::move(spec));
  EXPECT_EQ(health(ctx), health_level::ok);
  crash("root/w");
  EXPECT_EQ(state("root/w"), child_state::backoff);
  EXPECT_EQ(health(ctx), health_level::degraded);
  advance(100ms);
  EXPECT_EQ(state("root/w"), child_state::running);
  EXPECT_EQ(health(ctx), health_level::ok);
  crash("root/w"); // the second restart in the window: gives up
  EXPECT_EQ(state("root/stuck"), child_state::stopping);
  EXPECT_EQ(health(ctx), health_level::failing);
  advance(2s);
  EXPECT_TRUE(root_down());
  root = nullptr;
}

// -- counterexamples found by the model-based test (tests/model/) -------------

TEST_F(supervisor_test, deleting_a_waiting_child_lets_the_ones_behind_it_start) {
  // c1 waits for c0 (slow to get ready) and holds c2 back; deleting c1
  // must start c2.
  supervisor_spec spec;
  spec.flags.strat = strategy::one_for_all;
  spec.children.push_back(
      probe_child("c0", restart_type::permanent, {true, false, false}));
  auto c1 = probe_child("c1");
  c1.depends_on = {"c0"};
  spec.children.push_back(c1);
  spec.children.push_back(probe_child("c2"));
  start(std::move(spec));
  EXPECT_EQ(state("root/c2"), child_state::waiting);
  ASSERT_TRUE(ask<caf::ok_atom>(delete_child_atom::value, std::string{"c1"}));
  EXPECT_EQ(state("root/c2"), child_state::running);
}

} // namespace
} // namespace warden::test
