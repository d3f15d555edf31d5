#pragma once

#include <optional>
#include <string>
#include <vector>

#include "warden/config/config_error.hpp"
#include "warden/config/config_value.hpp"
#include "warden/config/environment.hpp"
#include "warden/config/warden_config.hpp"
#include "warden/supervisor/service_types.hpp"

namespace warden {

/// How to load a config.
struct load_options {
  /// The service types `type = "..."` may name; "supervisor" is always
  /// known. Null: only supervisors. Must outlive the call.
  const service_types* types = nullptr;
  /// Where `${VAR}` and `WARDEN_SECRET_*` are looked up; empty: the process
  /// environment.
  env_lookup env;
  /// `--set KEY=VALUE` overrides, applied in order on top of the parsed file
  /// before interpolation and validation. KEY is a setting path (see
  /// `parse_path`); missing groups are created. VALUE is read as a libconfig
  /// value: a number, `true`/`false`, a quoted string, `[...]`, `(...)` or
  /// `{...}`; anything else is taken as a bare string.
  std::vector<std::string> overrides;
  /// For `load_text`: the directory that `secrets.dir` and `@include` start
  /// from; empty means the working directory. `load_file` uses the file's
  /// directory.
  std::string base_dir;
};

/// A config that passed validation: the value structs plus the effective
/// settings (interpolated, overrides applied, defaults filled in, secrets
/// marked) for `dump` and `get`.
struct loaded_config {
  warden_config config;
  config_value settings;
};

/// The outcome of a load: a config, or every error found.
struct load_result {
  /// Set if and only if `errors` is empty.
  std::optional<loaded_config> config;
  std::vector<config_error> errors;

  bool ok() const noexcept {
    return errors.empty();
  }
};

/// Loads, interpolates and validates the config file at `path`. Errors name
/// `path` as given.
///
/// Interpolation, in every string value (before validation):
/// - `${VAR}`: the environment variable VAR; unset is an error naming it.
/// - `${VAR:-default}`: `default` when VAR is unset or empty (the shell's
///   rule); the default may itself contain `${...}`.
/// - `${secret:NAME}`: the file `<secrets.dir>/NAME` (relative to the config
///   file's directory) without its trailing newlines, else the environment
///   variable `WARDEN_SECRET_<NAME>` (tried as written, then upper-cased
///   with '-' and '.' turned into '_'); neither is an error. The value is
///   marked secret: `dump`, `get` and error messages show "***".
/// - `${path.to.key}`: another setting of the same file, interpolated in
///   turn; a reference cycle is an error naming the cycle. A name with a dot
///   is a setting path, a name without one an environment variable
///   (environment names never contain dots); `${.program}` refers to a
///   top-level setting. A value that is exactly one reference to a number or
///   boolean takes that type. Only scalars can be referenced.
/// - `$$` is a literal '$'; a '$' not followed by '{' stays as it is.
load_result load_file(const std::string& path, const load_options& opts = {});

/// Loads config text, e.g. from standard input or an embedded default;
/// errors name the file `name` ("-" for standard input).
load_result load_text(const std::string& text, const std::string& name,
                      const load_options& opts = {});

} // namespace warden
