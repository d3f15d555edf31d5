// A program with a service type of its own and warden's whole command line,
// built against the installed package (find_package(warden)):
//
//   warden_consumer check -c consumer.cfg    # the config may name `counter`
//   warden_consumer run -c consumer.cfg
#include <string>

#include <spdlog/spdlog.h>

#include "warden/actors/service.hpp"
#include "warden/cli/run_main.hpp"

using add_atom = caf::atom_constant<caf::atom("add")>;

// A service that keeps a running total in its diagnostics, starting at
// `params.start`: `warden inspect root/<name>` shows it as the value `total`.
class counter : public warden::service {
public:
  using service::service;

  void on_start() override {
    total_ = params().value("start", 0);
    set_value("total", std::to_string(total_));
    spdlog::get("services")->info("{}: counting from {}", path(), total_);
  }

  caf::behavior make_service_behavior() override {
    return {[this](add_atom, int n) {
      total_ += n;
      set_value("total", std::to_string(total_));
      return total_;
    }};
  }

private:
  int total_ = 0;
};

int main(int argc, char** argv) {
  warden::service_types types;
  types.add<counter>("counter"); // `type = "counter"` in the config
  return warden::run_main(argc, argv, std::move(types));
}
