#pragma once

#include <caf/atom.hpp>

namespace warden {

// Atoms of warden's own protocol. CAF 0.17 atoms hold at most 10 characters;
// the `wd_` prefix keeps them apart from CAF's and users' atoms.

/// service → supervisor: the service finished its start work
/// (`ready_atom, service_init::slot, service_init::run`).
using ready_atom = caf::atom_constant<caf::atom("wd_ready")>;
/// → supervisor: add and start a child (`child_spec`).
using start_child_atom = caf::atom_constant<caf::atom("wd_start")>;
/// → supervisor: stop a child by name; it stays stopped until started.
using stop_child_atom = caf::atom_constant<caf::atom("wd_stop")>;
/// → supervisor: restart a child (or start a stopped one) by name.
using restart_child_atom = caf::atom_constant<caf::atom("wd_restart")>;
/// → supervisor: stop and remove a child by name.
using delete_child_atom = caf::atom_constant<caf::atom("wd_delete")>;
/// → supervisor: snapshots of all children, in start order.
using which_children_atom = caf::atom_constant<caf::atom("wd_which")>;
/// → supervisor: its strategy, intensity window use and children
/// (`supervisor_info`).
using info_atom = caf::atom_constant<caf::atom("wd_info")>;
/// → supervisor: stop all children in reverse order, then quit normally.
using shutdown_atom = caf::atom_constant<caf::atom("wd_shut")>;
/// supervisor → service: new params as JSON text; replies true if taken live.
using params_atom = caf::atom_constant<caf::atom("wd_params")>;
/// → supervisor: apply a new spec (`reload_plan`); → reloader: reload now.
using reload_atom = caf::atom_constant<caf::atom("wd_reload")>;
/// → reloader: `enable_atom, path, bool`: persist `enabled` of the child
/// at `path` in the config file (as `config set` does), then reload.
using enable_atom = caf::atom_constant<caf::atom("wd_enable")>;
/// a child's exit hook → its supervisor: an instance ended.
using child_down_atom = caf::atom_constant<caf::atom("wd_down")>;
/// supervisor → itself: a backoff delay ended.
using restart_timer_atom = caf::atom_constant<caf::atom("wd_rtimer")>;
/// supervisor → itself: a child's shutdown deadline passed.
using stop_timer_atom = caf::atom_constant<caf::atom("wd_stimer")>;

} // namespace warden
