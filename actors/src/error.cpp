#include "warden/actors/error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "warden/actors/enum_names.hpp"

namespace warden {

namespace {

constexpr const char* names[] = {
    "none",
    "exception",
    "service_failed",
    "intensity_exceeded",
    "invalid_spec",
    "unknown_child",
    "bad_state",
    "duplicate_child",
    "shutdown_timeout",
    "start_failed",
    "dependency_not_running",
    "invalid_argument",
    "unavailable",
};
static_assert(sizeof(names) / sizeof(names[0]) == error_count,
              "every warden::error needs a name");

std::string context_text(const caf::message& ctx) {
  std::string result;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!ctx.match_element<std::string>(i))
      continue;
    auto& part = ctx.get_as<std::string>(i);
    if (part.empty())
      continue;
    if (!result.empty())
      result += i == 1 ? "; cause: " : "; ";
    result += part;
  }
  return result;
}

} // namespace

const char* to_string(error x) noexcept {
  return enum_name(names, x);
}

bool from_string(const std::string& name, error& x) noexcept {
  return enum_from_name(names, name, x);
}

caf::error make_error(error code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

caf::error make_error(error code, std::string message, const caf::error& cause) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message), describe(cause))};
}

std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& context) {
  if (category == error_category) {
    std::string result = to_string(static_cast<error>(code));
    auto text = context_text(context);
    if (!text.empty()) {
      result += ": ";
      result += text;
    }
    return result;
  }
  if (category == caf::atom("exit")) {
    std::string result = caf::to_string(static_cast<caf::exit_reason>(code));
    if (!context.empty())
      result += " " + caf::to_string(context);
    return result;
  }
  if (category == caf::atom("system")) {
    std::string result = caf::to_string(static_cast<caf::sec>(code));
    if (!context.empty())
      result += " " + caf::to_string(context);
    return result;
  }
  return caf::to_string(caf::error{code, category, context});
}

std::string describe(const caf::error& x) {
  if (!x)
    return "normal";
  return render_error(x.code(), x.category(), x.context());
}

} // namespace warden
