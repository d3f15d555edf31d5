#pragma once

#include <cstdint>

#include "warden/actors/service.hpp"
#include "warden/supervisor/path_registry.hpp"

namespace warden {

/// Built-in type `health`: answers every `Health.Request` on the bus with
/// `Health.Response.<program>.<node>` (SPEC.md section 4: `id` of the
/// request, `program`, `node`, `pid`, `uptime_s` of the tree, `status` `ok`
/// | `degraded` | `failing`, and every child's path, state and restarts),
/// built from the diagnostics of the whole tree (`registry_of(system())`).
/// With a `rabbitmq` section, requests from the broker reach it through the
/// gateway, whose own built-in answer steps aside while a child of type
/// `health` exists. No params. Diagnostics value: `answered`.
class health : public service {
public:
  using service::service;

  const char* name() const override;

  void on_start() override;

  void on_message(const bus_message& msg) override;

  caf::behavior make_service_behavior() override;

private:
  path_registry_ptr registry_;
  uint64_t answered_ = 0;
};

} // namespace warden
