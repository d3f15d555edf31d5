#include "warden/messaging/topic.hpp"

namespace warden {

std::vector<std::string_view> split_topic(std::string_view topic) {
  std::vector<std::string_view> words;
  size_t start = 0;
  for (;;) {
    auto dot = topic.find('.', start);
    if (dot == std::string_view::npos) {
      words.push_back(topic.substr(start));
      return words;
    }
    words.push_back(topic.substr(start, dot - start));
    start = dot + 1;
  }
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
  auto p = split_topic(pattern);
  auto t = split_topic(topic);
  // reach[j]: the pattern prefix seen so far can match the first j words.
  std::vector<char> reach(t.size() + 1, 0);
  reach[0] = 1;
  for (auto& word : p) {
    std::vector<char> next(t.size() + 1, 0);
    if (word == "#") {
      char any = 0;
      for (size_t j = 0; j <= t.size(); ++j) {
        any = any || reach[j];
        next[j] = any;
      }
    } else {
      for (size_t j = 0; j < t.size(); ++j)
        if (reach[j] && (word == "*" || word == t[j]))
          next[j + 1] = 1;
    }
    reach.swap(next);
  }
  return reach[t.size()] != 0;
}

bool valid_topic(std::string_view topic) {
  if (topic.empty())
    return false;
  for (auto word : split_topic(topic))
    if (word.empty() || word.find_first_of("*#") != std::string_view::npos)
      return false;
  return true;
}

bool valid_pattern(std::string_view pattern) {
  if (pattern.empty())
    return false;
  for (auto word : split_topic(pattern)) {
    if (word.empty())
      return false;
    if (word != "*" && word != "#" && word.find_first_of("*#") != std::string_view::npos)
      return false;
  }
  return true;
}

} // namespace warden
