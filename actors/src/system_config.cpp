#include "warden/actors/system_config.hpp"

#include <thread>

#include "warden/actors/bus_message.hpp"
#include "warden/actors/diagnostics.hpp"
#include "warden/actors/error.hpp"
#include "warden/actors/lifecycle.hpp"
#include "warden/actors/tick.hpp"

namespace warden {

system_config::system_config(const runtime_options& opts)
  : threads_(opts.threads != 0 ? opts.threads
                               : std::max(1u, std::thread::hardware_concurrency())) {
  set("scheduler.max-threads", threads_);
  set("scheduler.max-throughput", opts.max_throughput);
  if (opts.testing)
    set("scheduler.policy", caf::atom("testing"));
  else if (opts.policy == "sharing")
    set("scheduler.policy", caf::atom("sharing"));
  else
    set("scheduler.policy", caf::atom("stealing"));
  add_error_category(error_category, render_error);
  add_message_type<exit_record>("warden::exit_record");
  add_message_type<diagnostics_snapshot>("warden::diagnostics_snapshot");
  add_message_type<std::vector<diagnostics_snapshot>>(
      "std::vector<warden::diagnostics_snapshot>");
  add_message_type<lifecycle_event>("warden::lifecycle_event");
  add_message_type<tick>("warden::tick");
  add_message_type<bus_message>("warden::bus_message");
}

} // namespace warden
