#include "warden/cli/heartbeat.hpp"

#include <spdlog/spdlog.h>

namespace warden {

namespace {

using beat_atom = caf::atom_constant<caf::atom("wd_beat")>;

std::chrono::milliseconds interval_of(const nlohmann::json& params) {
  auto ms = params.is_object() ? params.value("every_ms", 10000) : 10000;
  return std::chrono::milliseconds{ms > 0 ? ms : 10000};
}

} // namespace

heartbeat::heartbeat(caf::actor_config& cfg, service_init init)
  : service(cfg, std::move(init))
  , every_(interval_of(params())) {
  // nop
}

void heartbeat::on_start() {
  set_value("beats", "0");
  delayed_send(this, every_, beat_atom::value, generation_);
}

bool heartbeat::on_params(const nlohmann::json& params) {
  every_ = interval_of(params);
  // A new chain at the new rate; the old one ends at its next beat.
  delayed_send(this, every_, beat_atom::value, ++generation_);
  return true;
}

caf::behavior heartbeat::make_service_behavior() {
  return {
      [this](beat_atom, uint64_t generation) {
        if (generation != generation_)
          return;
        ++beats_;
        set_value("beats", std::to_string(beats_));
        if (auto log = spdlog::get("services"))
          log->info("{}: alive, beat {} every {} ms", path(), beats_, every_.count());
        delayed_send(this, every_, beat_atom::value, generation_);
      },
  };
}

} // namespace warden
