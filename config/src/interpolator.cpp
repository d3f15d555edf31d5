#include "interpolator.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "value_text.hpp"

namespace warden::detail {

namespace {

bool valid_env_name(std::string_view x) {
  if (x.empty() || std::isdigit(static_cast<unsigned char>(x.front())))
    return false;
  for (unsigned char c : x)
    if (!std::isalnum(c) && c != '_')
      return false;
  return true;
}

bool valid_secret_name(std::string_view x) {
  if (x.empty() || x == "." || x == "..")
    return false;
  for (unsigned char c : x)
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

// WARDEN_SECRET_<NAME>, upper-cased, '-' and '.' as '_'.
std::string secret_env_name(std::string_view name) {
  std::string result = "WARDEN_SECRET_";
  for (unsigned char c : name)
    result += (c == '-' || c == '.') ? '_' : static_cast<char>(std::toupper(c));
  return result;
}

// Position of the '}' closing the "${" at `open`, or npos. Nested "${...}"
// (in defaults) are skipped whole.
size_t closing_brace(std::string_view text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (--depth == 0)
        return i;
    }
  }
  return std::string_view::npos;
}

// Position of ":-" outside nested "${...}", or npos.
size_t default_separator(std::string_view inner) {
  int depth = 0;
  for (size_t i = 0; i + 1 < inner.size(); ++i) {
    if (inner[i] == '$' && inner[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (inner[i] == '}') {
      --depth;
    } else if (depth == 0 && inner[i] == ':' && inner[i + 1] == '-') {
      return i;
    }
  }
  return std::string_view::npos;
}

class interpolator {
public:
  interpolator(config_value& root, const env_lookup& env, std::string base_dir,
               std::vector<config_error>& errors)
    : root_(root)
    , env_(env)
    , base_dir_(std::move(base_dir))
    , errors_(errors) {}

  std::unordered_set<const config_value*> run() {
    visit(root_);
    std::unordered_set<const config_value*> failed;
    for (auto& [node, st] : state_)
      if (st == state::failed)
        failed.insert(node);
    return failed;
  }

private:
  enum class state { resolving, done, failed };

  // What one expansion produced.
  struct expansion {
    std::string text;
    bool secret = false;
    bool substituted = false;
    // Set when the whole value was one reference to a non-string scalar.
    const config_value* adopt = nullptr;
  };

  // The path of `target` below `x` (at `path`); only needed for errors.
  static bool find_path(const config_value& x, const config_value* target,
                        std::string& path) {
    if (&x == target)
      return true;
    if (!x.is_aggregate())
      return false;
    std::vector<std::string> steps;
    if (x.type != config_value::kind::group)
      steps = item_steps(x);
    for (size_t i = 0; i < x.items.size(); ++i) {
      auto size = path.size();
      auto next = append_step(path, x.type == config_value::kind::group ? x.items[i].name
                                                                        : steps[i]);
      if (find_path(x.items[i], target, next)) {
        path = std::move(next);
        return true;
      }
      path.resize(size);
    }
    return false;
  }

  std::string path_of(const config_value* x) const {
    std::string path;
    find_path(root_, x, path);
    return path;
  }

  void visit(config_value& x) {
    if (x.type == config_value::kind::string && x.text.find('$') != std::string::npos)
      resolve(x);
    for (auto& item : x.items)
      visit(item);
  }

  void error(const config_value& at, std::string message) {
    errors_.push_back({at.file, at.line, path_of(&at), std::move(message)});
  }

  // Interpolates one string value (once). False if it failed, now or before.
  bool resolve(config_value& x) {
    if (auto i = state_.find(&x); i != state_.end())
      return i->second == state::done;
    if (x.text.find('$') == std::string::npos)
      return true; // nothing to interpolate
    state_[&x] = state::resolving;
    stack_.push_back(&x);
    expansion out;
    bool ok = expand(x.text, x, out);
    stack_.pop_back();
    if (!ok) {
      state_[&x] = state::failed;
      return false;
    }
    if (out.adopt != nullptr) {
      auto name = std::move(x.name);
      auto file = std::move(x.file);
      auto line = x.line;
      x.type = out.adopt->type;
      x.integer = out.adopt->integer;
      x.floating = out.adopt->floating;
      x.boolean = out.adopt->boolean;
      x.text.clear();
      x.name = std::move(name);
      x.file = std::move(file);
      x.line = line;
    } else {
      x.text = std::move(out.text);
    }
    x.secret = x.secret || out.secret;
    x.interpolated = x.interpolated || out.substituted;
    state_[&x] = state::done;
    return true;
  }

  // Expands `text`, found in value `at`, into `out`. On failure, the error
  // has been reported (here or where it started).
  bool expand(std::string_view text, config_value& at, expansion& out) {
    for (size_t i = 0; i < text.size();) {
      if (text[i] != '$' || i + 1 >= text.size()) {
        out.text += text[i++];
        continue;
      }
      if (text[i + 1] == '$') {
        out.text += '$';
        i += 2;
        continue;
      }
      if (text[i + 1] != '{') {
        out.text += text[i++];
        continue;
      }
      auto close = closing_brace(text, i);
      if (close == std::string_view::npos) {
        error(at, "unterminated '${' in " + quote_of(at));
        return false;
      }
      auto inner = text.substr(i + 2, close - i - 2);
      bool whole = i == 0 && close + 1 == text.size();
      if (!substitute(inner, at, whole, out))
        return false;
      out.substituted = true;
      i = close + 1;
    }
    return true;
  }

  std::string quote_of(const config_value& at) {
    return at.secret ? std::string{"'***'"} : "'" + at.text + "'";
  }

  // Expands the default of "${name:-default}" (if any) into `out`.
  bool use_default(std::optional<std::string_view> fallback, config_value& at,
                   expansion& out) {
    expansion sub;
    if (!expand(*fallback, at, sub))
      return false;
    out.text += sub.text;
    out.secret = out.secret || sub.secret;
    return true;
  }

  bool substitute(std::string_view inner, config_value& at, bool whole, expansion& out) {
    std::optional<std::string_view> fallback;
    auto name = inner;
    if (auto sep = default_separator(inner); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    if (name.empty()) {
      error(at, "empty '${}' in " + quote_of(at));
      return false;
    }
    constexpr std::string_view secret_prefix = "secret:";
    if (name.substr(0, secret_prefix.size()) == secret_prefix)
      return secret(name.substr(secret_prefix.size()), fallback, at, out);
    if (name.find('.') != std::string_view::npos)
      return reference(name, fallback, at, whole, out);
    if (!valid_env_name(name)) {
      error(at, "bad variable name '" + std::string{name} +
                    "' (letters, digits and '_'; "
                    "a setting path needs a dot)");
      return false;
    }
    auto value = env_ ? env_(std::string{name}) : std::nullopt;
    if ((!value || value->empty()) && fallback)
      return use_default(fallback, at, out);
    if (!value) {
      error(at, "environment variable '" + std::string{name} + "' is not set");
      return false;
    }
    out.text += *value;
    return true;
  }

  bool secret(std::string_view name, std::optional<std::string_view> fallback,
              config_value& at, expansion& out) {
    if (!valid_secret_name(name)) {
      error(at, "bad secret name '" + std::string{name} +
                    "' (letters, digits, '_', '-' and '.')");
      return false;
    }
    auto dir = secrets_dir();
    if (!dir)
      return false;
    auto shown = (std::filesystem::path{*dir} / std::string{name}).string();
    auto file = std::filesystem::path{*dir}.is_absolute()
                    ? std::filesystem::path{shown}
                    : std::filesystem::path{base_dir_} / shown;
    std::error_code ec;
    auto st = std::filesystem::status(file, ec);
    if (std::filesystem::exists(st)) {
      std::ifstream in{file, std::ios::binary};
      if (!std::filesystem::is_regular_file(st) || !in) {
        error(at, "cannot read secret file '" + shown + "': " +
                      (std::filesystem::is_regular_file(st) ? std::strerror(errno)
                                                            : "not a regular file"));
        return false;
      }
      std::ostringstream buf;
      buf << in.rdbuf();
      auto text = buf.str();
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
      out.text += text;
      out.secret = true;
      return true;
    }
    auto exact = "WARDEN_SECRET_" + std::string{name};
    auto upper = secret_env_name(name);
    std::optional<std::string> value;
    if (env_) {
      value = env_(exact);
      if (!value && upper != exact)
        value = env_(upper);
    }
    if (value) {
      out.text += *value;
      out.secret = true;
      return true;
    }
    if (fallback)
      return use_default(fallback, at, out);
    error(at, "secret '" + std::string{name} + "' not found: no file '" + shown +
                  "' and " + upper + " is not set");
    return false;
  }

  // The secrets directory as written (`secrets.dir`, interpolated).
  std::optional<std::string> secrets_dir() {
    if (secrets_dir_)
      return secrets_dir_;
    auto node = lookup(root_, "secrets.dir");
    if (node == nullptr || node->type != config_value::kind::string) {
      secrets_dir_ = "secrets"; // a wrong type is reported by validation
      return secrets_dir_;
    }
    if (auto i = state_.find(node); i != state_.end() && i->second == state::resolving) {
      error(*node, "secrets.dir cannot use '${secret:...}'");
      return std::nullopt;
    }
    if (!resolve(*node))
      return std::nullopt;
    secrets_dir_ = node->text.empty() ? std::string{"."} : node->text;
    return secrets_dir_;
  }

  bool reference(std::string_view name, std::optional<std::string_view> fallback,
                 config_value& at, bool whole, expansion& out) {
    std::string why;
    if (!parse_path(name, &why)) {
      error(at, "bad reference '${" + std::string{name} + "}': " + why);
      return false;
    }
    auto target = lookup(root_, name);
    if (target == nullptr) {
      if (fallback)
        return use_default(fallback, at, out);
      error(at, "reference to missing setting '" + std::string{name} + "'");
      return false;
    }
    if (target->is_aggregate()) {
      error(at, "'${" + std::string{name} + "}' refers to a " + to_string(target->type) +
                    "; only a string, number or boolean can be referenced");
      return false;
    }
    if (target->type == config_value::kind::string) {
      if (auto i = state_.find(target);
          i != state_.end() && i->second == state::resolving) {
        report_cycle(*target);
        return false;
      }
      if (!resolve(*target))
        return false; // reported where it failed
    }
    auto text = scalar_text(*target);
    if (text.empty() && fallback)
      return use_default(fallback, at, out);
    if (whole && target->type != config_value::kind::string)
      out.adopt = target;
    out.text += text;
    out.secret = out.secret || target->secret;
    return true;
  }

  // `target` is being resolved further up the stack: the values from it to
  // the top of the stack form a cycle back to it.
  void report_cycle(const config_value& target) {
    std::string chain;
    bool in_cycle = false;
    for (auto node : stack_) {
      in_cycle = in_cycle || node == &target;
      if (in_cycle)
        chain += path_of(node) + " -> ";
    }
    chain += path_of(&target);
    error(target, "reference cycle: " + chain);
  }

  config_value& root_;
  const env_lookup& env_;
  std::string base_dir_;
  std::vector<config_error>& errors_;
  std::unordered_map<const config_value*, state> state_;
  std::vector<const config_value*> stack_;
  std::optional<std::string> secrets_dir_;
};

} // namespace

std::unordered_set<const config_value*> interpolate(config_value& root,
                                                    const env_lookup& env,
                                                    const std::string& base_dir,
                                                    std::vector<config_error>& errors) {
  interpolator x{root, env, base_dir, errors};
  return x.run();
}

} // namespace warden::detail
