// Defining services in code: a counter service under a supervisor, a crash,
// the restart, and the diagnostics that show it. Run it:
//   build/examples/custom_service/warden_example_custom_service
#include <chrono>
#include <iostream>
#include <thread>

#include <caf/all.hpp>

#include "warden/actors/error.hpp"
#include "warden/actors/service.hpp"
#include "warden/actors/system_config.hpp"
#include "warden/supervisor/supervisor.hpp"

using namespace std::chrono_literals;

// Step 1: a service is a CAF actor deriving from warden::service. It sets
// key/value state and flags that anyone can read without messaging it, and
// ends itself with fail() when its input is bad.
class counter : public warden::service {
public:
  using service::service;

  void on_start() override {
    set_value("total", "0");
  }

  caf::behavior make_service_behavior() override {
    return {
        [this](caf::add_atom, int n) {
          if (n < 0)
            fail("negative input " +
                 std::to_string(n)); // a crash: the supervisor restarts us
          total_ += n;
          set_value("total", std::to_string(total_));
          return total_;
        },
    };
  }

private:
  int total_ = 0;
};

// Waits (bounded) until `pred` holds; the example is about the API, not timing.
template <class Pred>
bool await(Pred pred) {
  for (int i = 0; i < 500 && !pred(); ++i)
    std::this_thread::sleep_for(2ms);
  return pred();
}

int main() {
  // Step 2: an actor system sized by warden (2 workers), never by CAF's defaults.
  warden::system_config cfg{warden::runtime_options{2}};
  caf::actor_system sys{cfg};

  // Step 3: the tree as plain data: one_for_one, at most 3 restarts in 5 s.
  warden::supervisor_spec spec;
  spec.flags.intensity = 3;
  spec.flags.period = 5s;
  spec.children.push_back(warden::worker("counter", warden::make_factory<counter>()));
  warden::supervisor_context ctx;
  auto root = warden::spawn_supervisor(sys, "root", spec, ctx);
  if (!root) {
    std::cerr << warden::describe(root.error()) << "\n";
    return 1;
  }

  // Step 4: reach the child by its stable path and use it.
  caf::scoped_actor self{sys};
  await([&] { return ctx.registry->whereis("root/counter") != nullptr; });
  auto first = ctx.registry->whereis("root/counter");
  self->request(first, 1s, caf::add_atom::value, 40)
      .receive([](int total) { std::cout << "total after +40: " << total << "\n"; },
               [](caf::error& err) {
                 std::cout << "error: " << warden::describe(err) << "\n";
               });

  // Step 5: bad input crashes it; the supervisor restarts a fresh instance.
  self->send(first, caf::add_atom::value, -1);
  await([&] {
    auto now = ctx.registry->whereis("root/counter");
    return now && now != first;
  });
  auto diag = ctx.registry->find("root/counter")->snapshot(sys.clock().now());
  std::cout << "state: " << warden::to_string(diag.state)
            << ", restarts: " << diag.restarts
            << ", last exit: " << diag.exits.back().reason << "\n";
  std::cout << "total after restart: " << diag.values["total"] << "\n";

  // Step 6: stop the tree right to left and wait for it.
  self->monitor(*root);
  self->send_exit(*root, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg& msg) {
    std::cout << "root stopped: " << warden::describe(msg.reason) << "\n";
  });
  return 0;
}

// Expected output:
//   total after +40: 40
//   state: running, restarts: 1, last exit: service_failed: negative input -1
//   total after restart: 0
//   root stopped: user_shutdown
