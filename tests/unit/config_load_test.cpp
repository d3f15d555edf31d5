// Loading config files: the SPEC example into the value structs, defaults,
// interpolation, secrets and their redaction, overrides, lookup order.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

#include "warden/config/config_lookup.hpp"
#include "warden/config/dump.hpp"
#include "warden/config/load.hpp"
#include "warden/supervisor/validate.hpp"

namespace warden {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

child_factory dummy_factory() {
  return [](caf::local_actor&, service_init) { return caf::actor{}; };
}

// Service types for the tests: plain workers and a `process` type with
// type-specific keys whose settings are recorded.
struct test_types {
  service_types types;
  std::vector<nlohmann::json> made; // the settings given to `process`

  test_types() {
    types.add("worker", dummy_factory());
    types.add("dir_watcher", dummy_factory());
    types.add("process", service_type{[this](const nlohmann::json& settings) {
                                        made.push_back(settings);
                                        return dummy_factory();
                                      },
                                      {"command", "stdin", "port", "env"}});
  }
};

env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars{std::move(vars)}](const std::string& name) -> std::optional<std::string> {
    if (auto i = vars.find(name); i != vars.end())
      return i->second;
    return std::nullopt;
  };
}

// A fresh directory below the system's temp dir, removed at the end.
class temp_dir {
public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ =
        fs::temp_directory_path() / ("warden_config_test_" + std::to_string(::getpid()) +
                                     "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const {
    return path_;
  }
  std::string write(const std::string& name, const std::string& text) const {
    auto file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream{file, std::ios::binary} << text;
    return file.string();
  }

private:
  fs::path path_;
};

std::string errors_of(const load_result& r) {
  return to_string(r.errors);
}

const std::string data_dir = WARDEN_TEST_CONFIG_DIR;

TEST(config_load, spec_example_becomes_the_value_structs) {
  test_types t;
  load_options opts;
  opts.types = &t.types;
  opts.env = fake_env({{"HOSTNAME", "box1"}});
  auto r = load_file(data_dir + "/spec_example.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  EXPECT_EQ(c.source, data_dir + "/spec_example.cfg");
  EXPECT_EQ(c.base_dir, data_dir);
  EXPECT_EQ(c.program, "file-watch");
  EXPECT_EQ(c.node, "box1");
  EXPECT_EQ(c.secrets_dir, "secrets");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.file, "");
  EXPECT_EQ(c.log.max_size_mb, 10u);
  EXPECT_EQ(c.log.max_files, 5u);
  EXPECT_EQ(c.control.listen, "127.0.0.1");
  EXPECT_EQ(c.control.port, 4711);
  EXPECT_EQ(c.control.token, "s3cret-token"); // the file's trailing newline is stripped
  EXPECT_TRUE(c.rabbitmq.enabled);
  EXPECT_EQ(c.rabbitmq.url, "amqp://guest:guest@127.0.0.1:5672");
  EXPECT_EQ(c.rabbitmq.exchange, "warden");
  EXPECT_EQ(c.rabbitmq.outbox, "state/outbox");
  EXPECT_EQ(c.rabbitmq.heartbeat, 10s);
  EXPECT_TRUE(c.rabbitmq.confirm);
  EXPECT_EQ(c.config_check, 5s);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.secret_settings, (std::set<std::string>{"control.token"}));
  // The root supervisor.
  auto& root = c.supervisor;
  EXPECT_EQ(root.flags.strat, strategy::one_for_one);
  EXPECT_EQ(root.flags.intensity, 5u);
  EXPECT_EQ(root.flags.period, 10s);
  EXPECT_EQ(root.flags.backoff.min, 100ms);
  EXPECT_EQ(root.flags.backoff.max, 30000ms);
  EXPECT_EQ(root.flags.shutdown, auto_shutdown::never);
  ASSERT_EQ(root.children.size(), 3u);
  auto& watcher = root.children[0];
  EXPECT_EQ(watcher.name, "watcher");
  EXPECT_EQ(watcher.type, "dir_watcher");
  EXPECT_EQ(watcher.restart, restart_type::permanent);
  EXPECT_EQ(watcher.shutdown, 5000ms);
  EXPECT_TRUE(watcher.enabled);
  EXPECT_TRUE(watcher.depends_on.empty());
  EXPECT_TRUE(static_cast<bool>(watcher.factory));
  EXPECT_EQ(watcher.params, (nlohmann::json{{"path", "incoming"}, {"pattern", "*.csv"}}));
  // The nested supervisor.
  auto& workers = root.children[1];
  EXPECT_EQ(workers.name, "workers");
  EXPECT_EQ(workers.type, "supervisor");
  EXPECT_EQ(workers.shutdown, shutdown_infinity);
  ASSERT_NE(workers.supervisor, nullptr);
  EXPECT_EQ(workers.supervisor->flags.strat, strategy::rest_for_one);
  ASSERT_EQ(workers.supervisor->children.size(), 2u);
  EXPECT_EQ(workers.supervisor->children[0].params, (nlohmann::json{{"threads", 2}}));
  EXPECT_EQ(workers.supervisor->children[1].restart, restart_type::transient);
  EXPECT_EQ(workers.supervisor->children[1].depends_on,
            std::vector<std::string>{"parser"});
  // The process child: its type-specific keys went to the factory maker.
  auto& legacy = root.children[2];
  EXPECT_EQ(legacy.type, "process");
  EXPECT_EQ(legacy.params, nlohmann::json::object());
  auto settings = nlohmann::json{{"command", {"/usr/bin/python3", "worker.py"}},
                                 {"stdin", "section"},
                                 {"port", "auto"}};
  EXPECT_EQ(t.made, std::vector<nlohmann::json>{settings});
  // Extras by path.
  std::vector<std::string> paths;
  for (auto& kv : c.children)
    paths.push_back(kv.first);
  EXPECT_EQ(paths, (std::vector<std::string>{"root", "root/legacy", "root/watcher",
                                             "root/workers", "root/workers/parser",
                                             "root/workers/writer"}));
  auto& w = c.children.at("root/watcher");
  EXPECT_EQ(w.type, "dir_watcher");
  EXPECT_EQ(w.line, 17u);
  EXPECT_EQ(w.setting, "supervisor.children.watcher");
  ASSERT_EQ(w.schedules.size(), 2u);
  EXPECT_EQ(w.schedules[0].tick, "scan");
  EXPECT_EQ(w.schedules[0].every, 5000ms);
  EXPECT_EQ(w.schedules[0].at_start, at_start_mode::none);
  EXPECT_EQ(w.schedules[0].setting, "supervisor.children.watcher.schedule[0]");
  EXPECT_EQ(w.schedules[0].line, 20u);
  EXPECT_EQ(w.schedules[1].tick, "prune");
  EXPECT_FALSE(w.schedules[1].every);
  EXPECT_EQ(w.schedules[1].cron, "0 0 * * *");
  EXPECT_EQ(w.schedules[1].at_start, at_start_mode::always);
  EXPECT_EQ(w.schedules[1].line, 21u);
  EXPECT_EQ(c.children.at("root/legacy").settings, settings);
  EXPECT_EQ(c.children.at("root/workers/writer").setting,
            "supervisor.children.workers.children.writer");
  EXPECT_EQ(c.children.at("root/workers/writer").line, 24u);
  EXPECT_EQ(c.children.at("root").line, 12u);
  // What spawn_supervisor checks again passes.
  EXPECT_TRUE(validate(root, "root").empty());
}

TEST(config_load, empty_text_gives_the_documented_defaults) {
  auto r = load_text("", "empty.cfg", {});
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  warden_config d;
  EXPECT_EQ(c.program, "warden");
  EXPECT_EQ(c.node, "localhost");
  EXPECT_EQ(c.secrets_dir, "secrets");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.control.listen, "127.0.0.1");
  EXPECT_EQ(c.control.port, 4711);
  EXPECT_EQ(c.control.token, "");
  EXPECT_FALSE(c.rabbitmq.enabled);
  EXPECT_EQ(c.config_check, 5s);
  EXPECT_EQ(c.supervisor.flags.intensity, d.supervisor.flags.intensity);
  EXPECT_TRUE(c.supervisor.children.empty());
  EXPECT_EQ(c.children.size(), 1u); // root
  EXPECT_EQ(get(*r.config, "log.level"), "info");
  EXPECT_EQ(get(*r.config, "control.port"), "4711");
  EXPECT_EQ(get(*r.config, "rabbitmq.url"), std::nullopt); // no broker configured
}

TEST(config_load, sections_take_every_documented_key) {
  auto text = R"(
    log = { level = "debug"; file = "/var/log/warden.log"; max_size_mb = 20; max_files = 3;
            levels = { supervisor = "warn"; gateway = "trace"; }; };
    control = { listen = "0.0.0.0"; port = 9000; token = "t"; tls_cert = "c.pem"; tls_key = "k.pem"; };
    rabbitmq = { enabled = false; heartbeat_s = 0; confirm = false; };
    threads = 2;
    supervisor = { strategy = "one_for_all"; auto_shutdown = "any_significant";
      backoff = { min_ms = 10; max_ms = 20; jitter = 0.5; reset_ms = 1000; };
      children = ( { name = "a"; type = "worker"; restart = "temporary"; significant = true;
                     shutdown_ms = "infinity"; enabled = false;
                     backoff = { max_ms = 500; };
                     schedule = { cron = "*/5 * * * *"; timezone = "Europe/Berlin"; at_start = "once";
                                  catch_up = "one"; overlap = "queue"; jitter = "2s"; }; } ); };
  )";
  test_types t;
  load_options opts;
  opts.types = &t.types;
  auto r = load_text(text, "keys.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.file, "/var/log/warden.log");
  EXPECT_EQ(c.log.max_size_mb, 20u);
  EXPECT_EQ(c.log.max_files, 3u);
  EXPECT_EQ(c.log.levels, (std::map<std::string, std::string>{{"gateway", "trace"},
                                                              {"supervisor", "warn"}}));
  EXPECT_EQ(c.control.port, 9000);
  EXPECT_EQ(c.control.tls_cert, "c.pem");
  EXPECT_EQ(c.control.tls_key, "k.pem");
  EXPECT_FALSE(c.rabbitmq.enabled);
  EXPECT_EQ(c.rabbitmq.heartbeat, 0s);
  EXPECT_FALSE(c.rabbitmq.confirm);
  EXPECT_EQ(c.threads, 2u);
  auto& flags = c.supervisor.flags;
  EXPECT_EQ(flags.strat, strategy::one_for_all);
  EXPECT_EQ(flags.shutdown, auto_shutdown::any_significant);
  EXPECT_EQ(flags.backoff.min, 10ms);
  EXPECT_EQ(flags.backoff.max, 20ms);
  EXPECT_DOUBLE_EQ(flags.backoff.jitter, 0.5);
  EXPECT_EQ(flags.backoff.reset_after, 1000ms);
  auto& a = c.supervisor.children.at(0);
  EXPECT_EQ(a.restart, restart_type::temporary);
  EXPECT_TRUE(a.significant);
  EXPECT_EQ(a.shutdown, shutdown_infinity);
  EXPECT_FALSE(a.enabled);
  ASSERT_TRUE(a.backoff);
  EXPECT_EQ(a.backoff->min, 100ms); // a present backoff group defaults to 100 ms .. 30 s
  EXPECT_EQ(a.backoff->max, 500ms);
  auto& s = c.children.at("root/a").schedules.at(0);
  EXPECT_EQ(s.tick, "tick");
  EXPECT_EQ(s.cron, "*/5 * * * *");
  EXPECT_EQ(s.timezone, "Europe/Berlin");
  EXPECT_EQ(s.at_start, at_start_mode::once);
  EXPECT_EQ(s.catch_up, catch_up_mode::one);
  EXPECT_EQ(s.overlap, overlap_mode::queue);
  EXPECT_EQ(s.jitter, 2000ms);
  EXPECT_EQ(s.setting, "supervisor.children.a.schedule");
}

TEST(config_load, params_become_json) {
  auto text = R"(supervisor = { children = ( { name = "p"; type = "worker";
    params = { n = 1; big = 5000000000L; f = 0.25; on = true; s = "x";
               arr = [ 1, 2 ]; list = ( "a", { k = "v"; } ); g = { inner = [ ]; }; }; } ); };)";
  test_types t;
  load_options opts;
  opts.types = &t.types;
  auto r = load_text(text, "p.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto expected =
      nlohmann::json::parse(R"({"n": 1, "big": 5000000000, "f": 0.25, "on": true,
    "s": "x", "arr": [1, 2], "list": ["a", {"k": "v"}], "g": {"inner": []}})");
  EXPECT_EQ(r.config->config.supervisor.children.at(0).params, expected);
}

TEST(config_load, interpolates_environment_variables) {
  auto text = R"(
    program = "${APP}";
    node = "${HOSTNAME:-localhost}-${EMPTY:-e}-${EMPTY}-x";
    log = { file = "${LOGDIR:-${HOME}/log}/w.log"; };
    control = { port = "${PORT}"; };
    rabbitmq = { confirm = "${CONFIRM}"; url = "amqp://${RMQ_HOST:-127.0.0.1}:5672"; };
  )";
  load_options opts;
  opts.env = fake_env({{"APP", "demo"},
                       {"EMPTY", ""},
                       {"HOME", "/home/w"},
                       {"PORT", "8080"},
                       {"CONFIRM", "false"}});
  auto r = load_text(text, "env.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  EXPECT_EQ(c.program, "demo");
  EXPECT_EQ(c.node, "localhost-e--x"); // unset or empty: the default
  EXPECT_EQ(c.log.file, "/home/w/log/w.log");
  EXPECT_EQ(c.control.port, 8080); // an interpolated string reads as a number
  EXPECT_FALSE(c.rabbitmq.confirm);
  EXPECT_EQ(c.rabbitmq.url, "amqp://127.0.0.1:5672");
}

TEST(config_load, dollar_escapes_and_lone_dollars) {
  load_options opts;
  opts.env = fake_env({{"X", "y"}});
  auto r = load_text(R"(program = "$$X costs $5 $${X} ${X}$";)", "d.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  EXPECT_EQ(r.config->config.program, "$X costs $5 ${X} y$");
}

TEST(config_load, references_to_other_settings) {
  auto text = R"(
    program = "shop";
    node = "${.program}-${paths.host}";
    paths = { host = "h1"; base = "/srv/${.program}"; out = "${paths.base}/out"; };
    control = { port = "${ports.control}"; };
    ports = { control = 9100; };
    log = { file = "${paths.out}/${missing.key:-default}.log"; };
  )";
  // Unknown top-level sections are errors; references may point anywhere,
  // so this test drops the helper sections by overriding them away.
  load_options opts;
  opts.env = fake_env({});
  auto r = load_text(text, "ref.cfg", opts);
  ASSERT_EQ(r.errors.size(), 2u) << errors_of(r);
  EXPECT_EQ(to_string(r.errors[0]), "ref.cfg:4: paths: unknown setting 'paths'");
  EXPECT_EQ(to_string(r.errors[1]), "ref.cfg:6: ports: unknown setting 'ports'");
  // The same references inside known sections load.
  auto good = R"(
    program = "shop";
    node = "${.program}-${log.levels.host}";
    log = { levels = { host = "info"; }; file = "/srv/${.program}/${rabbitmq.exchange}.log"; };
    rabbitmq = { exchange = "${.program}-x"; heartbeat_s = "${control.port}"; };
    control = { port = 9100; };
    threads = "${nothing.here:-2}";
  )";
  r = load_text(good, "ref.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  EXPECT_EQ(c.node, "shop-info");
  EXPECT_EQ(c.log.file, "/srv/shop/shop-x.log");
  EXPECT_EQ(c.rabbitmq.heartbeat, 9100s);
  EXPECT_EQ(c.threads, 2u); // the default of a missing reference, read as a number
  // A value that is exactly one reference to a number takes the number's type.
  auto hb = lookup(r.config->settings, "rabbitmq.heartbeat_s");
  ASSERT_NE(hb, nullptr);
  EXPECT_EQ(hb->type, config_value::kind::integer);
}

TEST(config_load, secrets_from_files_relative_to_the_config_file) {
  temp_dir dir;
  dir.write("vault/db_password", "pa$$word\r\n\n");
  auto path = dir.write("etc/warden.cfg", R"(
    secrets = { dir = "../vault"; };
    control = { token = "${secret:db_password}"; };
    rabbitmq = { url = "amqp://app:${secret:db_password}@mq:5672"; };
    supervisor = { children = ( { name = "db"; type = "worker";
      params = { user = "app"; password = "${secret:db_password}"; nested = { pw = "${control.token}"; }; }; } ); };
  )");
  test_types t;
  load_options opts;
  opts.types = &t.types;
  opts.env = fake_env({});
  auto r = load_file(path, opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  EXPECT_EQ(c.base_dir, (dir.path() / "etc").string());
  EXPECT_EQ(c.control.token, "pa$$word"); // secret text is not interpolated again
  EXPECT_EQ(c.rabbitmq.url, "amqp://app:pa$$word@mq:5672");
  auto& db = c.children.at("root/db");
  EXPECT_EQ(db.secret_params, (std::vector<std::string>{"/password", "/nested/pw"}));
  EXPECT_EQ(c.secret_settings,
            (std::set<std::string>{"control.token", "rabbitmq.url",
                                   "supervisor.children.db.params.password",
                                   "supervisor.children.db.params.nested.pw"}));
  auto& params = c.supervisor.children.at(0).params;
  EXPECT_EQ(params["password"], "pa$$word");
  EXPECT_EQ(redact(params, db.secret_params),
            (nlohmann::json{
                {"user", "app"}, {"password", "***"}, {"nested", {{"pw", "***"}}}}));
}

TEST(config_load, a_secret_that_is_not_a_file_is_an_error) {
  temp_dir dir;
  fs::create_directories(dir.path() / "secrets/token");
  auto path = dir.write("w.cfg", "control = { token = \"${secret:token}\"; };\n");
  load_options opts;
  opts.env = fake_env({{"WARDEN_SECRET_TOKEN", "not used: the file exists"}});
  auto r = load_file(path, opts);
  EXPECT_EQ(errors_of(r),
            path + ":1: control.token: cannot read secret file 'secrets/token': "
                   "not a regular file\n");
}

TEST(config_load, interpolates_inside_lists_arrays_and_params) {
  test_types t;
  load_options opts;
  opts.types = &t.types;
  opts.env = fake_env({{"BIN", "/opt/bin"}, {"DEP", "a"}});
  auto r = load_text(R"(supervisor = { children = (
    { name = "a"; type = "worker"; },
    { name = "p"; type = "process"; command = [ "${BIN}/tool", "--x" ]; depends_on = [ "${DEP}" ];
      params = { list = ( "${BIN}", 1 ); }; } ); };)",
                     "l.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& p = r.config->config.supervisor.children.at(1);
  EXPECT_EQ(p.depends_on, std::vector<std::string>{"a"});
  EXPECT_EQ(p.params, nlohmann::json::parse(R"({"list": ["/opt/bin", 1]})"));
  EXPECT_EQ(t.made.at(0)["command"],
            nlohmann::json::parse(R"(["/opt/bin/tool", "--x"])"));
}

TEST(config_load, secrets_from_the_environment) {
  load_options opts;
  opts.base_dir = "/nonexistent-warden-dir";
  opts.env = fake_env({{"WARDEN_SECRET_CONTROL_TOKEN", "from-env"},
                       {"WARDEN_SECRET_mixed-Case", "exact"}});
  auto r = load_text(R"(control = { token = "${secret:control_token}"; };
                       program = "p-${secret:mixed-Case}";)",
                     "-", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  EXPECT_EQ(r.config->config.control.token, "from-env");
  EXPECT_EQ(r.config->config.program, "p-exact");
  EXPECT_EQ(get(*r.config, "program"), "***");
}

TEST(config_load, dump_and_get_redact_secrets) {
  load_options opts;
  opts.env = fake_env({{"WARDEN_SECRET_TOKEN", "hunter2"}, {"USER", "ann"}});
  auto text = R"(program = "p$$1";
control = { token = "${secret:token}"; port = 4712; };
supervisor = { intensity = 3; children = (
  { name = "a"; type = "supervisor"; children = ( ); },
  { name = "b"; type = "supervisor"; depends_on = [ "a" ]; backoff = { jitter = 0.1; }; } ); };
log = { levels = { supervisor = "warn"; }; file = "/home/${USER}/w.log"; };
)";
  auto r = load_text(text, "dump.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto out = dump(*r.config);
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
  EXPECT_EQ(out, R"(program = "p$$1";
control = {
  token = "***";
  port = 4712;
  listen = "127.0.0.1";
};
supervisor = {
  intensity = 3;
  children = (
    {
      name = "a";
      type = "supervisor";
      children = ( );
    },
    {
      name = "b";
      type = "supervisor";
      depends_on = [ "a" ];
      backoff = {
        jitter = 0.1;
      };
    }
  );
  strategy = "one_for_one";
  period_s = 5;
  auto_shutdown = "never";
};
log = {
  levels = {
    supervisor = "warn";
  };
  file = "/home/ann/w.log";
  level = "info";
  max_size_mb = 10;
  max_files = 5;
};
node = "localhost";
secrets = {
  dir = "secrets";
};
config_check_s = 5;
threads = 0;
)");
  EXPECT_EQ(get(*r.config, "control.token"), "***");
  EXPECT_EQ(get(*r.config, "control"),
            "{\n  token = \"***\";\n  port = 4712;\n  listen = \"127.0.0.1\";\n}");
  EXPECT_EQ(get(*r.config, "program"), "p$1");
  EXPECT_EQ(get(*r.config, "supervisor.children.b.depends_on"), "[ \"a\" ]");
  EXPECT_EQ(get(*r.config, "supervisor.children[1].backoff.jitter"), "0.1");
  EXPECT_EQ(get(*r.config, "supervisor.children.1.name"), "b");
  EXPECT_EQ(get(*r.config, "supervisor.intensity"), "3");
  EXPECT_EQ(get(*r.config, "nope"), std::nullopt);
  EXPECT_EQ(get(*r.config, "supervisor.children.zz"), std::nullopt);
  // The dump loads again to the same settings.
  auto again = load_text(out, "dump2.cfg", opts);
  ASSERT_TRUE(again.ok()) << errors_of(again);
  EXPECT_EQ(again.config->config.program, "p$1");
  EXPECT_EQ(dump(*again.config), out);
}

TEST(config_load, overrides_apply_before_validation) {
  test_types t;
  load_options opts;
  opts.types = &t.types;
  opts.env = fake_env({{"LEVEL", "trace"}});
  opts.overrides = {"log.level=warn",
                    "control.port=5000",
                    "program=\"quoted name\"",
                    "node=bare words",
                    "rabbitmq.url=amqp://mq:5672",
                    "supervisor.children.a.enabled=false",
                    "supervisor.children[1].params.n=7",
                    "supervisor.intensity=0x10",
                    "log.levels.gateway=${LEVEL}",
                    "threads=3"};
  auto r = load_text(R"(log = { level = "info"; };
supervisor = { children = ( { name = "a"; type = "worker"; }, { name = "b"; type = "worker"; } ); };)",
                     "o.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto& c = r.config->config;
  EXPECT_EQ(c.log.level, "warn");
  EXPECT_EQ(c.control.port, 5000);
  EXPECT_EQ(c.program, "quoted name");
  EXPECT_EQ(c.node, "bare words");
  EXPECT_TRUE(c.rabbitmq.enabled); // the section was created by the override
  EXPECT_EQ(c.rabbitmq.url, "amqp://mq:5672");
  EXPECT_FALSE(c.supervisor.children[0].enabled);
  EXPECT_EQ(c.supervisor.children[1].params, (nlohmann::json{{"n", 7}}));
  EXPECT_EQ(c.supervisor.flags.intensity, 16u);
  EXPECT_EQ(c.log.levels.at("gateway"), "trace");
  EXPECT_EQ(c.threads, 3u);
}

TEST(config_load, bad_overrides_are_errors) {
  load_options opts;
  opts.overrides = {"log.level",
                    "control.port=70000",
                    "supervisor.children.x.enabled=true",
                    "program.sub=1",
                    "a..b=1",
                    "log.level=\"unterminated"};
  auto r = load_text("program = \"p\";", "o.cfg", opts);
  EXPECT_EQ(
      errors_of(r),
      "--set: log.level: expected KEY=VALUE\n"
      "--set: program.sub: 'program' is not a group\n"
      "--set: a..b: empty step in path 'a..b'\n"
      "--set: log.level: cannot read \"unterminated as a value: syntax error\n"
      "--set: control.port: must be between 1 and 65535\n"
      // Missing groups on the way are created, so this makes `children` a group.
      "--set: supervisor.children: must be a list ( { name = ...; type = ...; }, ... ), "
      "not a group\n");
}

// Found by fuzz/config_fuzz: an override could add a setting under any name,
// e.g. a params key that is not UTF-8, which nlohmann::json then refused to
// write out on a reload.
TEST(config_load, overrides_add_only_setting_names) {
  load_options opts;
  opts.overrides = {"control.p\xb5rt=1", "9lives=1", "log.level=\"warn\""};
  auto r = load_text("program = \"p\";", "o.cfg", opts);
  EXPECT_EQ(
      errors_of(r),
      "--set: control.p\xb5rt: 'control.p\xb5rt' is not a setting name (a letter or "
      "'*', then letters, digits, '-', '_' or '*')\n"
      "--set: 9lives: '9lives' is not a setting name (a letter or '*', then letters, "
      "digits, '-', '_' or '*')\n");
}

// Found by fuzz/config_fuzz: a path step of more than 19 digits made
// std::stoull throw out of load_text (and out of `config get`).
TEST(config_load, path_indexes_beyond_nine_digits_are_errors) {
  load_options opts;
  opts.env = fake_env({});
  opts.overrides = {"supervisor.children.12345678901234567890123.name=\"x\""};
  auto r =
      load_text("program = \"${supervisor.99999999999999999999999}\";", "i.cfg", opts);
  EXPECT_EQ(
      errors_of(r),
      "i.cfg:1: program: bad reference '${supervisor.99999999999999999999999}': bad "
      "index '99999999999999999999999' in path "
      "'supervisor.99999999999999999999999'\n"
      "--set: supervisor.children.12345678901234567890123.name: bad index "
      "'12345678901234567890123' in path "
      "'supervisor.children.12345678901234567890123.name'\n");
  auto ok = load_text("program = \"p\";", "i.cfg", load_options{});
  ASSERT_TRUE(ok.ok()) << errors_of(ok);
  EXPECT_EQ(get(*ok.config, "supervisor.children.99999999999999999999"), std::nullopt);
}

// Found by fuzz/config_fuzz: `port = "${PORT}"` dumped as `port = "8080";`,
// which does not load again.
TEST(config_load, dump_of_interpolated_numbers_loads_again) {
  load_options opts;
  opts.env = fake_env({{"PORT", "8080"}, {"ON", "false"}, {"J", "0.5"}});
  auto r = load_text(
      "control = { port = \"${PORT}\"; };\nrabbitmq = { confirm = \"${ON}\"; };\n"
      "supervisor = { backoff = { jitter = \"${J}\"; }; };",
      "n.cfg", opts);
  ASSERT_TRUE(r.ok()) << errors_of(r);
  auto text = dump(*r.config);
  EXPECT_NE(text.find("port = 8080;"), std::string::npos) << text;
  EXPECT_NE(text.find("confirm = false;"), std::string::npos) << text;
  EXPECT_NE(text.find("jitter = 0.5;"), std::string::npos) << text;
  auto again = load_text(text, "dumped.cfg", load_options{});
  ASSERT_TRUE(again.ok()) << errors_of(again) << text;
  EXPECT_EQ(dump(*again.config), text);
  EXPECT_EQ(again.config->config.control.port, 8080);
}

TEST(config_load, interpolated_values_are_typed_where_needed) {
  load_options opts;
  opts.env = fake_env({{"N", "abc"}});
  auto r = load_text("control = { port = \"${N}\"; };", "t.cfg", opts);
  EXPECT_EQ(errors_of(r), "t.cfg:1: control.port: must be an integer, not 'abc'\n");
}

TEST(config_load, lookup_order) {
  temp_dir dir;
  std::vector<std::string> candidates = {(dir.path() / "warden.cfg").string(),
                                         (dir.path() / "etc/warden.cfg").string(),
                                         (dir.path() / "global/warden.cfg").string()};
  EXPECT_EQ(find_config_file(candidates), std::nullopt);
  dir.write("global/warden.cfg", "");
  EXPECT_EQ(find_config_file(candidates), candidates[2]);
  dir.write("etc/warden.cfg", "");
  EXPECT_EQ(find_config_file(candidates), candidates[1]);
  fs::create_directories(dir.path() / "warden.cfg"); // a directory does not count
  EXPECT_EQ(find_config_file(candidates), candidates[1]);
  fs::remove(dir.path() / "warden.cfg");
  dir.write("warden.cfg", "");
  EXPECT_EQ(find_config_file(candidates), candidates[0]);
  EXPECT_EQ(default_config_candidates(),
            (std::vector<std::string>{"./warden.cfg", "./etc/warden.cfg",
                                      "/etc/warden/warden.cfg"}));
}

TEST(config_load, unreadable_file) {
  auto r = load_file("/nonexistent-warden-dir/warden.cfg", {});
  EXPECT_EQ(errors_of(r),
            "/nonexistent-warden-dir/warden.cfg: cannot read: No such file or "
            "directory\n");
  EXPECT_FALSE(r.config);
  temp_dir dir;
  r = load_file(dir.path().string(), {});
  EXPECT_EQ(errors_of(r), dir.path().string() + ": cannot read: Is a directory\n");
}

// Found by fuzz/config_fuzz: libconfig 1.5 calls exit(2) ("input in flex
// scanner failed") when an @include names a directory, so `warden check`
// exited 2 and a running warden died on reloading such a file.
TEST(config_load, an_include_of_a_directory_is_an_error) {
  temp_dir dir;
  fs::create_directories(dir.path() / "conf.d");
  dir.write("more.cfg", "# more\n  @include \"conf.d\"\n");
  auto path = dir.write("main.cfg", "program = \"p\";\n@include \"conf.d/\"\n");
  auto r = load_file(path, {});
  EXPECT_EQ(errors_of(r), path + ":2: cannot include 'conf.d/': not a regular file\n");
  // Not in comments or strings (which may span lines); in included files too.
  path = dir.write("nested.cfg",
                   "/* @include \"conf.d\" */ program = \"a\n@include \\\"conf.d\\\"\";\n"
                   "@include \"more.cfg\"\n");
  r = load_file(path, {});
  EXPECT_EQ(errors_of(r), (dir.path() / "more.cfg").string() +
                              ":2: cannot include 'conf.d': not a regular file\n");
}

TEST(config_load, includes_name_their_own_file) {
  temp_dir dir;
  dir.write("more.cfg", "log = { level = \"loud\"; };\n");
  auto path = dir.write("main.cfg", "program = \"p\";\n@include \"more.cfg\"\n");
  auto r = load_file(path, {});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, (dir.path() / "more.cfg").string());
  EXPECT_EQ(r.errors[0].line, 1u);
  EXPECT_EQ(r.errors[0].message,
            "unknown log level 'loud' (expected trace, debug, info, warn, "
            "error, critical or off)");
}

} // namespace
} // namespace warden
