// The local topic bus on CAF's test coordinator: topic semantics between
// real services, subscriptions that belong to a child's path (restarts,
// backoff, removal), unsubscribe, the gateway role (forwarding, holding
// for an expected gateway, back-pressure) and incoming deliveries that are
// answered only once every subscriber handled them. Deterministic: virtual
// time, no sleeping.

#include "fixture.hpp"

#include <algorithm>
#include <memory>

#include "warden/messaging/bus.hpp"

namespace warden::test {
namespace {

/// Everything the test's actors saw, in order (the coordinator runs every
/// actor on the test's thread).
using journal = std::shared_ptr<std::vector<std::string>>;

using sub_atom = caf::atom_constant<caf::atom("t_sub")>;
using unsub_atom = caf::atom_constant<caf::atom("t_unsub")>;
using say_atom = caf::atom_constant<caf::atom("t_say")>;
using pub_atom = caf::atom_constant<caf::atom("t_pub")>;
using in_atom = caf::atom_constant<caf::atom("t_in")>;

bus_message make_bus_message(std::string topic, std::string body) {
  bus_message msg;
  msg.topic = std::move(topic);
  msg.body = std::move(body);
  return msg;
}

/// A service that subscribes, unsubscribes and publishes on command and
/// writes what it receives ("root/a#2 got T B": path, instance, topic,
/// body) and every refused publish ("root/a#1 refused T: why") to the
/// journal. A message with the body "poison" crashes it.
class bus_probe : public service {
public:
  bus_probe(caf::actor_config& cfg, service_init init, journal log)
    : service(cfg, init)
    , log_(std::move(log))
    , run_(init.run) {}

  caf::behavior make_service_behavior() override {
    return {
        [this](sub_atom, const std::string& pattern) { subscribe(pattern); },
        [this](unsub_atom, const std::string& pattern) { unsubscribe(pattern); },
        [this](say_atom, const std::string& topic, const std::string& body) {
          publish(make_bus_message(topic, body));
        },
        [this](crash_atom, const std::string& why) { fail(why); },
    };
  }

  void on_message(const bus_message& msg) override {
    log_->push_back(me() + " got " + msg.topic + " " + msg.body);
    if (msg.body == "poison")
      throw std::runtime_error("poisoned by " + msg.topic);
  }

  void on_publish_error(const bus_message& msg, const caf::error& reason) override {
    service::on_publish_error(msg, reason);
    log_->push_back(me() + " refused " + msg.topic + ": " + describe(reason));
  }

private:
  std::string me() const {
    return path() + "#" + std::to_string(run_);
  }

  journal log_;
  uint32_t run_;
};

/// Sends publishes (`pub_atom`) and incoming deliveries (`in_atom`) to the
/// bus as requests and writes their answers to the journal ("ok T B",
/// "error T B: why", "answered T B").
caf::behavior client(caf::event_based_actor* self, caf::actor bus, journal log) {
  return {
      [=](pub_atom, const std::string& topic, const std::string& body) {
        auto what = topic + " " + body;
        self->request(bus, caf::infinite, publish_atom::value,
                      make_bus_message(topic, body))
            .then([=](caf::ok_atom) { log->push_back("ok " + what); },
                  [=](caf::error& err) {
                    log->push_back("error " + what + ": " + describe(err));
                  });
      },
      [=](in_atom, const std::string& topic, const std::string& body) {
        auto what = topic + " " + body;
        auto msg = make_bus_message(topic, body);
        msg.source = "amqp";
        self->request(bus, caf::infinite, deliver_atom::value, std::move(msg))
            .then([=](bool) { log->push_back("answered " + what); },
                  [=](caf::error& err) {
                    log->push_back("error " + what + ": " + describe(err));
                  });
      },
  };
}

/// Plays the RabbitMQ gateway: registers with `patterns`, writes every
/// publish it gets ("gateway took T B") and refuses the body "full" as an
/// outbox would. `finish_atom` stops it normally, `crash_atom` abnormally.
caf::behavior fake_gateway(caf::event_based_actor* self, caf::actor bus, journal log,
                           std::vector<std::string> patterns) {
  self->send(bus, gateway_atom::value, std::move(patterns));
  return {
      [=](publish_atom, const bus_message& msg) -> caf::result<caf::ok_atom> {
        log->push_back("gateway took " + msg.topic + " " + msg.body);
        if (msg.body == "full")
          return make_error(error::unavailable, "the outbox is full");
        return caf::ok_atom::value;
      },
      [=](finish_atom) { self->quit(); },
      [=](crash_atom, const std::string& why) {
        self->quit(make_error(error::service_failed, why));
      },
  };
}

child_spec bus_child(std::string name, journal log) {
  auto spec = worker(std::move(name), make_factory<bus_probe>(log));
  spec.type = "bus_probe";
  return spec;
}

class bus_test : public actor_fixture {
public:
  bus_test()
    : log(std::make_shared<std::vector<std::string>>()) {
    ctx.registry = std::make_shared<path_registry>();
    ctx.events = std::make_shared<lifecycle_bus>();
    // The bus logs through spdlog's "bus" logger: capture it too.
    spdlog::drop("bus");
    auto bus_log = std::make_shared<spdlog::logger>("bus", sink);
    bus_log->set_level(spdlog::level::trace);
    spdlog::register_logger(bus_log);
  }

  ~bus_test() override {
    // Tree first (its services hold the bus), then the helpers, then the bus.
    if (root) {
      self->send_exit(root, caf::exit_reason::kill);
      root = nullptr;
    }
    for (auto& x : helpers)
      self->send_exit(x, caf::exit_reason::kill);
    run();
    sys.registry().erase(bus_name);
    if (bus)
      self->send_exit(bus, caf::exit_reason::user_shutdown);
    run();
    spdlog::drop("bus");
  }

  /// Spawns the bus, registers it for services and spawns the client.
  void start_bus(bus_options opts = {}) {
    bus = spawn_bus(sys, ctx.registry, ctx.events, std::move(opts));
    sys.registry().put(bus_name, caf::actor_cast<caf::strong_actor_ptr>(bus));
    the_client = sys.spawn(client, bus, log);
    helpers.push_back(the_client);
    run();
  }

  /// A tree of bus probes under `root`, restarting at once by default.
  supervisor_spec probes(std::initializer_list<const char*> names,
                         caf::timespan backoff = caf::timespan{0}) {
    supervisor_spec spec;
    spec.flags.intensity = 100;
    spec.flags.period = 60s;
    if (backoff.count() > 0) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(backoff);
      spec.flags.backoff = {ms, ms, 0.0, 60000ms};
    }
    for (auto name : names)
      spec.children.push_back(bus_child(name, log));
    return spec;
  }

  void sub(const std::string& path, const std::string& pattern) {
    send_to(path, caf::make_message(sub_atom::value, pattern));
  }

  void unsub(const std::string& path, const std::string& pattern) {
    send_to(path, caf::make_message(unsub_atom::value, pattern));
  }

  /// A publish through `service::publish` of the child at `path`.
  void say(const std::string& path, const std::string& topic,
           const std::string& body = "{}") {
    send_to(path, caf::make_message(say_atom::value, topic, body));
  }

  /// A publish request from the client; its answer goes to the journal.
  void pub(const std::string& topic, const std::string& body = "{}") {
    self->send(the_client, pub_atom::value, topic, body);
    run();
  }

  /// An incoming delivery (as the gateway sends for broker messages).
  void incoming(const std::string& topic, const std::string& body = "{}") {
    self->send(the_client, in_atom::value, topic, body);
    run();
  }

  caf::actor spawn_gateway(std::vector<std::string> patterns) {
    auto gw = sys.spawn(fake_gateway, bus, log, std::move(patterns));
    helpers.push_back(gw);
    run();
    return gw;
  }

  /// Journal lines starting with `prefix`, in order.
  std::vector<std::string> seen(const std::string& prefix) const {
    std::vector<std::string> result;
    for (auto& line : *log)
      if (line.compare(0, prefix.size(), prefix) == 0)
        result.push_back(line);
    return result;
  }

  /// The position of `line` in the journal (-1 if absent).
  std::ptrdiff_t pos(const std::string& line) const {
    auto i = std::find(log->begin(), log->end(), line);
    return i == log->end() ? -1 : i - log->begin();
  }

  using lines_t = std::vector<std::string>;

  journal log;
  caf::actor bus;
  caf::actor the_client;
  std::vector<caf::actor> helpers;
};

// -- topic semantics ----------------------------------------------------------

TEST_F(bus_test, star_matches_one_word_and_hash_zero_or_more) {
  start_bus();
  start(probes({"one", "any", "all", "mid", "exact"}));
  sub("root/one", "File.*");
  sub("root/any", "File.#");
  sub("root/all", "#");
  sub("root/mid", "*.Detected.*");
  sub("root/exact", "Health.Request");
  for (auto topic : {"File", "File.Detected", "File.Detected.n1", "Health.Request",
                     "Health.Request.x", "Other.Detected.n2.extra"})
    pub(topic, "b");
  EXPECT_EQ(seen("root/one"), (lines_t{"root/one#1 got File.Detected b"}));
  EXPECT_EQ(seen("root/any"),
            (lines_t{"root/any#1 got File b", "root/any#1 got File.Detected b",
                     "root/any#1 got File.Detected.n1 b"}));
  EXPECT_EQ(seen("root/all").size(), 6u);
  EXPECT_EQ(seen("root/mid"), (lines_t{"root/mid#1 got File.Detected.n1 b"}));
  EXPECT_EQ(seen("root/exact"), (lines_t{"root/exact#1 got Health.Request b"}));
  EXPECT_EQ(seen("ok ").size(), 6u);
}

TEST_F(bus_test, overlapping_patterns_of_one_child_deliver_once) {
  start_bus();
  start(probes({"a", "b"}));
  for (auto pattern : {"File.*", "File.#", "#", "File.Detected", "*.*"})
    sub("root/a", pattern);
  sub("root/a", "File.*"); // twice is one subscription
  sub("root/b", "Health.#");
  say("root/b", "File.Detected", "once");
  EXPECT_EQ(*log, (lines_t{"root/a#1 got File.Detected once"}));
}

TEST_F(bus_test, a_service_publishing_reaches_subscribers_including_itself) {
  start_bus();
  start(probes({"a", "b", "c"}));
  sub("root/a", "Chat.#");
  sub("root/b", "Chat.*");
  sub("root/c", "Other");
  say("root/a", "Chat.Hello", "hi");
  EXPECT_EQ(*log, (lines_t{"root/a#1 got Chat.Hello hi", "root/b#1 got Chat.Hello hi"}));
  EXPECT_TRUE(snap("root/a").flags.empty());
}

TEST_F(bus_test, an_invalid_topic_is_refused_and_reaches_on_publish_error) {
  start_bus();
  start(probes({"pub", "all"}));
  sub("root/all", "#");
  for (auto topic : {"File..x", "File.*", "File.#", "", ".File", "File."})
    say("root/pub", topic);
  auto refused = seen("root/pub#1 refused");
  ASSERT_EQ(refused.size(), 6u);
  EXPECT_EQ(refused[0],
            "root/pub#1 refused File..x: invalid_argument: invalid topic 'File..x'");
  EXPECT_TRUE(seen("root/all").empty());
  auto s = snap("root/pub");
  EXPECT_EQ(s.flags, lines_t{"publish_failed"});
  EXPECT_EQ(s.values.at("publish.error"),
            "File.: invalid_argument: invalid topic 'File.'");
  // The same through a plain request.
  pub("A..B");
  EXPECT_EQ(seen("error "), (lines_t{"error A..B {}: invalid_argument: invalid topic "
                                     "'A..B'"}));
}

TEST_F(bus_test, invalid_patterns_are_ignored_with_a_warning) {
  start_bus();
  start(probes({"a"}));
  for (auto pattern : {"", "File..x", "Fi*le", "File.#x", ".File", "File."})
    sub("root/a", pattern);
  for (auto topic : {"File", "File.x", "Filee", "File.#x"})
    pub(topic);
  EXPECT_TRUE(seen("root/a").empty());
  EXPECT_EQ(lines_with({"invalid subscription pattern"}).size(), 6u);
  EXPECT_EQ(lines_with({"root/a: invalid subscription pattern 'Fi*le' ignored"}).size(),
            1u);
  sub("root/a", "File.x");
  pub("File.x");
  EXPECT_EQ(seen("root/a"), lines_t{"root/a#1 got File.x {}"});
}

// -- subscriptions belong to the child's path ---------------------------------

TEST_F(bus_test, a_restarted_child_keeps_its_subscriptions) {
  start_bus();
  start(probes({"a", "b"}));
  sub("root/a", "File.#");
  sub("root/a", "Health.Request");
  pub("File.Detected", "before");
  auto first = at("root/a");
  crash("root/a");
  ASSERT_EQ(restarts("root/a"), 1u);
  ASSERT_NE(at("root/a"), first);
  pub("File.Detected", "after");
  pub("Health.Request", "after");
  crash("root/a");
  pub("File.Detected", "again");
  EXPECT_EQ(
      seen("root/a"),
      (lines_t{"root/a#1 got File.Detected before", "root/a#2 got File.Detected after",
               "root/a#2 got Health.Request after", "root/a#3 got File.Detected again"}));
  EXPECT_TRUE(seen("root/b").empty());
}

TEST_F(bus_test, messages_published_during_backoff_arrive_in_order_after_the_restart) {
  start_bus();
  start(probes({"a", "b"}, 100ms));
  sub("root/a", "Job.#");
  sub("root/b", "Job.#");
  crash("root/a");
  ASSERT_EQ(state("root/a"), child_state::backoff);
  for (auto body : {"1", "2", "3"})
    pub("Job.Run", body);
  say("root/b", "Job.Run", "4");
  // b has them at once; a gets nothing while in backoff.
  EXPECT_EQ(seen("root/b").size(), 4u);
  EXPECT_TRUE(seen("root/a").empty());
  EXPECT_EQ(seen("ok ").size(), 3u); // local publishes do not wait for subscribers
  advance(99ms);
  EXPECT_TRUE(seen("root/a").empty());
  advance(1ms);
  ASSERT_EQ(state("root/a"), child_state::running);
  pub("Job.Run", "5");
  EXPECT_EQ(seen("root/a"), (lines_t{"root/a#2 got Job.Run 1", "root/a#2 got Job.Run 2",
                                     "root/a#2 got Job.Run 3", "root/a#2 got Job.Run 4",
                                     "root/a#2 got Job.Run 5"}));
}

TEST_F(bus_test, a_publish_racing_the_restart_event_does_not_overtake_held_messages) {
  start_bus();
  start(probes({"a"}, 100ms));
  sub("root/a", "Job.#");
  crash("root/a");
  pub("Job.Run", "1");
  pub("Job.Run", "2");
  // The restart timer is due: the supervisor is ready to run. Before it
  // does, new messages reach the bus; it hears of the restart after them,
  // but finds the new instance in the registry already.
  sched.advance_time(100ms);
  self->send(the_client, pub_atom::value, std::string{"Job.Run"}, std::string{"3"});
  self->send(the_client, in_atom::value, std::string{"Job.Run"}, std::string{"4"});
  ASSERT_TRUE(sched.prioritize(the_client));
  sched.run_once(); // the client sends the publish
  sched.run_once(); // and the incoming delivery
  run();            // the supervisor restarts a and tells the bus
  EXPECT_EQ(seen("root/a"),
            (lines_t{"root/a#2 got Job.Run 1", "root/a#2 got Job.Run 2",
                     "root/a#2 got Job.Run 3", "root/a#2 got Job.Run 4"}));
  EXPECT_EQ(seen("answered "), lines_t{"answered Job.Run 4"});
}

TEST_F(bus_test, a_removed_child_loses_its_subscriptions) {
  start_bus();
  start(probes({"a", "b"}));
  sub("root/a", "File.#");
  sub("root/a", "Health.#");
  sub("root/b", "File.#");
  ASSERT_TRUE(ask<caf::ok_atom>(delete_child_atom::value, std::string{"a"}));
  ASSERT_FALSE(ctx.registry->find("root/a"));
  for (int i = 0; i < 5; ++i)
    pub("File.Detected", std::to_string(i));
  pub("Health.Request");
  incoming("Health.Request", "in");
  EXPECT_TRUE(seen("root/a").empty());
  EXPECT_EQ(seen("root/b").size(), 5u);
  EXPECT_EQ(seen("answered "), lines_t{"answered Health.Request in"});
  // Each subscription ended once; later publishes find nothing to drop.
  EXPECT_EQ(lines_with({"root/a: removed from the tree"}).size(), 2u);
  // A new child under the old name starts without subscriptions.
  ASSERT_TRUE(ask<caf::ok_atom>(start_child_atom::value, bus_child("a", log)));
  run();
  pub("File.Detected", "new");
  EXPECT_TRUE(seen("root/a").empty());
}

TEST_F(bus_test, a_child_removed_in_backoff_drops_what_waited_for_it) {
  start_bus();
  start(probes({"a"}, 1s));
  sub("root/a", "Job.#");
  crash("root/a");
  ASSERT_EQ(state("root/a"), child_state::backoff);
  pub("Job.Run", "local");
  incoming("Job.Run", "remote");
  EXPECT_TRUE(seen("answered ").empty()); // waits for a
  ASSERT_TRUE(ask<caf::ok_atom>(delete_child_atom::value, std::string{"a"}));
  // A child removed while not running sends no event: the bus notices on
  // its next message. The incoming delivery is answered (nobody will
  // handle it any more), the queue and the subscription are gone.
  pub("Other.Topic");
  EXPECT_EQ(seen("answered "), lines_t{"answered Job.Run remote"});
  EXPECT_EQ(
      lines_with({"root/a: removed from the tree; 2 waiting message(s) dropped"}).size(),
      1u);
  EXPECT_EQ(lines_with({"root/a: removed from the tree; subscription Job.# ends"}).size(),
            1u);
  // A new child under the old name gets none of it, and no subscription.
  ASSERT_TRUE(ask<caf::ok_atom>(start_child_atom::value, bus_child("a", log)));
  advance(2s);
  pub("Job.Run", "new");
  EXPECT_TRUE(seen("root/a").empty());
}

TEST_F(bus_test, children_of_a_restarting_nested_supervisor_keep_their_subscriptions) {
  start_bus();
  supervisor_spec inner;
  inner.flags.intensity = 0; // gives up on the first crash
  inner.children.push_back(bus_child("w", log));
  auto spec = probes({"a"}, 100ms);
  spec.children.push_back(nested("sub", std::move(inner)));
  start(std::move(spec));
  sub("root/sub/w", "Job.#");
  crash("root/sub/w");
  ASSERT_EQ(state("root/sub"), child_state::backoff);
  ASSERT_FALSE(ctx.registry->find("root/sub/w")); // away while sub restarts
  pub("Job.Run", "1");
  incoming("Job.Run", "2");
  EXPECT_TRUE(seen("root/sub/w").empty());
  EXPECT_TRUE(seen("answered ").empty());
  advance(100ms);
  ASSERT_EQ(state("root/sub/w"), child_state::running);
  pub("Job.Run", "3");
  // A new slot (the first instance of the new sub's w), same subscription.
  EXPECT_EQ(seen("root/sub/w"),
            (lines_t{"root/sub/w#1 got Job.Run 1", "root/sub/w#1 got Job.Run 2",
                     "root/sub/w#1 got Job.Run 3"}));
  EXPECT_EQ(seen("answered "), lines_t{"answered Job.Run 2"});
  // Removing the nested supervisor removes its children.
  ASSERT_TRUE(ask<caf::ok_atom>(delete_child_atom::value, std::string{"sub"}));
  pub("Job.Run", "4");
  incoming("Job.Run", "5");
  EXPECT_EQ(seen("root/sub/w").size(), 3u);
  EXPECT_EQ(seen("answered "), (lines_t{"answered Job.Run 2", "answered Job.Run 5"}));
  EXPECT_EQ(lines_with({"root/sub/w: removed from the tree"}).size(), 1u);
}

TEST_F(bus_test, messages_queued_at_a_crashing_instance_go_to_the_next_one) {
  start_bus();
  start(probes({"a"}));
  sub("root/a", "Job.#");
  // The bus sends to a while a crash command waits in a's mailbox.
  self->send(the_client, pub_atom::value, std::string{"Job.Run"}, std::string{"1"});
  self->send(the_client, in_atom::value, std::string{"Job.Run"}, std::string{"2"});
  sched.run_once(); // the client sends the publish
  sched.run_once(); // and the incoming delivery
  self->send(at("root/a"), crash_atom::value, std::string{"boom"});
  run();
  EXPECT_EQ(restarts("root/a"), 1u);
  EXPECT_EQ(seen("root/a"),
            (lines_t{"root/a#2 got Job.Run 1", "root/a#2 got Job.Run 2"}));
  EXPECT_EQ(seen("answered "), lines_t{"answered Job.Run 2"});
  EXPECT_LT(pos("root/a#2 got Job.Run 2"), pos("answered Job.Run 2"));
}

TEST_F(bus_test, messages_sent_to_an_instance_that_just_ended_go_to_the_next_one) {
  start_bus();
  start(probes({"a"}));
  sub("root/a", "Job.#");
  self->send(at("root/a"), crash_atom::value, std::string{"boom"});
  auto published = self->request(bus, caf::infinite, publish_atom::value,
                                 make_bus_message("Job.Run", "1"));
  auto answered = self->request(bus, caf::infinite, deliver_atom::value,
                                make_bus_message("Job.Run", "2"));
  sched.run_once(); // a ends; its supervisor has not seen the exit yet
  run();            // the bus finds the old instance in the registry
  EXPECT_EQ(restarts("root/a"), 1u);
  EXPECT_EQ(seen("root/a"),
            (lines_t{"root/a#2 got Job.Run 1", "root/a#2 got Job.Run 2"}));
  published.receive([](caf::ok_atom) {},
                    [](caf::error& err) { ADD_FAILURE() << describe(err); });
  answered.receive([](bool) {}, [](caf::error& err) { ADD_FAILURE() << describe(err); });
}

// -- unsubscribe --------------------------------------------------------------

TEST_F(bus_test, unsubscribe_ends_one_pattern_or_with_an_empty_pattern_all) {
  start_bus();
  start(probes({"a", "b"}));
  for (auto pattern : {"File.#", "Health.*", "Job.Run"})
    sub("root/a", pattern);
  sub("root/b", "File.#");
  unsub("root/a", "File.#");
  unsub("root/a", "Nope.#"); // not subscribed: nothing happens
  for (auto topic : {"File.Detected", "Health.Request", "Job.Run"})
    pub(topic, "1");
  EXPECT_EQ(seen("root/a"),
            (lines_t{"root/a#1 got Health.Request 1", "root/a#1 got Job.Run 1"}));
  unsub("root/a", "");
  for (auto topic : {"File.Detected", "Health.Request", "Job.Run"})
    pub(topic, "2");
  EXPECT_EQ(seen("root/a").size(), 2u);
  // b's subscription was not touched, and survives a's restart.
  crash("root/a");
  pub("File.Detected", "3");
  EXPECT_EQ(seen("root/b"),
            (lines_t{"root/b#1 got File.Detected 1", "root/b#1 got File.Detected 2",
                     "root/b#1 got File.Detected 3"}));
  EXPECT_EQ(seen("root/a").size(), 2u);
}

// -- the gateway role ---------------------------------------------------------

TEST_F(bus_test, a_gateway_gets_matching_publishes_and_its_answer_is_the_publishers) {
  start_bus();
  start(probes({"pub", "local"}));
  sub("root/local", "File.#");
  spawn_gateway({"File.#", "Error.Message.*"});
  pub("File.Detected", "1");
  pub("Health.Request", "2");
  pub("Error.Message.x", "3");
  pub("Error.Message.x.y", "4");
  EXPECT_EQ(seen("gateway "),
            (lines_t{"gateway took File.Detected 1", "gateway took Error.Message.x 3"}));
  EXPECT_EQ(seen("ok ").size(), 4u);
  // Local subscribers get broker topics directly too.
  EXPECT_EQ(seen("root/local"), lines_t{"root/local#1 got File.Detected 1"});
  // The gateway's refusal is what the publishing service gets.
  say("root/pub", "File.Detected", "full");
  EXPECT_EQ(seen("root/pub"),
            lines_t{"root/pub#1 refused File.Detected: unavailable: the outbox is full"});
  EXPECT_EQ(snap("root/pub").flags, lines_t{"publish_failed"});
  pub("File.Detected", "full");
  EXPECT_EQ(seen("error "), lines_t{"error File.Detected full: unavailable: the outbox "
                                    "is full"});
}

TEST_F(bus_test, an_expected_gateway_gets_what_was_held_for_it_in_order) {
  bus_options opts;
  opts.gateway_expected = true;
  opts.out_patterns = {"File.#"};
  start_bus(opts);
  start(probes({"local"}));
  sub("root/local", "#");
  pub("File.Detected", "1");
  pub("Health.Request", "local");
  pub("File.Detected", "2");
  say("root/local", "File.Detected", "full");
  pub("File.Detected", "3");
  // Local delivery and local topics do not wait; broker topics do.
  EXPECT_EQ(seen("ok "), lines_t{"ok Health.Request local"});
  EXPECT_EQ(seen("root/local").size(), 5u);
  // The gateway registers with patterns of its own: held messages first.
  spawn_gateway({"File.#", "Job.#"});
  pub("Job.Run", "4");
  EXPECT_EQ(seen("gateway "),
            (lines_t{"gateway took File.Detected 1", "gateway took File.Detected 2",
                     "gateway took File.Detected full", "gateway took File.Detected 3",
                     "gateway took Job.Run 4"}));
  EXPECT_EQ(seen("ok "),
            (lines_t{"ok Health.Request local", "ok File.Detected 1",
                     "ok File.Detected 2", "ok File.Detected 3", "ok Job.Run 4"}));
  EXPECT_EQ(
      seen("root/local#1 refused"),
      lines_t{"root/local#1 refused File.Detected: unavailable: the outbox is full"});
}

TEST_F(bus_test, beyond_max_held_publishers_get_an_error) {
  bus_options opts;
  opts.gateway_expected = true;
  opts.out_patterns = {"File.#"};
  opts.max_held = 2;
  start_bus(opts);
  pub("File.Detected", "1");
  pub("File.Detected", "2");
  pub("File.Detected", "3");
  pub("Health.Request", "local");
  auto errors = seen("error ");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("error File.Detected 3: unavailable: ", 0), 0u) << errors[0];
  EXPECT_EQ(seen("ok "), lines_t{"ok Health.Request local"});
  spawn_gateway({"File.#"});
  EXPECT_EQ(seen("ok "), (lines_t{"ok Health.Request local", "ok File.Detected 1",
                                  "ok File.Detected 2"}));
}

TEST_F(bus_test, after_a_gateway_crash_messages_are_held_for_the_next_one) {
  start_bus();
  auto first = spawn_gateway({"File.#"});
  pub("File.Detected", "1");
  self->send(first, crash_atom::value, std::string{"broker lost"});
  run();
  pub("File.Detected", "2");
  pub("File.Detected", "3");
  EXPECT_EQ(seen("gateway "), lines_t{"gateway took File.Detected 1"});
  EXPECT_EQ(seen("ok "), lines_t{"ok File.Detected 1"});
  spawn_gateway({"File.#"});
  EXPECT_EQ(seen("gateway "),
            (lines_t{"gateway took File.Detected 1", "gateway took File.Detected 2",
                     "gateway took File.Detected 3"}));
  EXPECT_EQ(seen("ok "),
            (lines_t{"ok File.Detected 1", "ok File.Detected 2", "ok File.Detected 3"}));
  EXPECT_TRUE(seen("error ").empty());
}

TEST_F(bus_test, after_a_normal_gateway_stop_broker_topics_are_refused) {
  start_bus();
  auto gw = spawn_gateway({"File.#"});
  pub("File.Detected", "1");
  self->send(gw, finish_atom::value);
  run();
  pub("File.Detected", "2");
  pub("Health.Request", "local");
  EXPECT_EQ(seen("gateway "), lines_t{"gateway took File.Detected 1"});
  EXPECT_EQ(seen("ok "), (lines_t{"ok File.Detected 1", "ok Health.Request local"}));
  auto errors = seen("error ");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("error File.Detected 2: unavailable: ", 0), 0u) << errors[0];
}

TEST_F(bus_test, held_messages_get_an_error_when_the_bus_stops) {
  bus_options opts;
  opts.gateway_expected = true;
  opts.out_patterns = {"File.#"};
  start_bus(opts);
  pub("File.Detected", "1");
  pub("File.Detected", "2");
  EXPECT_TRUE(seen("ok ").empty());
  EXPECT_TRUE(seen("error ").empty());
  sys.registry().erase(bus_name);
  self->send_exit(bus, caf::exit_reason::user_shutdown);
  run();
  EXPECT_EQ(seen("error "),
            (lines_t{"error File.Detected 1: unavailable: warden is stopping",
                     "error File.Detected 2: unavailable: warden is stopping"}));
  bus = nullptr;
}

// -- incoming deliveries ------------------------------------------------------

TEST_F(bus_test, an_incoming_delivery_is_answered_after_every_subscriber_handled_it) {
  start_bus();
  start(probes({"a", "b", "c"}));
  sub("root/a", "Health.Request");
  sub("root/b", "Health.#");
  sub("root/c", "File.#");
  incoming("Health.Request", "1");
  EXPECT_EQ(*log,
            (lines_t{"root/a#1 got Health.Request 1", "root/b#1 got Health.Request 1",
                     "answered Health.Request 1"}));
}

TEST_F(bus_test, an_incoming_delivery_without_subscribers_is_answered) {
  start_bus();
  start(probes({"a"}));
  sub("root/a", "File.#");
  incoming("Health.Request", "1");
  EXPECT_EQ(*log, lines_t{"answered Health.Request 1"});
}

TEST_F(bus_test, an_incoming_delivery_waits_for_a_subscriber_in_backoff) {
  start_bus();
  start(probes({"a", "b"}, 500ms));
  sub("root/a", "Control.#");
  sub("root/b", "Control.#");
  crash("root/a");
  incoming("Control.Request", "1");
  incoming("Control.Request", "2");
  EXPECT_EQ(*log, (lines_t{"root/b#1 got Control.Request 1",
                           "root/b#1 got Control.Request 2"}));
  advance(499ms);
  EXPECT_TRUE(seen("answered ").empty());
  advance(1ms);
  EXPECT_EQ(*log,
            (lines_t{"root/b#1 got Control.Request 1", "root/b#1 got Control.Request 2",
                     "root/a#2 got Control.Request 1", "root/a#2 got Control.Request 2",
                     "answered Control.Request 1", "answered Control.Request 2"}));
}

TEST_F(bus_test, a_one_way_delivery_to_a_service_gets_no_answer) {
  // A one-way `deliver_atom` (from code other than the bus): an answer
  // would reach the sender as an unexpected message, and its default
  // handler's error would come back and kill the service.
  start_bus();
  start(probes({"a"}));
  auto sender = sys.spawn(
      [](caf::event_based_actor* s, caf::actor target, bus_message msg) -> caf::behavior {
        s->send(target, deliver_atom::value, std::move(msg));
        return {[](int) {}};
      },
      at("root/a"), make_bus_message("Job.Run", "1"));
  helpers.push_back(sender);
  run();
  EXPECT_EQ(*log, lines_t{"root/a#1 got Job.Run 1"});
  EXPECT_EQ(restarts("root/a"), 0u);
  EXPECT_EQ(state("root/a"), child_state::running);
}

TEST_F(bus_test, a_subscriber_that_crashes_on_a_delivery_still_counts_as_having_had_it) {
  start_bus();
  start(probes({"a"}));
  sub("root/a", "Control.#");
  incoming("Control.Request", "poison");
  EXPECT_EQ(restarts("root/a"), 1u);
  EXPECT_EQ(*log, (lines_t{"root/a#1 got Control.Request poison",
                           "answered Control.Request poison"}));
  // Not redelivered to the new instance, which gets the next one.
  incoming("Control.Request", "fine");
  EXPECT_EQ(seen("root/a"), (lines_t{"root/a#1 got Control.Request poison",
                                     "root/a#2 got Control.Request fine"}));
}

} // namespace
} // namespace warden::test
