#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace warden {

/// How the `warden` control client reaches a running warden.
struct client_options {
  std::string host = "127.0.0.1";
  uint16_t port = 4711;
  std::string token;
  /// Print the reply's JSON instead of aligned text.
  bool json = false;
  /// `tree --dot`: Graphviz.
  bool dot = false;
  /// Connect with TLS (libcaf_openssl).
  bool tls = false;
  /// With TLS: the certificate (PEM) to trust, e.g. warden's own
  /// self-signed `control.tls_cert`.
  std::string tls_ca;
  /// With TLS: this client's certificate and key (PEM). CAF's openssl
  /// module authenticates both ends once either has a certificate; the
  /// client defaults to the config's `control.tls_cert`/`tls_key`.
  std::string tls_cert;
  std::string tls_key;
  /// Colour states (default: when standard output is a terminal).
  bool color = false;
  std::chrono::milliseconds timeout{5000};
};

/// Exit codes of the client (SPEC.md section 1).
constexpr int client_ok = 0;
constexpr int client_error = 1;
constexpr int client_unreachable = 4;
/// `status` found the tree `degraded` or `failing`.
constexpr int client_not_ok = 5;

/// Runs one control command against a running warden and prints the
/// answer; `tail` prints lifecycle events until interrupted or until warden
/// goes away. Returns 0, 1 (an error answer), 4 (cannot connect, or the
/// token was refused) or 5 (`status`: the tree is not `ok`).
int run_client(const std::string& command, const std::string& target,
               const client_options& opts);

/// Human output of a command's result (aligned text; states coloured).
std::string render_text(const std::string& command, const nlohmann::json& result,
                        bool color);

/// `tree --dot`: the tree as a Graphviz digraph.
std::string render_dot(const nlohmann::json& tree);

/// One line for a lifecycle event streamed by `tail`.
std::string render_event(const nlohmann::json& event, bool color);

} // namespace warden
