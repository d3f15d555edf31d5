#pragma once

// Internal: "did you mean" for unknown names.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::detail {

/// Edit distance counting insertions, deletions, substitutions and swaps of
/// adjacent characters (optimal string alignment), ignoring case.
size_t edit_distance(std::string_view x, std::string_view y);

/// The candidate closest to `word`, if it is close enough to be a likely
/// typo: at most a third of the word's length away (at least 1, at most 3).
std::optional<std::string> suggest(std::string_view word,
                                   const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word,
                         const std::vector<std::string>& candidates);

} // namespace warden::detail
