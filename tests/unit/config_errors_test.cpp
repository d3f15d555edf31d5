// Malformed configs, each with the exact errors `warden check` prints:
// `FILE:LINE: setting: message`, every error at once.

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "warden/config/load.hpp"

namespace warden {
namespace {

child_factory dummy_factory() {
  return [](caf::local_actor&, service_init) { return caf::actor{}; };
}

service_types make_types() {
  service_types types;
  types.add("worker", dummy_factory());
  types.add("dir_watcher", dummy_factory());
  types.add("process", service_type{[](const nlohmann::json&) { return dummy_factory(); },
                                    {"command", "stdin", "port"}});
  types.add("strict", service_type{[](const nlohmann::json& settings) {
                                     if (!settings.contains("command"))
                                       throw std::invalid_argument("command is required");
                                     return dummy_factory();
                                   },
                                   {"command"}});
  return types;
}

struct bad_config {
  const char* name;
  const char* text;
  std::vector<std::string> errors;
};

// Wraps child definitions into a supervisor section starting on line 1.
#define CHILDREN(...) "supervisor = { children = (\n" __VA_ARGS__ "\n); };"

// clang-format off
const bad_config cases[] = {
  // -- syntax (libconfig) ---------------------------------------------------
  {"syntax_error", "program = \"x\";\nlog = { level = ; };\n",
   {"bad.cfg:2: syntax error"}},
  {"duplicate_setting", "program = \"a\";\nprogram = \"b\";\n",
   {"bad.cfg:2: duplicate setting name"}},
  {"unterminated_group", "log = {\n  level = \"info\";\n",
   {"bad.cfg:3: syntax error"}},
  {"integer_wraps", "rabbitmq = {\n  heartbeat_s = 4294967297;\n};",
   {"bad.cfg:2: integer 4294967297 is out of range (64-bit integers need an L suffix)"}},
  // -- types ---------------------------------------------------------------
  {"program_not_a_string", "program = 5;", {"bad.cfg:1: program: must be a string, not an integer"}},
  {"intensity_not_an_integer", "supervisor = {\n  intensity = \"five\";\n};",
   {"bad.cfg:2: supervisor.intensity: must be an integer, not a string"}},
  {"section_not_a_group", "log = \"debug\";",
   {"bad.cfg:1: log: must be a group { ... }, not a string"}},
  {"confirm_not_a_boolean", "rabbitmq = { confirm = 1; };",
   {"bad.cfg:1: rabbitmq.confirm: must be true or false, not an integer"}},
  {"empty_program", "program = \"\";", {"bad.cfg:1: program: must not be empty"}},
  // -- unknown keys ----------------------------------------------------------
  {"unknown_top_level_key", "program = \"p\";\nsuprevisor = { };",
   {"bad.cfg:2: suprevisor: unknown setting 'suprevisor' (did you mean 'supervisor'?)"}},
  {"unknown_key_in_section", "log = {\n  levle = \"info\";\n};",
   {"bad.cfg:2: log.levle: unknown setting 'levle' (did you mean 'level'?)"}},
  {"unknown_key_without_suggestion", "colour = \"red\";",
   {"bad.cfg:1: colour: unknown setting 'colour'"}},
  {"unknown_key_in_child",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n    restrat = \"permanent\"; }"),
   {"bad.cfg:3: supervisor.children.a.restrat: unknown setting 'restrat' (did you mean "
    "'restart'?)"}},
  {"unknown_key_in_schedule",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n    schedule = ( { every = \"1s\"; tik = \"t\"; } ); }"),
   {"bad.cfg:3: supervisor.children.a.schedule[0].tik: unknown setting 'tik' (did you mean "
    "'tick'?)"}},
  {"supervisor_key_on_a_worker",
   CHILDREN("  { name = \"a\"; type = \"worker\"; strategy = \"one_for_all\"; }"),
   {"bad.cfg:2: supervisor.children.a.strategy: 'strategy' applies only to type "
    "\"supervisor\""}},
  {"worker_key_on_a_supervisor",
   CHILDREN("  { name = \"s\"; type = \"supervisor\";\n    params = { x = 1; }; }"),
   {"bad.cfg:3: supervisor.children.s.params: 'params' does not apply to type "
    "\"supervisor\""}},
  // -- interpolation ----------------------------------------------------------
  {"missing_env_var", "program = \"p\";\nnode = \"${NODE_NAME}\";",
   {"bad.cfg:2: node: environment variable 'NODE_NAME' is not set"}},
  {"missing_secret", "control = {\n  token = \"${secret:control_token}\";\n};",
   {"bad.cfg:2: control.token: secret 'control_token' not found: no file "
    "'secrets/control_token' and WARDEN_SECRET_CONTROL_TOKEN is not set"}},
  {"reference_cycle", "log = {\n  file = \"${log.level}\";\n  level = \"${log.file}\";\n};",
   {"bad.cfg:2: log.file: reference cycle: log.file -> log.level -> log.file"}},
  {"self_reference", "node = \"x\";\nprogram = \"${.program}\";",
   {"bad.cfg:2: program: reference cycle: program -> program"}},
  {"reference_to_missing_setting", "node = \"${log.nothing}\";",
   {"bad.cfg:1: node: reference to missing setting 'log.nothing'"}},
  {"reference_to_a_group", "log = { levels = { a = \"info\"; }; };\nnode = \"${log.levels}\";",
   {"bad.cfg:2: node: '${log.levels}' refers to a group; only a string, number or boolean "
    "can be referenced"}},
  {"unterminated_interpolation", "node = \"${HOST\";",
   {"bad.cfg:1: node: unterminated '${' in '${HOST'"}},
  {"bad_variable_name", "node = \"${my host}\";",
   {"bad.cfg:1: node: bad variable name 'my host' (letters, digits and '_'; a setting path "
    "needs a dot)"}},
  {"secret_in_secrets_dir", "secrets = {\n  dir = \"${secret:where}\";\n};",
   {"bad.cfg:2: secrets.dir: secrets.dir cannot use '${secret:...}'"}},
  {"failure_is_reported_once",
   "node = \"${MISSING}\";\nprogram = \"${.node}\";\ncontrol = { port = \"${.node}\"; };",
   {"bad.cfg:1: node: environment variable 'MISSING' is not set"}},
  {"secret_values_are_redacted_in_errors", "log = { level = \"${secret:lvl}\"; };",
   {"bad.cfg:1: log.level: unknown log level '***' (expected trace, debug, info, warn, error, "
    "critical or off)"}},
  // -- ranges and names --------------------------------------------------------
  {"negative_intensity", "supervisor = { intensity = -1; };",
   {"bad.cfg:1: supervisor.intensity: must not be negative"}},
  {"zero_period", "supervisor = { period_s = 0; };",
   {"bad.cfg:1: supervisor.period_s: must be positive"}},
  {"port_zero", "control = { port = 0; };",
   {"bad.cfg:1: control.port: must be between 1 and 65535"}},
  {"port_too_large", "control = {\n  port = 70000;\n};",
   {"bad.cfg:2: control.port: must be between 1 and 65535"}},
  {"config_check_zero", "config_check_s = 0;",
   {"bad.cfg:1: config_check_s: must be positive"}},
  {"bad_strategy_close", "supervisor = { strategy = \"one_for_al\"; };",
   {"bad.cfg:1: supervisor.strategy: unknown strategy 'one_for_al' (did you mean "
    "'one_for_all'?)"}},
  {"bad_strategy_far", "supervisor = { strategy = \"round_robin\"; };",
   {"bad.cfg:1: supervisor.strategy: unknown strategy 'round_robin' (expected one_for_one, "
    "one_for_all or rest_for_one)"}},
  {"bad_restart", CHILDREN("  { name = \"a\"; type = \"worker\"; restart = \"always\"; }"),
   {"bad.cfg:2: supervisor.children.a.restart: unknown restart type 'always' (expected "
    "permanent, transient or temporary)"}},
  {"bad_log_level", "log = { levels = { supervisor = \"wrn\"; }; };",
   {"bad.cfg:1: log.levels.supervisor: unknown log level 'wrn' (did you mean 'warn'?)"}},
  {"non_loopback_without_token", "control = {\n  listen = \"0.0.0.0\";\n};",
   {"bad.cfg:2: control.listen: non-loopback address '0.0.0.0' requires a control.token"}},
  {"tls_cert_without_key", "control = { tls_cert = \"c.pem\"; };",
   {"bad.cfg:1: control: tls_cert and tls_key must be set together"}},
  {"bad_amqp_url", "rabbitmq = { url = \"http://mq\"; };",
   {"bad.cfg:1: rabbitmq.url: must start with amqp:// or amqps://"}},
  {"negative_shutdown", CHILDREN("  { name = \"a\"; type = \"worker\"; shutdown_ms = -5; }"),
   {"bad.cfg:2: supervisor.children.a.shutdown_ms: must not be negative"}},
  {"bad_shutdown_text", CHILDREN("  { name = \"a\"; type = \"worker\"; shutdown_ms = \"never\"; }"),
   {"bad.cfg:2: supervisor.children.a.shutdown_ms: must be a number of milliseconds or "
    "\"infinity\""}},
  {"backoff_min_above_max",
   "supervisor = {\n  backoff = { min_ms = 500; max_ms = 100; };\n};",
   {"bad.cfg:2: supervisor.backoff: min_ms (500) exceeds max_ms (100)"}},
  {"backoff_jitter_out_of_range",
   CHILDREN("  { name = \"a\"; type = \"worker\"; backoff = { jitter = 1.5; }; }"),
   {"bad.cfg:2: supervisor.children.a.backoff.jitter: must be between 0 and 1"}},
  // -- children ----------------------------------------------------------------
  {"children_not_a_list", "supervisor = { children = { }; };",
   {"bad.cfg:1: supervisor.children: must be a list ( { name = ...; type = ...; }, ... ), "
    "not a group"}},
  {"child_not_a_group", CHILDREN("  \"a\""),
   {"bad.cfg:2: supervisor.children[0]: must be a group { name = ...; type = ...; }, not a "
    "string"}},
  {"missing_name_and_type", CHILDREN("  { restart = \"transient\"; }"),
   {"bad.cfg:2: supervisor.children[0]: missing setting 'name'",
    "bad.cfg:2: supervisor.children[0]: missing setting 'type'"}},
  {"bad_child_name", CHILDREN("  { name = \"a/b\"; type = \"worker\"; }"),
   {"bad.cfg:2: supervisor.children[0].name: child name 'a/b' may only contain letters, "
    "digits, '_' and '-'"}},
  {"duplicate_child_names",
   CHILDREN("  { name = \"a\"; type = \"worker\"; },\n  { name = \"a\"; type = \"worker\"; }"),
   {"bad.cfg:3: supervisor.children[1].name: duplicate child name 'a' (first at line 2)"}},
  {"unknown_service_type_close", CHILDREN("  { name = \"w\"; type = \"dir_wacher\"; }"),
   {"bad.cfg:2: supervisor.children.w.type: unknown service type 'dir_wacher' (did you mean "
    "'dir_watcher'?)"}},
  {"unknown_service_type_far", CHILDREN("  { name = \"w\"; type = \"xyz\"; path = \"/\"; }"),
   {"bad.cfg:2: supervisor.children.w.type: unknown service type 'xyz' (known: dir_watcher, "
    "process, strict, supervisor or worker)"}},
  {"type_rejects_its_settings", CHILDREN("  { name = \"s\"; type = \"strict\"; }"),
   {"bad.cfg:2: supervisor.children.s: service type 'strict' rejected its settings: command "
    "is required"}},
  {"params_not_a_group", CHILDREN("  { name = \"a\"; type = \"worker\"; params = [ 1 ]; }"),
   {"bad.cfg:2: supervisor.children.a.params: must be a group { ... }, not an array"}},
  {"depends_on_missing_sibling",
   CHILDREN("  { name = \"watcher\"; type = \"worker\"; },\n"
            "  { name = \"b\"; type = \"worker\"; depends_on = [ \"wather\" ]; }"),
   {"bad.cfg:3: supervisor.children.b.depends_on: depends_on names 'wather', which is not a "
    "sibling (did you mean 'watcher'?)"}},
  {"depends_on_itself", CHILDREN("  { name = \"a\"; type = \"worker\"; depends_on = [ \"a\" ]; }"),
   {"bad.cfg:2: supervisor.children.a.depends_on: child depends on itself"}},
  {"dependency_cycle",
   CHILDREN("  { name = \"a\"; type = \"worker\"; depends_on = [ \"c\" ]; },\n"
            "  { name = \"b\"; type = \"worker\"; depends_on = [ \"a\" ]; },\n"
            "  { name = \"c\"; type = \"worker\"; depends_on = [ \"b\" ]; }"),
   {"bad.cfg:2: supervisor.children.a.depends_on: depends_on forms a cycle: a -> c -> b -> "
    "a"}},
  {"depends_on_not_an_array",
   CHILDREN("  { name = \"a\"; type = \"worker\"; depends_on = \"b\"; }"),
   {"bad.cfg:2: supervisor.children.a.depends_on: must be an array of sibling names [ \"a\", "
    "... ], not a string"}},
  {"permanent_significant",
   "supervisor = { auto_shutdown = \"any_significant\"; children = (\n"
   "  { name = \"a\"; type = \"worker\"; significant = true; } ); };",
   {"bad.cfg:2: supervisor.children.a.significant: a permanent child cannot be significant"}},
  {"significant_without_auto_shutdown",
   CHILDREN("  { name = \"a\"; type = \"worker\"; restart = \"transient\"; significant = true; }"),
   {"bad.cfg:2: supervisor.children.a.significant: significant child under a supervisor with "
    "auto_shutdown never"}},
  {"errors_in_nested_supervisors",
   CHILDREN("  { name = \"outer\"; type = \"supervisor\"; intensity = -2; children = (\n"
            "    { name = \"inner\"; type = \"worker\"; restart = \"sometimes\"; } ); }"),
   {"bad.cfg:2: supervisor.children.outer.intensity: must not be negative",
    "bad.cfg:3: supervisor.children.outer.children.inner.restart: unknown restart type "
    "'sometimes' (expected permanent, transient or temporary)"}},
  // -- schedules ---------------------------------------------------------------
  {"bad_duration", CHILDREN("  { name = \"a\"; type = \"worker\";\n"
                            "    schedule = ( { every = \"5x\"; tick = \"t\"; } ); }"),
   {"bad.cfg:3: supervisor.children.a.schedule[0].every: bad duration \"5x\": a unit (ms, s, "
    "m, h, d) must follow each number"}},
  {"duration_without_unit",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"5\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.every: bad duration \"5\": a unit (ms, s, m, h, "
    "d) must follow each number"}},
  {"duration_as_a_number",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = 5000; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.every: must be a duration such as \"5s\", not "
    "an integer"}},
  {"zero_interval", CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"0s\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.every: must be positive"}},
  {"every_and_cron",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = ( { every = \"1s\"; cron = \"* * * * *\"; } ); }"),
   {"bad.cfg:3: supervisor.children.a.schedule[0]: takes either 'every' or 'cron', not both"}},
  {"neither_every_nor_cron",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = ( { tick = \"t\"; } ); }"),
   {"bad.cfg:2: supervisor.children.a.schedule[0]: needs 'every' or 'cron'"}},
  {"bad_at_start",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { every = \"1s\"; at_start = \"twice\"; }; }"),
   {"bad.cfg:3: supervisor.children.a.schedule.at_start: unknown at_start 'twice' (expected "
    "none, always or once)"}},
  {"timezone_without_cron",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { every = \"1s\"; timezone = \"UTC\"; }; }"),
   {"bad.cfg:3: supervisor.children.a.schedule.timezone: applies only to 'cron'"}},
  {"bad_jitter",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"1s\"; jitter = \"-1s\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.jitter: bad duration \"-1s\": expected a number "
    "at '-1s'"}},
  {"cron_out_of_range",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = ( { cron = \"0 25 * * *\"; tick = \"nightly\"; } ); }"),
   {"bad.cfg:3: supervisor.children.a.schedule[0].cron: cron \"0 25 * * *\": hour 25 out of "
    "range 0-23"}},
  {"cron_with_four_fields",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { cron = \"0 0 * *\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.cron: cron \"0 0 * *\": expected 5 fields "
    "(minute hour day-of-month month day-of-week), got 4"}},
  {"cron_unknown_macro",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { cron = \"@reboot\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.cron: cron \"@reboot\": unknown macro "
    "\"@reboot\" (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"}},
  {"cron_bad_name",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { cron = \"0 0 * * funday\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.cron: cron \"0 0 * * funday\": day-of-week "
    "\"funday\" is not a number or a name"}},
  {"cron_never_fires",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { cron = \"0 0 31 2 *\"; timezone = \"UTC\"; }; }"),
   {"bad.cfg:3: supervisor.children.a.schedule.cron: cron \"0 0 31 2 *\" never fires (no date "
    "matches it)"}},
  {"cron_not_a_string",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { cron = 5; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.cron: must be a string, not an integer"}},
  {"unknown_time_zone",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { cron = \"0 0 * * *\";\n"
            "                 timezone = \"Mars/Base\"; }; }"),
   {"bad.cfg:4: supervisor.children.a.schedule.timezone: unknown time zone \"Mars/Base\""}},
  {"misspelled_time_zone",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = ( { every = \"1m\"; },\n"
            "                 { cron = \"@daily\"; tick = \"d\"; timezone = \"Europe/Olso\"; } ); }"),
   {"bad.cfg:4: supervisor.children.a.schedule[1].timezone: unknown time zone "
    "\"Europe/Olso\""}},
  {"jitter_not_shorter_than_every",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { every = \"1s\";\n"
            "                 jitter = \"1s\"; }; }"),
   {"bad.cfg:4: supervisor.children.a.schedule.jitter: must be shorter than 'every' (1s)"}},
  {"jitter_without_unit",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"1m\"; jitter = \"2\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.jitter: bad duration \"2\": a unit (ms, s, m, "
    "h, d) must follow each number"}},
  {"fractional_every",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"1.5s\"; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.every: bad duration \"1.5s\": a unit (ms, s, "
    "m, h, d) must follow each number"}},
  {"at_start_not_a_choice",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"1s\"; at_start = 1; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.at_start: must be true, false, \"none\", "
    "\"always\" or \"once\", not an integer"}},
  {"bad_catch_up",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { cron = \"@hourly\"; catch_up = \"all\"; }; }"),
   {"bad.cfg:3: supervisor.children.a.schedule.catch_up: unknown catch_up 'all' (expected "
    "none or one)"}},
  {"bad_overlap",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    schedule = { every = \"1s\"; overlap = \"queu\"; }; }"),
   {"bad.cfg:3: supervisor.children.a.schedule.overlap: unknown overlap 'queu' (did you mean "
    "'queue'?)"}},
  {"overlap_not_a_string",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = { every = \"1s\"; overlap = true; }; }"),
   {"bad.cfg:2: supervisor.children.a.schedule.overlap: must be a string, not a boolean"}},
  {"duplicate_tick",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = (\n"
            "    { every = \"1s\"; tick = \"scan\"; },\n"
            "    { cron = \"@daily\"; tick = \"scan\"; } ); }"),
   {"bad.cfg:4: supervisor.children.a.schedule[1].tick: duplicate tick 'scan' (first at line "
    "3)"}},
  {"every_schedule_error_at_once",
   CHILDREN("  { name = \"a\"; type = \"worker\"; schedule = (\n"
            "    { cron = \"*/15 * * * 9\"; tick = \"q\"; },\n"
            "    { cron = \"@daily\"; tick = \"d\"; timezone = \"Nowhere/Town\"; },\n"
            "    { every = \"10s\"; jitter = \"1m\"; overlap = \"drop\"; } ); }"),
   {"bad.cfg:3: supervisor.children.a.schedule[0].cron: cron \"*/15 * * * 9\": day-of-week 9 "
    "out of range 0-7",
    "bad.cfg:4: supervisor.children.a.schedule[1].timezone: unknown time zone "
    "\"Nowhere/Town\"",
    "bad.cfg:5: supervisor.children.a.schedule[2].overlap: unknown overlap 'drop' (expected "
    "skip or queue)",
    "bad.cfg:5: supervisor.children.a.schedule[2].jitter: must be shorter than 'every' (10s)"}},
  // Found by fuzz/config_fuzz: params with bytes that are not UTF-8 loaded, and
  // a reload then threw from nlohmann::json::dump in the supervisor.
  {"params_not_utf8",
   CHILDREN("  { name = \"a\"; type = \"worker\";\n"
            "    params = { t = \"caf\\xe9\"; list = [ \"ok\", \"\\xc0\\xaf\" ]; }; }"),
   {"bad.cfg:3: supervisor.children.a.params.t: must be UTF-8 text",
    "bad.cfg:3: supervisor.children.a.params.list[1]: must be UTF-8 text"}},
  // Found by fuzz/config_fuzz: a secret named in depends_on was shown.
  {"secret_in_depends_on",
   CHILDREN("  { name = \"a\"; type = \"worker\"; depends_on = [ \"${secret:lvl}\" ]; }"),
   {"bad.cfg:2: supervisor.children.a.depends_on: depends_on names '***', which is not a "
    "sibling"}},
  // Found by fuzz/config_fuzz: a secret child name was shown in setting paths.
  {"secret_child_name",
   CHILDREN("  { name = \"${secret:lvl}\"; type = \"wroker\"; }"),
   {"bad.cfg:2: supervisor.children[0].name: a child name must not be secret",
    "bad.cfg:2: supervisor.children[0].type: unknown service type 'wroker' (did you mean "
    "'worker'?)"}},
  {"program_not_utf8",
   "program = \"\\xed\\xa0\\x80\"; # a surrogate\nnode = \"n\\xc3\\xa9\";",
   {"bad.cfg:1: program: must be UTF-8 text"}},
};
// clang-format on

class config_errors : public ::testing::TestWithParam<bad_config> {};

TEST_P(config_errors, reports_exactly) {
  auto types = make_types();
  load_options opts;
  opts.types = &types;
  opts.base_dir = "/nonexistent-warden-test-dir";
  opts.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "WARDEN_SECRET_LVL")
      return std::string{"loud"};
    return std::nullopt;
  };
  auto& c = GetParam();
  auto r = load_text(c.text, "bad.cfg", opts);
  std::vector<std::string> got;
  for (auto& e : r.errors)
    got.push_back(to_string(e));
  EXPECT_EQ(got, c.errors) << "config:\n" << c.text;
  EXPECT_FALSE(r.config);
}

INSTANTIATE_TEST_SUITE_P(table, config_errors, ::testing::ValuesIn(cases),
                         [](const auto& info) { return std::string{info.param.name}; });

TEST(config_errors_table, has_at_least_30_cases) {
  EXPECT_GE(std::size(cases), 30u);
}

TEST(config_errors_all_at_once, every_error_in_line_order) {
  auto types = make_types();
  load_options opts;
  opts.types = &types;
  opts.env = [](const std::string&) { return std::nullopt; };
  auto text = R"(program = 7;
log = { level = "lod"; };
control = { port = 0; listen = "10.0.0.1"; };
supervisor = {
  intensity = -1;
  strategy = "one_for_everyone";
  children = (
    { name = "a"; type = "worker"; depends_on = [ "b" ]; },
    { name = "b"; type = "worker"; depends_on = [ "a" ]; },
    { name = "a"; type = "wrker"; }
  );
};
node = "${UNSET}";
)";
  auto r = load_text(text, "many.cfg", opts);
  EXPECT_EQ(
      to_string(r.errors),
      "many.cfg:1: program: must be a string, not an integer\n"
      "many.cfg:2: log.level: unknown log level 'lod' (expected trace, debug, info, "
      "warn, "
      "error, critical or off)\n"
      "many.cfg:3: control.port: must be between 1 and 65535\n"
      "many.cfg:3: control.listen: non-loopback address '10.0.0.1' requires a "
      "control.token\n"
      "many.cfg:5: supervisor.intensity: must not be negative\n"
      "many.cfg:6: supervisor.strategy: unknown strategy 'one_for_everyone' (expected "
      "one_for_one, one_for_all or rest_for_one)\n"
      "many.cfg:8: supervisor.children[0].depends_on: depends_on forms a cycle: a -> b "
      "-> "
      "a\n"
      "many.cfg:10: supervisor.children[2].type: unknown service type 'wrker' (did you "
      "mean 'worker'?)\n"
      "many.cfg:10: supervisor.children[2].name: duplicate child name 'a' (first at line "
      "8)\n"
      "many.cfg:13: node: environment variable 'UNSET' is not set\n");
}

TEST(config_errors_format, to_string_leaves_out_what_is_missing) {
  EXPECT_EQ(to_string(config_error{"f.cfg", 3, "log.level", "bad"}),
            "f.cfg:3: log.level: bad");
  EXPECT_EQ(to_string(config_error{"f.cfg", 3, "", "syntax error"}),
            "f.cfg:3: syntax error");
  EXPECT_EQ(to_string(config_error{"--set", 0, "x", "bad"}), "--set: x: bad");
}

} // namespace
} // namespace warden
