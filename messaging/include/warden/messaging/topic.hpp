#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden {

/// Splits a dotted topic or pattern into words ("a.b.c" → a, b, c).
std::vector<std::string_view> split_topic(std::string_view topic);

/// AMQP topic-exchange matching: words are separated by '.', `*` matches
/// exactly one word and `#` zero or more words. "File.*.#" matches
/// "File.Detected" and "File.Detected.node1".
bool topic_matches(std::string_view pattern, std::string_view topic);

/// Whether `topic` can be published: non-empty words and no wildcards.
bool valid_topic(std::string_view topic);

/// Whether `pattern` can be subscribed: non-empty words, where `*` and `#`
/// stand alone as whole words.
bool valid_pattern(std::string_view pattern);

} // namespace warden
