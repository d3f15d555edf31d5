#include "warden/schedule/find_zone.hpp"

#include <exception>

#include <date/tz.h>

namespace warden {

const date::time_zone* find_zone(const std::string& name, std::string* why) {
  if (name.empty())
    return local_zone();
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    if (why != nullptr)
      *why = "unknown time zone \"" + name + "\"";
    return nullptr;
  }
}

const date::time_zone* local_zone() {
  try {
    return date::current_zone();
  } catch (const std::exception&) {
    try {
      return date::locate_zone("Etc/UTC");
    } catch (const std::exception&) {
      return date::locate_zone("UTC");
    }
  }
}

std::string zone_name(const date::time_zone* zone) {
  return zone == nullptr ? std::string{} : std::string{zone->name()};
}

} // namespace warden
