#include "warden/config/dump.hpp"

#include "value_text.hpp"

namespace warden {

std::string dump(const loaded_config& cfg) {
  detail::render_options opts;
  opts.redact = true;
  opts.escape_dollar = true;
  opts.multiline = true;
  return detail::render_members(cfg.settings, opts, 0);
}

std::optional<std::string> get(const loaded_config& cfg, const std::string& key) {
  auto x = lookup(cfg.settings, key);
  if (x == nullptr)
    return std::nullopt;
  if (x->secret)
    return "***";
  if (x->is_scalar())
    return detail::scalar_text(*x);
  detail::render_options opts;
  opts.multiline = true;
  return detail::render_value(*x, opts);
}

nlohmann::json redact(const nlohmann::json& params,
                      const std::vector<std::string>& secret_pointers) {
  auto result = params;
  for (auto& pointer : secret_pointers) {
    try {
      nlohmann::json::json_pointer p{pointer};
      if (result.contains(p))
        result[p] = "***";
    } catch (const nlohmann::json::exception&) {
      // not a pointer into these params: nothing to hide there
    }
  }
  return result;
}

std::string to_config_text(const config_value& value) {
  return detail::render_value(value, detail::render_options{});
}

} // namespace warden
