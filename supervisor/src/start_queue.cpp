#include "start_queue.hpp"

namespace warden::detail {

dep_check check_deps(const child& c) noexcept {
  dep_check result;
  for (auto d : c.deps) {
    if (d->ready())
      continue;
    if (d->coming()) {
      if (result.status == dep_check::ready) {
        result.status = dep_check::coming;
        result.culprit = d;
      }
      continue;
    }
    result.status = dep_check::down;
    result.culprit = d;
    return result;
  }
  return result;
}

} // namespace warden::detail
