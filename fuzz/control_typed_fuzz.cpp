// libFuzzer target: bytes in CAF's binary format as the typed control
// messages that cross the network through CAF's middleman (registered with
// `add_control_types`): `control_request`, `control_reply`, `control_event`
// and `supervisor_info`, each on its own and inside a `caf::message` as the
// control actor receives it. A request then goes through the checks the
// control actor makes (`check_control_request`); anything else is printed as
// the actor's default handler logs a stray message.
//
// Input: the serialized fields of one value (a message header for the type is
// put in front for the message case).
//
// Invariants (a violation traps):
// - deserializing returns (no exception escapes, no memory error);
// - a value that deserialized serializes to bytes that deserialize, all of
//   them, to a value that serializes to the same bytes;
// - the checks hold for requests (control_checks.hpp).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "control_checks.hpp"
#include "fuzz_support.hpp"
#include "warden/control/protocol.hpp"
#include "warden/supervisor/supervisor.hpp"

namespace {

using namespace warden;
using bytes = std::vector<char>;

// An actor system with the control types registered and no threads of its
// own (the deterministic test scheduler); needed to read a `caf::message`.
struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  // Per type: the bytes of a message holding one value, before the value.
  bytes request_header;
  bytes reply_header;
  bytes event_header;
  bytes info_header;

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    add_control_types(cfg, false);
    sys = std::make_unique<caf::actor_system>(cfg);
    request_header = header(control_request{"status", "", {}, "", "1"});
    reply_header = header(control_reply{"1", true, "{}", ""});
    event_header = header(control_event{"{}"});
    info_header = header(supervisor_info{"one_for_one", 1, 5000, 0, {}});
  }

  template <class T>
  bytes serialize(const T& x) {
    bytes buf;
    caf::binary_serializer sink{*sys, buf};
    if (auto err = sink(const_cast<T&>(x)))
      fuzz::fail("cannot serialize", caf::to_string(err));
    return buf;
  }

  template <class T>
  bytes header(const T& x) {
    auto msg = serialize(caf::make_message(x));
    auto value = serialize(x);
    fuzz::check(msg.size() >= value.size() &&
                    std::equal(value.begin(), value.end(), msg.end() - value.size()),
                "a message does not end with its value's bytes");
    return bytes(msg.begin(), msg.end() - value.size());
  }
};

// Never destroyed: ~actor_system at exit, after CAF's own statics are gone,
// dereferences a null pointer.
fixture& the_fixture() {
  static auto instance = new fixture;
  return *instance;
}

// Serialize, deserialize, serialize: the same bytes, all of them read.
template <class T>
void check_round_trip(fixture& fx, const T& x) {
  auto first = fx.serialize(x);
  T y;
  caf::binary_deserializer source{*fx.sys, first};
  auto err = source(y);
  fuzz::check(!err, "a serialized value does not deserialize");
  fuzz::check(source.remaining() == 0, "a serialized value is not read to its end");
  fuzz::check(fx.serialize(y) == first,
              "a value serializes differently after a round trip");
}

template <class T>
void one_value(fixture& fx, const char* data, size_t size) {
  T x;
  caf::binary_deserializer source{*fx.sys, data, size};
  if (source(x))
    return;
  check_round_trip(fx, x);
  (void)caf::deep_to_string(x);
  if constexpr (std::is_same_v<T, control_request>)
    fuzz::check_request_rules(x, false);
}

void one_message(fixture& fx, const bytes& header, const char* data, size_t size) {
  bytes input = header;
  input.insert(input.end(), data, data + size);
  caf::message msg;
  caf::binary_deserializer source{*fx.sys, input};
  if (source(msg))
    return;
  check_round_trip(fx, msg);
  // The control actor's default handler logs what it does not understand.
  (void)caf::to_string(msg);
  if (msg.match_elements<control_request>())
    fuzz::check_request_rules(msg.get_as<control_request>(0), false);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fx = the_fixture();
  auto p = reinterpret_cast<const char*>(data);
  one_value<control_request>(fx, p, size);
  one_value<control_reply>(fx, p, size);
  one_value<control_event>(fx, p, size);
  one_value<supervisor_info>(fx, p, size);
  one_message(fx, fx.request_header, p, size);
  one_message(fx, fx.reply_header, p, size);
  one_message(fx, fx.event_header, p, size);
  one_message(fx, fx.info_header, p, size);
  return 0;
}
