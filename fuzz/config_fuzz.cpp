// libFuzzer target: config text through `warden::load_text`, the way `warden
// check` and `warden run` read a file: libconfig, `--set` overrides,
// interpolation (environment, secrets, setting references), validation
// against the built-in service types, then `dump` and `get`.
//
// Input: config text. Leading lines "#set KEY=VALUE" (comments to libconfig)
// are also given as `--set` overrides.
//
// Invariants (a violation traps):
// - load_text returns (no exception escapes), with a config iff no errors,
//   every error with a file and a message;
// - secret text (from a secrets file or WARDEN_SECRET_*) shows nowhere: not
//   in error messages, `dump`, `get`, nor in params after `redact`;
// - the params of every child dump as JSON (what a reload sends a service);
// - a config without secrets dumps to text that loads again, to the same dump.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "warden/config/dump.hpp"
#include "warden/config/load.hpp"
#include "warden/services/dir_watcher.hpp"
#include "warden/services/file_report.hpp"
#include "warden/services/health.hpp"
#include "warden/services/process.hpp"

// Debian's libconfig 1.5 leaks string buffers when a syntax error stops the
// parse (a few bytes per failed load, in strbuf_append and libconfig_yylex):
// not warden's to fix.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libconfig\n";
}

namespace {

using namespace warden;

// Secret values, letters and digits only (so that they could also pass as
// names); the fuzzer cannot get them into the output except through a leak.
constexpr std::string_view file_secret = "Zq7fileSecretXk9";
constexpr std::string_view pem_secret = "Pv2pemSecretWm4";
constexpr std::string_view env_secret = "Rt5envSecretJn8";

struct fixture {
  std::string dir = fuzz::temp_root();
  std::string secrets = dir + "/secrets";
  service_types types;
  std::map<std::string, std::string> env{
      {"HOME", "/home/fuzz"},
      {"NODE", "n1"},
      {"PORT", "4711"},
      {"NUM", "42"},
      {"NEG", "-7"},
      {"BIG", "99999999999"},
      {"FLT", "0.25"},
      {"YES", "true"},
      {"EMPTY", ""},
      {"DOLLAR", "$${HOME}"},
      {"CRON", "*/5 * * * *"},
      {"ZONE", "Europe/Oslo"},
      {"LIST", "[ 1, 2 ]"},
      {"SPACES", " a b "},
      {"WARDEN_SECRET_API", std::string{env_secret}},
      {"WARDEN_SECRET_DB_PASS", std::string{env_secret}},
  };

  fixture() {
    std::filesystem::create_directories(secrets);
    fuzz::write_file(secrets + "/token", std::string{file_secret} + "\n");
    fuzz::write_file(secrets + "/tls.pem", "-----BEGIN KEY-----\n" +
                                               std::string{pem_secret} +
                                               "\n-----END KEY-----\n\n");
    fuzz::write_file(dir + "/extra.cfg", "program = \"included\";\n");
    // warden's built-in types (`add_builtin_types` of warden::cli), with a
    // stand-in for `heartbeat`: only validation runs here, no service.
    types.add("heartbeat", child_factory{[](caf::local_actor&, service_init) {
                return caf::actor{};
              }});
    types.add("process", process_service_type());
    types.add<dir_watcher>("dir_watcher");
    types.add<health>("health");
    types.add<file_report>("file_report");
  }

  load_options options(std::vector<std::string> overrides) const {
    load_options opts;
    opts.types = &types;
    opts.env = [this](const std::string& name) -> std::optional<std::string> {
      auto i = env.find(name);
      if (i == env.end())
        return std::nullopt;
      return i->second;
    };
    opts.base_dir = dir;
    // Last, so that it wins: secrets come from our directory only, whatever
    // the text says (no reading of /proc or /dev through `secrets.dir`).
    overrides.push_back("secrets.dir=\"" + secrets + "\"");
    opts.overrides = std::move(overrides);
    return opts;
  }
};

const fixture& the_fixture() {
  static fixture instance;
  return instance;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// An `@include` outside the config's directory (an absolute path, "..", an
// escape): libconfig would read whatever file that is, e.g. /dev/zero.
bool includes_elsewhere(std::string_view text) {
  for (auto at = text.find("@include"); at != std::string_view::npos;
       at = text.find("@include", at + 1)) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string_view::npos ? end : end - at);
    if (line.find_first_of("/\\") != std::string_view::npos)
      return true;
  }
  return false;
}

// The secrets that the input itself could not have spelled out.
std::vector<std::string_view> secrets_to_hide(std::string_view input) {
  std::vector<std::string_view> result;
  for (auto s : {file_secret, pem_secret})
    if (!contains(input, s))
      result.push_back(s);
  // `${WARDEN_SECRET_API}` is a plain environment variable, not a secret.
  if (!contains(input, env_secret) && !contains(input, "WARDEN_SECRET"))
    result.push_back(env_secret);
  return result;
}

void check_hidden(const std::vector<std::string_view>& secrets, const std::string& text,
                  const char* where) {
  for (auto s : secrets)
    fuzz::check(!contains(text, s), where, text);
}

bool any_secret(const config_value& x) {
  if (x.secret)
    return true;
  for (auto& item : x.items)
    if (any_secret(item))
      return true;
  return false;
}

// Every worker's params as a reload sends them (`params.dump()`) and as
// shown (`redact`): valid JSON text, secrets hidden.
void check_params(const warden_config& cfg, const supervisor_spec& spec,
                  const std::string& path, const std::vector<std::string_view>& secrets) {
  for (auto& c : spec.children) {
    auto child_path = path + "/" + c.name;
    if (c.supervisor) {
      check_params(cfg, *c.supervisor, child_path, secrets);
      continue;
    }
    auto info = cfg.children.find(child_path);
    fuzz::check(info != cfg.children.end(), "a child without its child_config",
                child_path);
    std::string shown;
    try {
      c.params.dump();
      info->second.settings.dump();
      shown = redact(c.params, info->second.secret_params).dump();
    } catch (const nlohmann::json::exception& e) {
      fuzz::fail("params or settings of a child do not dump as JSON", e.what());
    }
    check_hidden(secrets, shown, "a secret in redacted params");
  }
}

void check_loaded(const loaded_config& loaded,
                  const std::vector<std::string_view>& secrets,
                  const load_options& opts) {
  auto& cfg = loaded.config;
  auto text = dump(loaded);
  check_hidden(secrets, text, "a secret in dump()");
  for (auto& path : cfg.secret_settings) {
    auto value = get(loaded, path);
    fuzz::check(value && *value == "***", "get() of a secret setting is not ***", path);
  }
  for (auto key : {"program", "node", "control", "rabbitmq", "supervisor",
                   "supervisor.children", "log.file"})
    if (auto value = get(loaded, key))
      check_hidden(secrets, *value, "a secret in get()");
  check_params(cfg, cfg.supervisor, "root", secrets);
  // Without secrets, what `dump` prints loads again to the same values.
  if (any_secret(loaded.settings))
    return;
  auto again = load_text(text, "dumped", opts);
  fuzz::check(again.ok(), "dump() output does not load again",
              text + "\n" + to_string(again.errors));
  auto text2 = dump(*again.config);
  fuzz::check(text == text2, "dump() output loads to a different dump",
              text + "\n----\n" + text2);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{reinterpret_cast<const char*>(data), size};
  if (includes_elsewhere(text))
    return -1; // not added to the corpus
  auto& fx = the_fixture();
  std::vector<std::string> overrides;
  for (size_t pos = 0; text.compare(pos, 5, "#set ") == 0;) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos)
      end = text.size();
    overrides.push_back(text.substr(pos + 5, end - pos - 5));
    pos = end + 1;
    if (pos >= text.size())
      break;
  }
  auto opts = fx.options(std::move(overrides));
  auto secrets = secrets_to_hide(text);
  auto result = load_text(text, "fuzz.cfg", opts);
  fuzz::check(result.ok() == result.config.has_value(),
              "a config must come exactly when there are no errors");
  for (auto& e : result.errors)
    fuzz::check(!e.file.empty() && !e.message.empty(), "an error without file or message",
                to_string(e));
  check_hidden(secrets, to_string(result.errors), "a secret in an error message");
  if (result.config)
    check_loaded(*result.config, secrets, fx.options({}));
  return 0;
}
