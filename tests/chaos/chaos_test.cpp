// Chaos: what warden survives without losing anything, on the real thing (a
// private rabbitmq-server, the real warden binary, real OS processes).
//
// - the broker killed (kill -9) at random moments, 20 times, while three
//   services publish: every message arrives, each publisher's in order;
// - warden killed (kill -9) with a full outbox and the broker down: the
//   next start delivers every message that was accepted, and no other;
// - a child that crashes in a tight loop for 60 s: warden's CPU stays low
//   (backoff), its memory, threads and descriptors stay flat;
// - a crash loop without room: the supervisor gives up exactly at its
//   intensity, and warden exits 3.
//
// One broker serves the whole binary (one ctest entry). The random moments
// come from a seed that is printed; WARDEN_CHAOS_SEED=N replays a run.

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <dirent.h>

#include "integration/cli_fixture.hpp"
#include "integration/service_tree.hpp"
#include "support/amqp_client.hpp"
#include "support/rabbit_broker.hpp"

namespace warden::test {
namespace {

using burst_atom = caf::atom_constant<caf::atom("t_burst")>;

/// Publishes `count` numbered messages to its `topic` per burst; counts
/// refusals.
class publisher : public service {
public:
  using service::service;

  void on_publish_error(const bus_message& msg, const caf::error& reason) override {
    service::on_publish_error(msg, reason);
    ++errors;
  }

  caf::behavior make_service_behavior() override {
    return {[this](burst_atom, int count) {
      auto topic = params().at("topic").get<std::string>();
      for (int i = 0; i < count; ++i)
        publish(topic, nlohmann::json{{"n", next_++}});
    }};
  }

  static inline std::atomic<int> errors{0};

private:
  int next_ = 0;
};

uint32_t chaos_seed() {
  if (auto s = std::getenv("WARDEN_CHAOS_SEED"))
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  return std::random_device{}();
}

/// What /proc says about a process.
struct proc_sample {
  double cpu_s = 0; // user + system
  long rss_kb = 0;
  int threads = 0;
  int fds = 0;
};

/// The extremes of several samples 50 ms apart: a child being restarted
/// holds a pidfd and pipes for a moment, a thread may come and go.
struct proc_range {
  proc_sample first;
  int min_fds = 0, max_fds = 0, min_threads = 0, max_threads = 0;
};

proc_sample sample_of(pid_t pid) {
  proc_sample out;
  auto dir = "/proc/" + std::to_string(pid);
  std::ifstream stat{dir + "/stat"};
  std::string text{std::istreambuf_iterator<char>{stat}, {}};
  // Fields after the command (which may hold spaces): state is field 3,
  // utime 14, stime 15.
  std::istringstream rest{text.substr(text.rfind(')') + 2)};
  std::vector<std::string> fields{std::istream_iterator<std::string>{rest}, {}};
  if (fields.size() > 12)
    out.cpu_s = (std::stod(fields[11]) + std::stod(fields[12])) /
                static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream status{dir + "/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      out.rss_kb = std::stol(line.substr(6));
    else if (line.rfind("Threads:", 0) == 0)
      out.threads = std::stoi(line.substr(8));
  }
  if (auto d = ::opendir((dir + "/fd").c_str())) {
    while (auto e = ::readdir(d))
      if (e->d_name[0] != '.')
        ++out.fds;
    ::closedir(d);
  }
  return out;
}

proc_range range_of(pid_t pid) {
  proc_range out;
  out.first = sample_of(pid);
  out.min_fds = out.max_fds = out.first.fds;
  out.min_threads = out.max_threads = out.first.threads;
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(50ms);
    auto x = sample_of(pid);
    out.min_fds = std::min(out.min_fds, x.fds);
    out.max_fds = std::max(out.max_fds, x.fds);
    out.min_threads = std::min(out.min_threads, x.threads);
    out.max_threads = std::max(out.max_threads, x.threads);
  }
  return out;
}

/// Why the gateway's outbox did not drain, told from both sides: the
/// gateway's view of its link (still retrying - attempts grow - or stuck in
/// one phase) against an independent client's view of the broker (does it
/// take an AMQP login on vhost "/"?), with the broker's log.
std::string explain_undrained(service_tree& t, rabbit_broker& rb) {
  auto gw = [&](const char* key) { return t.value("rabbitmq", key); };
  auto attempts_before = gw("link.attempts");
  std::this_thread::sleep_for(2s); // the gateway refreshes its values every 250 ms
  auto attempts_after = gw("link.attempts");
  auto snap = t.snapshot("rabbitmq");
  auto probe = rb.amqp_probe(5s);
  bool beam = rb.pid() > 0 && rabbit_broker::process_alive(rb.pid());
  std::ostringstream out;
  out << "outbox.depth " << gw("outbox.depth") << "\n"
      << "gateway: child " << to_string(snap.state) << ", " << snap.restarts
      << " restart(s), state " << gw("state") << ", last_error '" << gw("last_error")
      << "'\n"
      << "link: phase " << gw("link.phase") << " for " << gw("link.phase_ms")
      << " ms, attempts " << attempts_before << " -> " << attempts_after
      << " in 2 s, connects " << gw("link.connects") << "\n"
      << "broker: beam.smp " << rb.pid() << (beam ? " running" : " gone") << ", "
      << rb.vhost_restarts() << " vhost restart(s) by the harness; an outside client on "
      << amqp_link::redact_url(rb.url()) << ": "
      << (probe.empty() ? "login and channel.open work" : probe) << "\n";
  if (probe.empty())
    out << "=> the broker serves AMQP and the gateway did not reconnect: a gateway bug\n";
  else if (attempts_after != attempts_before)
    out << "=> the broker does not serve AMQP and the gateway keeps retrying: a broker "
           "(or harness) problem\n";
  else
    out << "=> the broker does not serve AMQP, and the link made no attempt in 2 s: look "
           "at both\n";
  out << rb.log_excerpt();
  return out.str();
}

#if defined(__SANITIZE_ADDRESS__)
constexpr long rss_growth_limit_kb = 64 * 1024; // ASan's quarantine grows
#else
constexpr long rss_growth_limit_kb = 4 * 1024;
#endif

class chaos_test : public cli_test {
protected:
  static rabbit_broker& broker() {
    return rabbit_broker::shared();
  }

  void SetUp() override {
    cli_test::SetUp();
    if (!broker().running())
      broker().start();
    amqp_client setup{broker().url()};
    setup.declare_exchange("warden");
  }
};

/// The crash loops need no broker.
using crash_loop_test = cli_test;

TEST_F(chaos_test, broker_killed_at_random_moments_20_times_loses_nothing) {
  auto seed = chaos_seed();
  std::printf("WARDEN_CHAOS_SEED=%u\n", seed);
  std::mt19937 rng{seed};
  auto pick = [&](int lo_ms, int hi_ms) {
    return std::chrono::milliseconds{
        std::uniform_int_distribution<int>{lo_ms, hi_ms}(rng)};
  };
  auto& rb = broker();
  amqp_client setup{rb.url()};
  setup.declare_queue("warden", "Chaos.Out.#", queue_kind::durable, "t.chaos20");
  setup.close();
  gateway_settings gw;
  gw.link.url = rb.url();
  gw.link.exchange = "warden";
  gw.link.heartbeat_s = 2;
  gw.link.backoff_min = 20ms;
  gw.link.backoff_max = 300ms;
  gw.outbox.dir = (dir_ / "outbox").string();
  constexpr int publishers = 3;
  std::vector<child_spec> children;
  for (int p = 0; p < publishers; ++p)
    children.push_back(
        service_child<publisher>("p" + std::to_string(p), "publisher",
                                 {{"topic", "Chaos.Out.p" + std::to_string(p)}}));
  service_tree t{{}, children, &gw};
  ASSERT_TRUE(
      t.wait_until([&] { return t.value("rabbitmq", "state") == "connected"; }, 20s));
  // Each publisher: 10 messages every 50 ms (200/s), all through the test.
  std::atomic<bool> done{false};
  std::atomic<int> bursts{0};
  std::thread driver{[&] {
    while (!done) {
      for (int p = 0; p < publishers; ++p)
        caf::anon_send(t.diag("p" + std::to_string(p))->current(), burst_atom::value, 10);
      ++bursts;
      std::this_thread::sleep_for(50ms);
    }
  }};
  for (int cycle = 0; cycle < 20; ++cycle) {
    std::this_thread::sleep_for(pick(0, 1000)); // up: publishing, confirming
    rb.kill9();
    std::this_thread::sleep_for(pick(0, 800)); // down: into the outbox
    rb.restart();
  }
  std::this_thread::sleep_for(300ms);
  done = true;
  driver.join();
  int sent = bursts.load() * 10; // per publisher
  // On a timeout, say which side stopped: the gateway's link or the broker.
  ASSERT_TRUE(
      t.wait_until([&] { return t.value("rabbitmq", "outbox.depth") == "0"; }, 120s))
      << explain_undrained(t, rb);
  amqp_client outside{rb.url()};
  auto got = outside.consume("t.chaos20", outside.message_count("t.chaos20"), 60s);
  // Per publisher: every number arrived, first arrivals in order;
  // duplicates (at least once across a kill) keep the original's id.
  std::map<std::string, std::map<int, std::string>> first_id;
  std::map<std::string, int> last_first;
  std::map<std::string, bool> ordered;
  for (auto& x : got) {
    auto n = nlohmann::json::parse(x.body).at("n").get<int>();
    auto& ids = first_id[x.routing_key];
    auto [it, fresh] = ids.emplace(n, x.message_id);
    if (fresh) {
      auto& last = last_first.try_emplace(x.routing_key, -1).first->second;
      ordered.try_emplace(x.routing_key, true).first->second &= n > last;
      last = n;
    } else {
      EXPECT_EQ(it->second, x.message_id) << "a duplicate of " << n << " has another id";
    }
  }
  std::printf("20 broker kills: %d messages per publisher, %zu deliveries (%zu "
              "duplicates), %d vhost restart(s) by the harness, %s link attempts\n",
              sent, got.size(), got.size() - static_cast<size_t>(sent) * publishers,
              rb.vhost_restarts(), t.value("rabbitmq", "link.attempts").c_str());
  for (int p = 0; p < publishers; ++p) {
    auto key = "Chaos.Out.p" + std::to_string(p);
    EXPECT_EQ(first_id[key].size(), static_cast<size_t>(sent))
        << key << ": lost messages";
    EXPECT_TRUE(ordered[key]) << key << ": first arrivals out of order";
  }
  EXPECT_EQ(publisher::errors.load(), 0);
  outside.delete_queue("t.chaos20");
}

TEST_F(chaos_test, warden_killed_with_a_full_outbox_delivers_all_after_a_restart) {
  auto& rb = broker();
  amqp_client outside{rb.url()};
  outside.declare_queue("warden", "Chaos.Fill.#", queue_kind::durable, "t.fill");
  outside.close();
  rb.stop();
  auto path = cfg("program = \"chaos\";\nnode = \"n1\";\n"
                  "rabbitmq = { url = \"" +
                  rb.url() +
                  "\"; heartbeat_s = 2; "
                  "outbox = \"state/outbox\"; outbox_max_mb = 1; };\n"
                  "supervisor = { children = (\n"
                  "  { name = \"filler\"; type = \"filler\"; "
                  "params = { topic = \"Chaos.Fill.n1\"; size = 1000; }; }\n); };\n");
  int accepted = 0;
  {
    auto warden = start({"run", "-c", path.string()});
    ASSERT_TRUE(await_output("filler: accepted", 1, 60s));
    auto out = output();
    auto at = out.find("filler: accepted ") + 17;
    accepted = std::stoi(out.substr(at));
    EXPECT_NE(out.find("outbox full", at), std::string::npos) << out;
    warden->signal(SIGKILL);
    warden->wait(10s);
  }
  // About 1 MB of 1 kB messages: the bound was what stopped the filler.
  ASSERT_GT(accepted, 500);
  ASSERT_LT(accepted, 1100);
  rb.restart();
  auto warden = start(
      {"run", "-c", path.string(), "--set", "supervisor.children.filler.enabled=false"});
  ASSERT_TRUE(await_output("message(s) in the outbox from before", 1, 30s));
  amqp_client consumer{rb.url()};
  auto got = consumer.consume("t.fill", static_cast<size_t>(accepted), 60s);
  ASSERT_EQ(got.size(), static_cast<size_t>(accepted));
  for (int i = 0; i < accepted; ++i)
    ASSERT_EQ(nlohmann::json::parse(got[i].body).at("n").get<int>(), i);
  EXPECT_EQ(consumer.message_count("t.fill"), 0u) << "nothing beyond what was accepted";
  warden->signal(SIGINT);
  EXPECT_EQ(warden->wait(20s), 0);
  consumer.delete_queue("t.fill");
}

TEST_F(crash_loop_test, sixty_seconds_keep_warden_cheap_and_flat) {
  // Two children crash as soon as they start, an OS process and an actor;
  // backoff (1 ms doubling up to 200 ms) is what paces them.
  auto path =
      cfg("program = \"chaos\";\nnode = \"n1\";\n"
          "control = { port = " +
          std::to_string(free_port()) +
          "; };\n"
          "supervisor = { intensity = 1000; period_s = 1;\n"
          "  backoff = { min_ms = 1; max_ms = 200; jitter = 0.0; };\n"
          "  children = (\n"
          "  { name = \"proc\"; type = \"process\"; command = [ \"/bin/false\" ]; },\n"
          "  { name = \"actor\"; type = \"crasher\"; }\n); };\n");
  auto warden = start({"run", "-c", path.string()});
  ASSERT_TRUE(await_output("child=root/proc event=backoff", 5, 10s));
  std::this_thread::sleep_for(10s); // warmed up: backoff at its maximum
  auto pid = warden->pid();
  auto before = range_of(pid);
  auto crashes_before = count(output(), "event=crashed");
  std::this_thread::sleep_for(49s);
  auto after = range_of(pid);
  auto crashes = count(output(), "event=crashed") - crashes_before;
  // 2 children at ~5/s for 50 s: the loop was really looping.
  EXPECT_GT(crashes, 300u);
  auto seconds = 50.0;
  auto cpu_pct = (after.first.cpu_s - before.first.cpu_s) / seconds * 100;
  std::printf("crash loop: %zu crashes in 50 s, warden cpu %.2f%%, rss %ld -> %ld kB, "
              "threads %d..%d -> %d..%d, fds %d..%d -> %d..%d\n",
              crashes, cpu_pct, before.first.rss_kb, after.first.rss_kb,
              before.min_threads, before.max_threads, after.min_threads,
              after.max_threads, before.min_fds, before.max_fds, after.min_fds,
              after.max_fds);
  EXPECT_LT(cpu_pct, 5.0) << "backoff keeps a crash loop cheap";
  EXPECT_LT(after.first.rss_kb - before.first.rss_kb, rss_growth_limit_kb)
      << "memory stays flat";
  EXPECT_LE(after.min_threads, before.max_threads) << "threads stay flat";
  EXPECT_LE(after.min_fds, before.max_fds) << "descriptors stay flat";
  warden->signal(SIGTERM);
  EXPECT_EQ(warden->wait(20s), 0);
  EXPECT_EQ(count(output(), "event=gave_up"), 0u);
}

TEST_F(crash_loop_test, escalates_exactly_at_the_intensity) {
  for (int intensity : {1, 4}) {
    auto path = cfg("program = \"chaos\";\nnode = \"n1\";\n"
                    "control = { port = " +
                    std::to_string(free_port()) +
                    "; };\n"
                    "supervisor = { intensity = " +
                    std::to_string(intensity) +
                    "; period_s = 60;\n"
                    "  backoff = { min_ms = 1; max_ms = 2; };\n"
                    "  children = ( { name = \"proc\"; type = \"process\"; "
                    "command = [ \"/bin/false\" ]; } ); };\n");
    auto warden = start({"run", "-c", path.string()});
    EXPECT_EQ(warden->wait(30s), 3) << output();
    auto out = output();
    // `intensity` restarts are allowed; the crash after them gives up.
    EXPECT_EQ(count(out, "child=root/proc event=crashed"),
              static_cast<size_t>(intensity + 1))
        << out;
    EXPECT_EQ(count(out, "child=root/proc event=restarted"),
              static_cast<size_t>(intensity))
        << out;
    EXPECT_NE(
        out.find("more than " + std::to_string(intensity) + " restarts in 60000 ms"),
        std::string::npos)
        << out;
  }
}

} // namespace
} // namespace warden::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new warden::test::broker_environment);
  return RUN_ALL_TESTS();
}
