#include "warden/actors/identity.hpp"

#include <mutex>

namespace warden {

namespace {

std::mutex mtx;
identity current;

} // namespace

void set_identity(identity x) {
  std::lock_guard<std::mutex> guard{mtx};
  current = std::move(x);
}

identity current_identity() {
  std::lock_guard<std::mutex> guard{mtx};
  return current;
}

} // namespace warden
