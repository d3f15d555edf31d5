#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

/// One setting of a config file as plain data, after interpolation and
/// overrides: what `config dump` prints and `config get` reads. Nothing
/// outside `config/` sees libconfig; this tree is what it becomes.
struct config_value {
  enum class kind : uint8_t {
    group,     ///< `{ name = value; ... }`: named items
    list,      ///< `( value, ... )`: unnamed items of any kind
    array,     ///< `[ scalar, ... ]`: unnamed scalars
    integer,   ///< 32-bit in the file; `integer` holds it
    integer64, ///< written with an `L` suffix
    floating,
    string,
    boolean,
  };

  kind type = kind::group;
  /// Empty for the root and for the items of lists and arrays.
  std::string name;
  int64_t integer = 0;
  double floating = 0.0;
  bool boolean = false;
  std::string text;
  /// The items of groups, lists and arrays, in file order.
  std::vector<config_value> items;
  /// Where the setting was written: the file's display name ("--set" for an
  /// override) and the 1-based line (0 for overrides and defaults).
  std::string file;
  unsigned line = 0;
  /// Holds secret text (from `${secret:...}`, directly or through a
  /// reference): printed as "***" everywhere.
  bool secret = false;
  /// The value came out of `${...}` interpolation: a string that reads as a
  /// number or boolean is accepted where one is expected.
  bool interpolated = false;
  /// Not in the file: filled in with its documented default.
  bool is_default = false;

  bool is_aggregate() const noexcept {
    return type == kind::group || type == kind::list || type == kind::array;
  }

  bool is_scalar() const noexcept {
    return !is_aggregate();
  }

  /// The item of a group named `key`, or null.
  const config_value* member(std::string_view key) const;
  config_value* member(std::string_view key);
};

/// "group", "list", "array", "integer", "float", "string", "boolean".
const char* to_string(config_value::kind x) noexcept;

/// One step of a setting path: a name, or the index of an item of a list or
/// array.
struct path_segment {
  std::string name;
  std::optional<size_t> index;
};

/// Reads a setting path. Steps are separated by dots: a name selects a
/// setting of a group, a number or `[N]` selects the N-th item of a list or
/// array, and a name applied to a list selects the group item whose `name`
/// setting equals it, so "supervisor.children.watcher.restart",
/// "supervisor.children[0].restart" and "supervisor.children.0.restart" may
/// all denote one setting. A leading dot is ignored (".program").
std::optional<std::vector<path_segment>> parse_path(std::string_view path,
                                                    std::string* why = nullptr);

/// The setting at `path` below `root`, or null.
const config_value* lookup(const config_value& root, std::string_view path);
config_value* lookup(config_value& root, std::string_view path);

/// The steps that name the items of `list` in a path, one per item: the
/// item's `name` when it is a group with a string `name` that is unique in the
/// list, made of letters, digits, '_' and '-' (not only digits) and not secret,
/// otherwise "[index]".
std::vector<std::string> item_steps(const config_value& list);

/// Appends one step to a path: "a" + "b" = "a.b", "a" + "[0]" = "a[0]".
std::string append_step(const std::string& path, const std::string& step);

} // namespace warden
