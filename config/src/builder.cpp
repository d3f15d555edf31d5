#include "builder.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

#include "suggest.hpp"
#include "value_text.hpp"
#include "warden/config/duration.hpp"
#include "warden/messaging/topic.hpp"
#include "warden/schedule/cron_expr.hpp"
#include "warden/schedule/find_zone.hpp"
#include "warden/schedule/next_fire.hpp"
#include "warden/supervisor/validate.hpp"

namespace warden::detail {

namespace {

using kind = config_value::kind;
using std::chrono::milliseconds;

constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

const std::vector<std::string> top_keys = {
    "program",  "node",           "secrets", "log",       "control",
    "rabbitmq", "config_check_s", "threads", "supervisor"};
const std::vector<std::string> log_keys = {"level", "file", "max_size_mb", "max_files",
                                           "levels"};
const std::vector<std::string> log_levels = {"trace", "debug",    "info", "warn",
                                             "error", "critical", "off"};
const std::vector<std::string> control_keys = {"listen", "port", "token", "tls_cert",
                                               "tls_key"};
const std::vector<std::string> rabbitmq_keys = {
    "enabled",       "url",         "exchange",  "outbox",
    "outbox_max_mb", "heartbeat_s", "confirm",   "confirm_window",
    "prefetch",      "publish",     "subscribe", "subscribe_temporary"};
const std::vector<std::string> flag_keys = {"strategy", "intensity", "period_s",
                                            "backoff", "auto_shutdown"};
const std::vector<std::string> backoff_keys = {"min_ms", "max_ms", "jitter", "reset_ms"};
const std::vector<std::string> common_child_keys = {
    "name", "type", "restart", "shutdown_ms", "enabled", "depends_on", "significant"};
const std::vector<std::string> worker_only_keys = {"params", "schedule", "backoff"};
const std::vector<std::string> supervisor_only_keys = {
    "strategy", "intensity", "period_s", "auto_shutdown", "children"};
const std::vector<std::string> schedule_keys = {
    "tick", "every", "cron", "timezone", "at_start", "catch_up", "overlap", "jitter"};

// Whether `x` is well-formed UTF-8 (no overlong forms, no surrogates, nothing
// beyond U+10FFFF): what nlohmann::json accepts when it writes a string out.
bool valid_utf8(std::string_view x) {
  for (size_t i = 0; i < x.size();) {
    auto c = static_cast<unsigned char>(x[i]);
    size_t n = 0; // continuation bytes
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (x.size() - i <= n)
      return false;
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(x[i + k]);
      if ((d & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (d & 0x3fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

// Whether `expr` fires at all (`0 0 31 2 *` never does). `next_fire` looks
// eight years ahead, enough for every date, so any start will do.
bool fires(const cron_expr& expr, const date::time_zone* zone) {
  return next_fire(expr, schedule_time{}, zone).has_value();
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::vector<std::string> concat(std::vector<std::string> xs,
                                const std::vector<std::string>& ys) {
  xs.insert(xs.end(), ys.begin(), ys.end());
  return xs;
}

// "a, b or c"
std::string one_of(const std::vector<std::string>& xs) {
  std::string result;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      result += i + 1 == xs.size() ? " or " : ", ";
    result += xs[i];
  }
  return result;
}

const char* a(kind x) {
  switch (x) {
    case kind::group:
      return "a group";
    case kind::list:
      return "a list";
    case kind::array:
      return "an array";
    case kind::integer:
    case kind::integer64:
      return "an integer";
    case kind::floating:
      return "a float";
    case kind::string:
      return "a string";
    case kind::boolean:
      return "a boolean";
  }
  return "a value";
}

std::string pointer_step(const std::string& key) {
  std::string result;
  for (char c : key) {
    if (c == '~')
      result += "~0";
    else if (c == '/')
      result += "~1";
    else
      result += c;
  }
  return result;
}

bool valid_child_name(const std::string& x) {
  return std::all_of(x.begin(), x.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

// One child as seen by the checks that involve its siblings.
struct sibling {
  std::string name; // empty when missing or invalid
  std::string setting;
  const config_value* node = nullptr;
  const config_value* depends_on = nullptr;
  std::vector<std::string> deps;
  std::vector<bool> secret_deps; // per entry of `deps`: holds secret text
};

class builder {
public:
  builder(const std::unordered_set<const config_value*>& failed,
          const service_types* types, warden_config& out,
          std::vector<config_error>& errors, std::vector<retyped_value>& retyped)
    : failed_(failed)
    , types_(types)
    , out_(out)
    , errors_(errors)
    , retyped_(retyped) {}

  void run(const config_value& root) {
    check_keys(root, "", top_keys);
    check_utf8(root, "");
    if (auto x = root.member("program"))
      if (auto t = nonempty_text(*x, "program"))
        out_.program = *t;
    if (auto x = root.member("node"))
      if (auto t = nonempty_text(*x, "node"))
        out_.node = *t;
    if (auto g = group(root, "secrets", "secrets")) {
      check_keys(*g, "secrets", {"dir"});
      if (auto x = g->member("dir"))
        if (auto t = nonempty_text(*x, "secrets.dir"))
          out_.secrets_dir = *t;
    }
    log(root);
    control(root);
    rabbitmq(root);
    if (auto x = root.member("config_check_s"))
      if (auto n = integer_in(*x, "config_check_s", 1, int64_max))
        out_.config_check = std::chrono::seconds{*n};
    if (auto x = root.member("threads"))
      if (auto n = integer_in(*x, "threads", 0, 4096))
        out_.threads = static_cast<size_t>(*n);
    root_supervisor(root);
    if (has_secret(root))
      collect_secrets(root, "");
    if (errors_.empty())
      safety_net();
  }

private:
  // -- errors and typed access -------------------------------------------

  void error(const config_value& at, const std::string& path, std::string message) {
    errors_.push_back({at.file, at.line, path, std::move(message)});
  }

  bool skip(const config_value& x) const {
    return failed_.count(&x) != 0;
  }

  static std::string shown(const config_value& x) {
    if (x.secret)
      return "'***'";
    return "'" + scalar_text(x) + "'";
  }

  std::optional<std::string> text(const config_value& x, const std::string& path) {
    if (skip(x))
      return std::nullopt;
    if (x.type == kind::string)
      return x.text;
    error(x, path, std::string{"must be a string, not "} + a(x.type));
    return std::nullopt;
  }

  std::optional<std::string> nonempty_text(const config_value& x,
                                           const std::string& path) {
    auto result = text(x, path);
    if (result && result->empty()) {
      error(x, path, "must not be empty");
      return std::nullopt;
    }
    return result;
  }

  // An interpolated string read as a scalar, if it reads as one.
  static std::optional<config_value> reread(const config_value& x) {
    if (x.type != kind::string || !x.interpolated)
      return std::nullopt;
    return parse_value_text(x.text, nullptr);
  }

  // `x` was read as `y`: so it is in the effective settings too (`dump` must
  // load again to the same values).
  void retype(const config_value& x, const config_value& y) {
    retyped_.emplace_back(&x, y);
  }

  std::optional<int64_t> integer(const config_value& x, const std::string& path) {
    if (skip(x))
      return std::nullopt;
    if (x.type == kind::integer || x.type == kind::integer64)
      return x.integer;
    if (auto y = reread(x);
        y && (y->type == kind::integer || y->type == kind::integer64)) {
      retype(x, *y);
      return y->integer;
    }
    if (x.type == kind::string && x.interpolated)
      error(x, path, "must be an integer, not " + shown(x));
    else
      error(x, path, std::string{"must be an integer, not "} + a(x.type));
    return std::nullopt;
  }

  // An integer in [lo, hi]; a `hi` of a billion or more counts as no bound.
  std::optional<int64_t> integer_in(const config_value& x, const std::string& path,
                                    int64_t lo, int64_t hi) {
    auto n = integer(x, path);
    if (!n || (*n >= lo && *n <= hi))
      return n;
    if (hi < 1'000'000'000)
      error(x, path,
            "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    else if (*n > hi)
      error(x, path, "must be at most " + std::to_string(hi));
    else if (lo == 0)
      error(x, path, "must not be negative");
    else if (lo == 1)
      error(x, path, "must be positive");
    else
      error(x, path, "must be at least " + std::to_string(lo));
    return std::nullopt;
  }

  std::optional<bool> boolean(const config_value& x, const std::string& path) {
    if (skip(x))
      return std::nullopt;
    if (x.type == kind::boolean)
      return x.boolean;
    if (auto y = reread(x); y && y->type == kind::boolean) {
      retype(x, *y);
      return y->boolean;
    }
    if (x.type == kind::string && x.interpolated)
      error(x, path, "must be true or false, not " + shown(x));
    else
      error(x, path, std::string{"must be true or false, not "} + a(x.type));
    return std::nullopt;
  }

  std::optional<double> number(const config_value& x, const std::string& path) {
    if (skip(x))
      return std::nullopt;
    if (x.type == kind::floating)
      return x.floating;
    if (x.type == kind::integer || x.type == kind::integer64)
      return static_cast<double>(x.integer);
    if (auto y = reread(x); y && y->type == kind::floating) {
      retype(x, *y);
      return y->floating;
    }
    if (auto y = reread(x);
        y && (y->type == kind::integer || y->type == kind::integer64)) {
      retype(x, *y);
      return static_cast<double>(y->integer);
    }
    error(x, path, std::string{"must be a number, not "} + a(x.type));
    return std::nullopt;
  }

  std::string unknown_choice(const std::string& what, const config_value& x,
                             const std::vector<std::string>& names) {
    auto message = "unknown " + what + " " + shown(x);
    auto best = x.secret ? std::nullopt : suggest(x.text, names);
    if (best)
      return message + " (did you mean '" + *best + "'?)";
    return message + " (expected " + one_of(names) + ")";
  }

  template <class Enum>
  std::optional<Enum> choice(const config_value& x, const std::string& path,
                             const std::string& what,
                             const std::vector<std::string>& names) {
    auto t = text(x, path);
    if (!t)
      return std::nullopt;
    Enum result;
    if (from_string(*t, result))
      return result;
    error(x, path, unknown_choice(what, x, names));
    return std::nullopt;
  }

  std::optional<std::string> level(const config_value& x, const std::string& path) {
    auto t = text(x, path);
    if (!t || contains(log_levels, *t))
      return t;
    error(x, path, unknown_choice("log level", x, log_levels));
    return std::nullopt;
  }

  std::optional<milliseconds> duration(const config_value& x, const std::string& path) {
    if (skip(x))
      return std::nullopt;
    if (x.type != kind::string) {
      error(x, path, std::string{"must be a duration such as \"5s\", not "} + a(x.type));
      return std::nullopt;
    }
    std::string why;
    auto result = parse_duration(x.text, &why);
    if (!result)
      error(x, path, x.secret ? std::string{"bad duration"} : why);
    return result;
  }

  // The group `key` of `parent`, null if absent or not a group (reported).
  const config_value* group(const config_value& parent, const std::string& key,
                            const std::string& path) {
    auto x = parent.member(key);
    if (x == nullptr || skip(*x))
      return nullptr;
    if (x->type != kind::group) {
      error(*x, path, std::string{"must be a group { ... }, not "} + a(x->type));
      return nullptr;
    }
    return x;
  }

  // Reports the settings of `g` not in `known`; `hint` may explain a key
  // that is known elsewhere.
  void check_keys(const config_value& g, const std::string& path,
                  const std::vector<std::string>& known,
                  const std::function<std::optional<std::string>(const std::string&)>&
                      hint = nullptr) {
    check_keys(
        g, path, [&](const std::string& key) { return contains(known, key); },
        [&] { return known; }, hint);
  }

  // The same with the known keys given as a test and, for "did you mean",
  // as a list made only when needed.
  void
  check_keys(const config_value& g, const std::string& path,
             const std::function<bool(const std::string&)>& is_known,
             const std::function<std::vector<std::string>()>& known,
             const std::function<std::optional<std::string>(const std::string&)>& hint) {
    for (auto& item : g.items) {
      if (is_known(item.name))
        continue;
      auto where = append_step(path, item.name);
      if (hint)
        if (auto message = hint(item.name)) {
          if (!message->empty())
            error(item, where, *message);
          continue;
        }
      error(item, where,
            "unknown setting '" + item.name + "'" + did_you_mean(item.name, known()));
    }
  }

  // -- sections ----------------------------------------------------------

  void log(const config_value& root) {
    auto g = group(root, "log", "log");
    if (g == nullptr)
      return;
    check_keys(*g, "log", log_keys);
    auto& out = out_.log;
    if (auto x = g->member("level"))
      if (auto t = level(*x, "log.level"))
        out.level = *t;
    if (auto x = g->member("file"))
      if (auto t = text(*x, "log.file"))
        out.file = *t;
    if (auto x = g->member("max_size_mb"))
      if (auto n = integer_in(*x, "log.max_size_mb", 1, 1 << 20))
        out.max_size_mb = static_cast<uint32_t>(*n);
    if (auto x = g->member("max_files"))
      if (auto n = integer_in(*x, "log.max_files", 1, 10000))
        out.max_files = static_cast<uint32_t>(*n);
    if (auto levels = group(*g, "levels", "log.levels"))
      for (auto& item : levels->items)
        if (auto t = level(item, "log.levels." + item.name))
          out.levels[item.name] = *t;
  }

  void control(const config_value& root) {
    auto g = group(root, "control", "control");
    if (g == nullptr)
      return;
    check_keys(*g, "control", control_keys);
    auto& out = out_.control;
    if (auto x = g->member("listen"))
      if (auto t = nonempty_text(*x, "control.listen"))
        out.listen = *t;
    if (auto x = g->member("port"))
      if (auto n = integer_in(*x, "control.port", 1, 65535))
        out.port = static_cast<uint16_t>(*n);
    if (auto x = g->member("token"))
      if (auto t = text(*x, "control.token"))
        out.token = *t;
    if (auto x = g->member("tls_cert"))
      if (auto t = text(*x, "control.tls_cert"))
        out.tls_cert = *t;
    if (auto x = g->member("tls_key"))
      if (auto t = text(*x, "control.tls_key"))
        out.tls_key = *t;
    if (out.tls_cert.empty() != out.tls_key.empty())
      error(*g, "control", "tls_cert and tls_key must be set together");
    auto token = g->member("token");
    bool token_unknown = token != nullptr && skip(*token);
    if (auto x = g->member("listen");
        x != nullptr && !skip(*x) && x->type == kind::string && !x->text.empty() &&
        !is_loopback(x->text) && out.token.empty() && !token_unknown)
      error(*x, "control.listen",
            "non-loopback address " + shown(*x) + " requires a control.token");
  }

  void rabbitmq(const config_value& root) {
    auto g = group(root, "rabbitmq", "rabbitmq");
    if (g == nullptr)
      return;
    check_keys(*g, "rabbitmq", rabbitmq_keys);
    auto& out = out_.rabbitmq;
    out.enabled = true;
    if (auto x = g->member("enabled"))
      if (auto b = boolean(*x, "rabbitmq.enabled"))
        out.enabled = *b;
    if (auto x = g->member("url"))
      if (auto t = nonempty_text(*x, "rabbitmq.url")) {
        if (t->rfind("amqp://", 0) != 0 && t->rfind("amqps://", 0) != 0)
          error(*x, "rabbitmq.url", "must start with amqp:// or amqps://");
        else
          out.url = *t;
      }
    if (auto x = g->member("exchange"))
      if (auto t = nonempty_text(*x, "rabbitmq.exchange"))
        out.exchange = *t;
    if (auto x = g->member("outbox"))
      if (auto t = nonempty_text(*x, "rabbitmq.outbox"))
        out.outbox = *t;
    if (auto x = g->member("heartbeat_s"))
      if (auto n = integer_in(*x, "rabbitmq.heartbeat_s", 0, 65535))
        out.heartbeat = std::chrono::seconds{*n};
    if (auto x = g->member("confirm"))
      if (auto b = boolean(*x, "rabbitmq.confirm"))
        out.confirm = *b;
    if (auto x = g->member("outbox_max_mb"))
      if (auto n = integer_in(*x, "rabbitmq.outbox_max_mb", 1, 1 << 20))
        out.outbox_max_mb = static_cast<uint64_t>(*n);
    if (auto x = g->member("confirm_window"))
      if (auto n = integer_in(*x, "rabbitmq.confirm_window", 1, 65535))
        out.confirm_window = static_cast<size_t>(*n);
    if (auto x = g->member("prefetch"))
      if (auto n = integer_in(*x, "rabbitmq.prefetch", 1, 65535))
        out.prefetch = static_cast<uint16_t>(*n);
    topic_list(*g, "publish", false, out.publish);
    topic_list(*g, "subscribe", true, out.subscribe);
    topic_list(*g, "subscribe_temporary", true, out.subscribe_temporary);
  }

  /// A list of topic patterns, e.g. `publish = [ "File.#" ]`.
  void topic_list(const config_value& g, const char* key, bool binding,
                  std::vector<std::string>& out) {
    auto x = g.member(key);
    if (x == nullptr)
      return;
    auto where = std::string{"rabbitmq."} + key;
    if (x->type != kind::array && x->type != kind::list) {
      error(*x, where, "must be a list of topic patterns, e.g. [ \"File.#\" ]");
      return;
    }
    out.clear();
    for (size_t i = 0; i < x->items.size(); ++i) {
      auto item = where + "[" + std::to_string(i) + "]";
      if (auto t = text(x->items[i], item)) {
        if (!valid_pattern(*t))
          error(x->items[i], item,
                "'" + *t +
                    "' is not a topic pattern (dot-separated words; '*' and '#' "
                    "stand alone as words)");
        else
          out.push_back(*t);
      }
    }
    (void)binding;
  }

  // -- supervisors -------------------------------------------------------

  void backoff(const config_value& g, const std::string& path, backoff_policy& out) {
    check_keys(g, path, backoff_keys);
    out =
        backoff_policy{milliseconds{100}, milliseconds{30000}, 0.0, milliseconds{10000}};
    bool known = true;
    auto read_ms = [&](const char* key, milliseconds& field) {
      if (auto x = g.member(key)) {
        if (auto n = integer_in(*x, append_step(path, key), 0, int64_max))
          field = milliseconds{*n};
        else
          known = false;
      }
    };
    read_ms("min_ms", out.min);
    read_ms("max_ms", out.max);
    read_ms("reset_ms", out.reset_after);
    if (auto x = g.member("jitter"))
      if (auto f = number(*x, append_step(path, "jitter"))) {
        if (*f < 0.0 || *f > 1.0)
          error(*x, append_step(path, "jitter"), "must be between 0 and 1");
        else
          out.jitter = *f;
      }
    if (known && out.max.count() > 0 && out.min > out.max)
      error(g, path,
            "min_ms (" + std::to_string(out.min.count()) + ") exceeds max_ms (" +
                std::to_string(out.max.count()) + ")");
  }

  // strategy, intensity, period_s, backoff and auto_shutdown of `g`.
  void flags(const config_value& g, const std::string& path, supervisor_flags& out) {
    if (auto x = g.member("strategy"))
      if (auto s = choice<strategy>(*x, append_step(path, "strategy"), "strategy",
                                    {"one_for_one", "one_for_all", "rest_for_one"}))
        out.strat = *s;
    if (auto x = g.member("intensity"))
      if (auto n = integer_in(*x, append_step(path, "intensity"), 0,
                              std::numeric_limits<uint32_t>::max()))
        out.intensity = static_cast<uint32_t>(*n);
    if (auto x = g.member("period_s"))
      if (auto n = integer_in(*x, append_step(path, "period_s"), 1, 1'000'000'000))
        out.period = std::chrono::seconds{*n};
    if (auto b = group(g, "backoff", append_step(path, "backoff")))
      backoff(*b, append_step(path, "backoff"), out.backoff);
    if (auto x = g.member("auto_shutdown"))
      if (auto s = choice<auto_shutdown>(*x, append_step(path, "auto_shutdown"),
                                         "auto_shutdown",
                                         {"never", "any_significant", "all_significant"}))
        out.shutdown = *s;
  }

  void root_supervisor(const config_value& root) {
    child_config info;
    info.path = "root";
    info.type = "supervisor";
    info.file = out_.source;
    info.setting = "supervisor";
    if (auto g = group(root, "supervisor", "supervisor")) {
      info.file = g->file;
      info.line = g->line;
      check_keys(*g, "supervisor", concat(flag_keys, {"children"}));
      flags(*g, "supervisor", out_.supervisor.flags);
      if (auto list = g->member("children"))
        children(*list, "supervisor.children", "root", out_.supervisor);
    }
    out_.children["root"] = std::move(info);
  }

  // The children of one supervisor: `list` at `path`, below child path
  // `parent`, into `spec` (whose flags are read).
  void children(const config_value& list, const std::string& path,
                const std::string& parent, supervisor_spec& spec) {
    if (skip(list))
      return;
    if (list.type == kind::array && list.items.empty())
      return;
    if (list.type != kind::list) {
      error(list, path,
            std::string{"must be a list ( { name = ...; type = ...; }, ... ), not "} +
                a(list.type));
      return;
    }
    auto steps = item_steps(list);
    std::vector<sibling> siblings;
    siblings.reserve(list.items.size());
    spec.children.reserve(spec.children.size() + list.items.size());
    std::unordered_map<std::string, const config_value*> first;
    first.reserve(list.items.size());
    for (size_t i = 0; i < list.items.size(); ++i) {
      auto& item = list.items[i];
      auto where = append_step(path, steps[i]);
      if (item.type != kind::group) {
        error(item, where,
              std::string{"must be a group { name = ...; type = ...; }, not "} +
                  a(item.type));
        continue;
      }
      sibling s;
      s.setting = where;
      s.node = &item;
      child(item, where, parent, spec, s);
      if (!s.name.empty()) {
        auto [j, fresh] = first.emplace(s.name, item.member("name"));
        if (!fresh) {
          error(*item.member("name"), append_step(where, "name"),
                "duplicate child name '" + s.name + "' (first at line " +
                    std::to_string(j->second->line) + ")");
          s.name.clear();
        }
      }
      siblings.push_back(std::move(s));
    }
    dependencies(siblings);
  }

  // depends_on: existing siblings, not itself, no cycle.
  void dependencies(std::vector<sibling>& siblings) {
    std::unordered_map<std::string, size_t> index;
    std::vector<std::string> names;
    for (size_t i = 0; i < siblings.size(); ++i)
      if (!siblings[i].name.empty()) {
        index.emplace(siblings[i].name, i);
        names.push_back(siblings[i].name);
      }
    std::vector<std::vector<size_t>> edges(siblings.size());
    for (size_t i = 0; i < siblings.size(); ++i) {
      auto& s = siblings[i];
      if (s.depends_on == nullptr)
        continue;
      auto where = append_step(s.setting, "depends_on");
      for (size_t k = 0; k < s.deps.size(); ++k) {
        auto& dep = s.deps[k];
        if (dep == s.name) {
          error(*s.depends_on, where, "child depends on itself");
        } else if (auto j = index.find(dep); j != index.end()) {
          edges[i].push_back(j->second);
        } else if (s.secret_deps[k]) {
          error(*s.depends_on, where, "depends_on names '***', which is not a sibling");
        } else {
          error(*s.depends_on, where,
                "depends_on names '" + dep + "', which is not a sibling" +
                    did_you_mean(dep, names));
        }
      }
    }
    // Depth-first search with three colours; each back edge is a cycle.
    std::vector<uint8_t> colour(siblings.size(), 0);
    std::vector<size_t> stack;
    std::function<void(size_t)> visit = [&](size_t i) {
      colour[i] = 1;
      stack.push_back(i);
      for (auto j : edges[i]) {
        if (colour[j] == 1) {
          std::string cycle;
          auto from = std::find(stack.begin(), stack.end(), j);
          for (auto k = from; k != stack.end(); ++k)
            cycle += siblings[*k].name + " -> ";
          cycle += siblings[j].name;
          error(*siblings[j].depends_on, append_step(siblings[j].setting, "depends_on"),
                "depends_on forms a cycle: " + cycle);
        } else if (colour[j] == 0) {
          visit(j);
        }
      }
      colour[i] = 2;
      stack.pop_back();
    };
    for (size_t i = 0; i < siblings.size(); ++i)
      if (colour[i] == 0)
        visit(i);
  }

  void child(const config_value& g, const std::string& path, const std::string& parent,
             supervisor_spec& spec, sibling& s) {
    auto& parent_flags = spec.flags;
    // name and type first: the keys a child may have depend on its type.
    std::string name;
    if (auto x = g.member("name")) {
      if (auto t = nonempty_text(*x, append_step(path, "name"))) {
        if (x->secret)
          // A name is in every path, log line and answer: it cannot be hidden.
          error(*x, append_step(path, "name"), "a child name must not be secret");
        else if (valid_child_name(*t))
          name = *t;
        else
          error(*x, append_step(path, "name"),
                "child name " + shown(*x) +
                    " may only contain letters, digits, '_' and '-'");
      }
    } else {
      error(g, path, "missing setting 'name'");
    }
    s.name = name;
    std::string type;
    bool type_known = false;
    const service_type* factory_type = nullptr;
    if (auto x = g.member("type")) {
      if (auto t = nonempty_text(*x, append_step(path, "type"))) {
        type = *t;
        if (type == "supervisor") {
          type_known = true;
        } else if (factory_type = types_ != nullptr ? types_->find(type) : nullptr;
                   factory_type != nullptr) {
          type_known = true;
        } else {
          auto names = types_ != nullptr ? types_->names() : std::vector<std::string>{};
          if (!contains(names, "supervisor"))
            names.push_back("supervisor");
          std::sort(names.begin(), names.end());
          auto message = "unknown service type " + shown(*x);
          if (auto best = suggest(type, names))
            message += " (did you mean '" + *best + "'?)";
          else
            message += " (known: " + one_of(names) + ")";
          error(*x, append_step(path, "type"), message);
        }
      }
    } else {
      error(g, path, "missing setting 'type'");
    }
    bool is_supervisor = type == "supervisor";
    // Keys: common ones, those of the kind of child, the type's own.
    std::vector<std::string> settings_keys;
    if (!is_supervisor && factory_type != nullptr)
      for (auto& key : factory_type->settings_keys)
        if (!contains(common_child_keys, key) && !contains(worker_only_keys, key))
          settings_keys.push_back(key);
    auto is_known = [&](const std::string& key) {
      return contains(common_child_keys, key) ||
             (is_supervisor ? contains(supervisor_only_keys, key) || key == "backoff"
                            : contains(worker_only_keys, key) ||
                                  contains(settings_keys, key) || key == "ready");
    };
    auto known = [&] {
      return is_supervisor
                 ? concat(concat(common_child_keys, supervisor_only_keys), {"backoff"})
                 : concat(
                       concat(concat(common_child_keys, worker_only_keys), settings_keys),
                       {"ready"});
    };
    check_keys(g, path, is_known, known,
               [&](const std::string& key) -> std::optional<std::string> {
                 if (!is_supervisor && contains(supervisor_only_keys, key))
                   return "'" + key + "' applies only to type \"supervisor\"";
                 if (is_supervisor && contains(worker_only_keys, key))
                   return "'" + key + "' does not apply to type \"supervisor\"";
                 if (!is_supervisor && !type_known)
                   return std::string{}; // the type's keys are unknown: say nothing
                 return std::nullopt;
               });
    // The settings every child has.
    child_spec c;
    if (auto x = g.member("restart"))
      if (auto r = choice<restart_type>(*x, append_step(path, "restart"), "restart type",
                                        {"permanent", "transient", "temporary"}))
        c.restart = *r;
    std::optional<milliseconds> shutdown;
    if (auto x = g.member("shutdown_ms")) {
      auto where = append_step(path, "shutdown_ms");
      auto as_integer = reread(*x);
      bool reads_as_integer = as_integer && (as_integer->type == kind::integer ||
                                             as_integer->type == kind::integer64);
      if (x->type == kind::string && !skip(*x) && x->text == "infinity")
        shutdown = shutdown_infinity;
      else if (x->type == kind::string && !skip(*x) && !reads_as_integer)
        error(*x, where, "must be a number of milliseconds or \"infinity\"");
      else if (auto n = integer_in(*x, where, 0, int64_max))
        shutdown = milliseconds{*n};
    }
    if (auto x = g.member("enabled"))
      if (auto b = boolean(*x, append_step(path, "enabled")))
        c.enabled = *b;
    const config_value* significant = g.member("significant");
    if (significant != nullptr)
      if (auto b = boolean(*significant, append_step(path, "significant")))
        c.significant = *b;
    if (auto x = g.member("depends_on"); x != nullptr && !skip(*x)) {
      auto where = append_step(path, "depends_on");
      if (x->type == kind::array || x->type == kind::list) {
        s.depends_on = x;
        for (size_t i = 0; i < x->items.size(); ++i)
          if (auto t = text(x->items[i], where + "[" + std::to_string(i) + "]")) {
            s.deps.push_back(*t);
            s.secret_deps.push_back(x->items[i].secret);
          }
        c.depends_on = s.deps;
      } else {
        error(*x, where,
              std::string{"must be an array of sibling names [ \"a\", ... ], not "} +
                  a(x->type));
      }
    }
    if (significant != nullptr && c.significant) {
      auto where = append_step(path, "significant");
      if (c.restart == restart_type::permanent)
        error(*significant, where, "a permanent child cannot be significant");
      if (parent_flags.shutdown == auto_shutdown::never)
        error(*significant, where,
              "significant child under a supervisor with auto_shutdown never");
    }
    auto child_path = parent + "/" + (name.empty() ? std::string{"?"} : name);
    child_config info;
    info.path = child_path;
    info.type = type;
    info.file = g.file;
    info.line = g.line;
    info.setting = path;
    if (is_supervisor) {
      supervisor_spec nested_spec;
      flags(g, path, nested_spec.flags);
      if (auto list = g.member("children"))
        children(*list, append_step(path, "children"), child_path, nested_spec);
      auto n = nested(name, std::move(nested_spec), c.restart);
      n.enabled = c.enabled;
      n.significant = c.significant;
      n.depends_on = c.depends_on;
      if (shutdown)
        n.shutdown = *shutdown;
      c = std::move(n);
    } else {
      c.name = name;
      c.type = type;
      if (shutdown)
        c.shutdown = *shutdown;
      c.params = nlohmann::json::object();
      if (auto p = group(g, "params", append_step(path, "params")))
        c.params = to_json(*p, "", &info.secret_params);
      if (auto x = g.member("schedule"))
        schedules(*x, append_step(path, "schedule"), info.schedules);
      if (auto b = group(g, "backoff", append_step(path, "backoff"))) {
        backoff_policy policy;
        backoff(*b, append_step(path, "backoff"), policy);
        c.backoff = policy;
      }
      for (auto& key : settings_keys)
        if (auto x = g.member(key))
          info.settings[key] = to_json(*x, "", nullptr);
      // `ready = "exit"` makes any child a one-shot; a type with a `ready`
      // setting of its own (process) checks the other values itself.
      if (auto x = g.member("ready"); x != nullptr && !skip(*x)) {
        auto where = append_step(path, "ready");
        if (auto t = text(*x, where)) {
          c.one_shot = *t == "exit";
          if (!c.one_shot && *t != "started" && !contains(settings_keys, "ready"))
            error(*x, where,
                  "must be \"started\" (ready once the service says so) or \"exit\" "
                  "(a one-shot: ready once it exited normally)");
        }
      }
      // Settings may hold text that is not UTF-8 (the type rejects it, or
      // takes it as bytes): hash it with U+FFFD rather than throw.
      c.settings_hash = std::hash<std::string>{}(
          info.settings.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      if (factory_type != nullptr) {
        try {
          c.factory = factory_type->make(info.settings);
          if (!c.factory)
            error(g, path, "service type '" + type + "' made no factory");
        } catch (const std::exception& e) {
          error(g, path,
                "service type '" + type + "' rejected its settings: " + e.what());
        }
      }
    }
    if (!name.empty() && out_.children.count(child_path) == 0)
      out_.children.emplace(child_path, std::move(info));
    spec.children.push_back(std::move(c));
  }

  void schedules(const config_value& x, const std::string& path,
                 std::vector<schedule_config>& out) {
    if (skip(x))
      return;
    if (x.type == kind::group) {
      schedule(x, path, out);
      return;
    }
    if (x.type == kind::array && x.items.empty())
      return;
    if (x.type != kind::list) {
      error(x, path,
            std::string{"must be a list ( { every = \"5s\"; tick = \"name\"; }, ... ), "
                        "not "} +
                a(x.type));
      return;
    }
    // The ticker keys a schedule by its child and tick name: a second
    // schedule with the same tick would silently replace the first.
    std::map<std::string, unsigned> first_line;
    for (size_t i = 0; i < x.items.size(); ++i) {
      auto where = path + "[" + std::to_string(i) + "]";
      auto& item = x.items[i];
      if (item.type != kind::group) {
        error(item, where,
              std::string{"must be a group { every = ...; tick = ...; }, not "} +
                  a(item.type));
        continue;
      }
      auto before = out.size();
      schedule(item, where, out);
      if (out.size() == before)
        continue;
      auto& tick = out.back().tick;
      if (auto [at, fresh] = first_line.emplace(tick, item.line); !fresh) {
        auto t = item.member("tick");
        error(t != nullptr ? *t : item, t != nullptr ? append_step(where, "tick") : where,
              "duplicate tick '" + tick + "' (first at line " +
                  std::to_string(at->second) + ")");
      }
    }
  }

  void schedule(const config_value& g, const std::string& path,
                std::vector<schedule_config>& out) {
    check_keys(g, path, schedule_keys);
    schedule_config result;
    result.file = g.file;
    result.line = g.line;
    result.setting = path;
    if (auto x = g.member("tick"))
      if (auto t = nonempty_text(*x, append_step(path, "tick")))
        result.tick = *t;
    auto every = g.member("every");
    auto cron = g.member("cron");
    if (every != nullptr)
      if (auto d = duration(*every, append_step(path, "every"))) {
        if (d->count() <= 0)
          error(*every, append_step(path, "every"), "must be positive");
        else
          result.every = *d;
      }
    // The cron syntax and the zone are checked here, with the scheduler's
    // own parser and tz database, so that `warden check` finds what the
    // ticker would refuse.
    std::optional<cron_expr> expr;
    if (cron != nullptr)
      if (auto t = nonempty_text(*cron, append_step(path, "cron"))) {
        std::string why;
        expr = cron_expr::parse(*t, &why);
        if (expr)
          result.cron = *t;
        else
          error(*cron, append_step(path, "cron"),
                cron->secret ? std::string{"bad cron expression"} : why);
      }
    if (every != nullptr && cron != nullptr)
      error(g, path, "takes either 'every' or 'cron', not both");
    else if (every == nullptr && cron == nullptr)
      error(g, path, "needs 'every' or 'cron'");
    const date::time_zone* zone = nullptr;
    bool zone_ok = true;
    if (auto x = g.member("timezone")) {
      auto where = append_step(path, "timezone");
      if (cron == nullptr) {
        error(*x, where, "applies only to 'cron'");
      } else if (auto t = text(*x, where)) {
        std::string why;
        zone = find_zone(*t, &why);
        if (zone != nullptr)
          result.timezone = *t;
        else
          error(*x, where, x->secret ? std::string{"unknown time zone"} : why);
        zone_ok = zone != nullptr;
      } else {
        zone_ok = false;
      }
    }
    if (expr && zone_ok && every == nullptr && !fires(*expr, zone))
      error(*cron, append_step(path, "cron"),
            cron->secret
                ? std::string{"never fires"}
                : "cron \"" + expr->text() + "\" never fires (no date matches it)");
    if (auto x = g.member("at_start")) {
      auto where = append_step(path, "at_start");
      if (x->type == kind::boolean) {
        result.at_start = x->boolean ? at_start_mode::always : at_start_mode::none;
      } else if (x->type == kind::string) {
        if (auto m =
                choice<at_start_mode>(*x, where, "at_start", {"none", "always", "once"}))
          result.at_start = *m;
      } else if (!skip(*x)) {
        error(*x, where,
              std::string{"must be true, false, \"none\", \"always\" or \"once\", not "} +
                  a(x->type));
      }
    }
    if (auto x = g.member("catch_up"))
      if (auto m = choice<catch_up_mode>(*x, append_step(path, "catch_up"), "catch_up",
                                         {"none", "one"}))
        result.catch_up = *m;
    if (auto x = g.member("overlap"))
      if (auto m = choice<overlap_mode>(*x, append_step(path, "overlap"), "overlap",
                                        {"skip", "queue"}))
        result.overlap = *m;
    if (auto x = g.member("jitter"))
      if (auto d = duration(*x, append_step(path, "jitter"))) {
        if (result.every && *d >= *result.every)
          error(*x, append_step(path, "jitter"),
                "must be shorter than 'every' (" + format_duration(*result.every) + ")");
        else
          result.jitter = *d;
      }
    out.push_back(std::move(result));
  }

  // -- values ------------------------------------------------------------

  // `x` as JSON; the pointers of secret scalars go to `secrets` (if given).
  static nlohmann::json to_json(const config_value& x, const std::string& pointer,
                                std::vector<std::string>* secrets) {
    switch (x.type) {
      case kind::group: {
        auto result = nlohmann::json::object();
        for (auto& item : x.items)
          result[item.name] =
              to_json(item, pointer + "/" + pointer_step(item.name), secrets);
        return result;
      }
      case kind::list:
      case kind::array: {
        auto result = nlohmann::json::array();
        for (size_t i = 0; i < x.items.size(); ++i)
          result.push_back(
              to_json(x.items[i], pointer + "/" + std::to_string(i), secrets));
        return result;
      }
      default:
        break;
    }
    if (x.secret && secrets != nullptr)
      secrets->push_back(pointer);
    switch (x.type) {
      case kind::integer:
      case kind::integer64:
        return x.integer;
      case kind::floating:
        return x.floating;
      case kind::boolean:
        return x.boolean;
      default:
        return x.text;
    }
  }

  static bool has_secret(const config_value& x) {
    if (x.secret)
      return true;
    for (auto& item : x.items)
      if (has_secret(item))
        return true;
    return false;
  }

  // Every string is text: params become JSON (which nlohmann refuses to write
  // with invalid UTF-8, e.g. when a reload offers them to a service), program
  // and node go into JSON answers. The value itself is not shown.
  void check_utf8(const config_value& x, const std::string& path) {
    if (x.type == kind::string && !skip(x) && !valid_utf8(x.text))
      error(x, path, "must be UTF-8 text");
    if (x.type == kind::group) {
      for (auto& item : x.items)
        check_utf8(item, append_step(path, item.name));
    } else if (x.is_aggregate()) {
      auto steps = item_steps(x);
      for (size_t i = 0; i < x.items.size(); ++i)
        check_utf8(x.items[i], append_step(path, steps[i]));
    }
  }

  void collect_secrets(const config_value& x, const std::string& path) {
    if (x.secret)
      out_.secret_settings.insert(path);
    if (x.type == kind::group) {
      for (auto& item : x.items)
        collect_secrets(item, append_step(path, item.name));
    } else if (x.is_aggregate()) {
      auto steps = item_steps(x);
      for (size_t i = 0; i < x.items.size(); ++i)
        collect_secrets(x.items[i], append_step(path, steps[i]));
    }
  }

  // What `spawn_supervisor` will check again; the checks above should have
  // found all of it, but a spec that loads must pass.
  void safety_net() {
    for (auto& e : validate(out_.supervisor, "root")) {
      if (auto i = out_.children.find(e.where); i != out_.children.end())
        errors_.push_back({i->second.file, i->second.line, i->second.setting, e.message});
      else
        errors_.push_back({out_.source, 0, "supervisor", e.where + ": " + e.message});
    }
  }

  const std::unordered_set<const config_value*>& failed_;
  const service_types* types_;
  warden_config& out_;
  std::vector<config_error>& errors_;
  std::vector<retyped_value>& retyped_;
};

config_value make_default(std::string name, kind type, const std::string& file) {
  config_value result;
  result.name = std::move(name);
  result.type = type;
  result.file = file;
  result.is_default = true;
  return result;
}

// The member `name` of `g`, added with `make` if missing.
config_value& ensure(config_value& g, const std::string& name, kind type,
                     const std::string& file) {
  if (auto x = g.member(name))
    return *x;
  g.items.push_back(make_default(name, type, file));
  return g.items.back();
}

void default_text(config_value& g, const std::string& name, const std::string& value,
                  const std::string& file) {
  if (g.member(name) == nullptr)
    ensure(g, name, kind::string, file).text = value;
}

void default_integer(config_value& g, const std::string& name, int64_t value,
                     const std::string& file) {
  bool fits = value >= std::numeric_limits<int32_t>::min() &&
              value <= std::numeric_limits<int32_t>::max();
  if (g.member(name) == nullptr)
    ensure(g, name, fits ? kind::integer : kind::integer64, file).integer = value;
}

void default_boolean(config_value& g, const std::string& name, bool value,
                     const std::string& file) {
  if (g.member(name) == nullptr)
    ensure(g, name, kind::boolean, file).boolean = value;
}

} // namespace

void fill_defaults(config_value& root, const warden_config& cfg) {
  auto& file = cfg.source;
  default_text(root, "program", cfg.program, file);
  default_text(root, "node", cfg.node, file);
  auto& secrets = ensure(root, "secrets", kind::group, file);
  default_text(secrets, "dir", cfg.secrets_dir, file);
  auto& log = ensure(root, "log", kind::group, file);
  default_text(log, "level", cfg.log.level, file);
  default_text(log, "file", cfg.log.file, file);
  default_integer(log, "max_size_mb", cfg.log.max_size_mb, file);
  default_integer(log, "max_files", cfg.log.max_files, file);
  auto& control = ensure(root, "control", kind::group, file);
  default_text(control, "listen", cfg.control.listen, file);
  default_integer(control, "port", cfg.control.port, file);
  if (auto rabbitmq = root.member("rabbitmq")) {
    default_boolean(*rabbitmq, "enabled", cfg.rabbitmq.enabled, file);
    default_text(*rabbitmq, "url", cfg.rabbitmq.url, file);
    default_text(*rabbitmq, "exchange", cfg.rabbitmq.exchange, file);
    default_text(*rabbitmq, "outbox", cfg.rabbitmq.outbox, file);
    default_integer(*rabbitmq, "heartbeat_s", cfg.rabbitmq.heartbeat.count(), file);
    default_boolean(*rabbitmq, "confirm", cfg.rabbitmq.confirm, file);
  }
  default_integer(root, "config_check_s", cfg.config_check.count(), file);
  default_integer(root, "threads", static_cast<int64_t>(cfg.threads), file);
  auto& sup = ensure(root, "supervisor", kind::group, file);
  auto& flags = cfg.supervisor.flags;
  default_text(sup, "strategy", to_string(flags.strat), file);
  default_integer(sup, "intensity", flags.intensity, file);
  default_integer(sup, "period_s",
                  std::chrono::duration_cast<std::chrono::seconds>(flags.period).count(),
                  file);
  default_text(sup, "auto_shutdown", to_string(flags.shutdown), file);
}

void build_config(const config_value& root,
                  const std::unordered_set<const config_value*>& failed,
                  const service_types* types, warden_config& out,
                  std::vector<config_error>& errors,
                  std::vector<retyped_value>& retyped) {
  builder b{failed, types, out, errors, retyped};
  b.run(root);
}

} // namespace warden::detail

namespace warden {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" ||
         host == "[::1]" || host == "0:0:0:0:0:0:0:1";
}

} // namespace warden
