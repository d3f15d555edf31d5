#pragma once

// Internal: where each setting sits in libconfig text, byte for byte, so
// that `set_setting` can change one value and leave every other byte alone.
// Also finds integers that libconfig 1.5 would silently wrap.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::detail {

/// One setting (or list/array item) of the text.
struct text_span {
  enum class kind { group, list, array, scalar };
  kind type = kind::group;
  /// The setting's name; empty for list and array items and the root.
  std::string name;
  /// Offset of the name (of the value for items).
  size_t begin = 0;
  /// The value's text: [value_begin, value_end).
  size_t value_begin = 0;
  size_t value_end = 0;
  /// For aggregates: the offsets of the opening and closing bracket (the
  /// root group has no brackets: open = npos, close = text size).
  size_t open = std::string_view::npos;
  size_t close = 0;
  /// For string scalars: the decoded text.
  bool is_string = false;
  std::string text;
  std::vector<text_span> items;

  const text_span* member(std::string_view key) const;
};

/// An integer literal outside what libconfig 1.5 reads without wrapping.
struct wrapped_integer {
  unsigned line;
  std::string literal;
};

struct scan_result {
  text_span root;
  std::vector<wrapped_integer> wrapped;
};

/// Scans `text`, which libconfig has accepted. Nothing (with the reason in
/// `why`) if the text does not have the expected shape.
std::optional<scan_result> scan_config_text(std::string_view text,
                                            std::string* why = nullptr);

/// The 1-based line of `offset` in `text`.
unsigned line_of(std::string_view text, size_t offset);

/// Lines of offsets in one text, found by binary search.
class line_index {
public:
  explicit line_index(std::string_view text);

  /// The 1-based line of `offset`.
  unsigned line(size_t offset) const;

private:
  std::vector<size_t> starts_;
};

} // namespace warden::detail
