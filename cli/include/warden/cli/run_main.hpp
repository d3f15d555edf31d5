#pragma once

#include <caf/atom.hpp>

#include "warden/supervisor/service_types.hpp"

namespace warden {

/// warden's command line (`run`, `check`, `config`, `version`; see README):
/// a program with its own service types is
///
/// ```
/// int main(int argc, char** argv) {
///   warden::service_types types;
///   types.add<my_service>("my_service");
///   return warden::run_main(argc, argv, std::move(types));
/// }
/// ```
///
/// The built-in types (`heartbeat`) are added to `types`. Returns the exit
/// code: 0 clean stop, 1 config error, 2 usage error, 3 the root supervisor
/// gave up.
int run_main(int argc, char** argv, service_types types = {});

/// Under this name in CAF's actor registry, `warden run` keeps the actor that
/// owns the running config: send it `reload_atom` to reload the file now
/// (the reply is the one-line summary, or an error naming the problems).
constexpr caf::atom_value reloader_name = caf::atom("wd_config");

/// Adds warden's built-in service types to `types`.
void add_builtin_types(service_types& types);

/// The config compiled into the binary, used when no file is found.
const char* embedded_default_config();

} // namespace warden
