#pragma once

#include <chrono>
#include <cstdint>

#include "warden/actors/service.hpp"

namespace warden {

/// Built-in type `heartbeat`: logs that the tree is alive every
/// `params.every_ms` (default 10000) and counts beats in its diagnostics
/// (`beats`). Takes a new interval live on reload.
class heartbeat : public service {
public:
  heartbeat(caf::actor_config& cfg, service_init init);

  void on_start() override;

  bool on_params(const nlohmann::json& params) override;

  caf::behavior make_service_behavior() override;

private:
  std::chrono::milliseconds every_;
  uint64_t generation_ = 0;
  uint64_t beats_ = 0;
};

} // namespace warden
