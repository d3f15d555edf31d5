#include "warden/config/config_error.hpp"

namespace warden {

std::string to_string(const config_error& x) {
  std::string result = x.file;
  if (x.line > 0)
    result += ':' + std::to_string(x.line);
  result += ": ";
  if (!x.setting.empty())
    result += x.setting + ": ";
  result += x.message;
  return result;
}

std::string to_string(const std::vector<config_error>& xs) {
  std::string result;
  for (auto& x : xs)
    result += to_string(x) + '\n';
  return result;
}

bool operator==(const config_error& x, const config_error& y) {
  return x.file == y.file && x.line == y.line && x.setting == y.setting &&
         x.message == y.message;
}

} // namespace warden
