#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace warden::detail {

// Typed reads of a service's params with a default; a wrong type throws
// `std::invalid_argument` naming the setting (the service fails with it).

inline std::string text_param(const nlohmann::json& params, const char* key,
                              std::string fallback) {
  if (!params.is_object() || !params.contains(key))
    return fallback;
  auto& x = params[key];
  if (!x.is_string())
    throw std::invalid_argument{std::string{"params."} + key + ": must be a string"};
  return x.get<std::string>();
}

inline bool bool_param(const nlohmann::json& params, const char* key, bool fallback) {
  if (!params.is_object() || !params.contains(key))
    return fallback;
  auto& x = params[key];
  if (!x.is_boolean())
    throw std::invalid_argument{std::string{"params."} + key + ": must be true or false"};
  return x.get<bool>();
}

inline int64_t positive_param(const nlohmann::json& params, const char* key,
                              int64_t fallback) {
  if (!params.is_object() || !params.contains(key))
    return fallback;
  auto& x = params[key];
  if (!x.is_number_integer() || x.get<int64_t>() <= 0)
    throw std::invalid_argument{std::string{"params."} + key +
                                ": must be a positive integer"};
  return x.get<int64_t>();
}

} // namespace warden::detail
