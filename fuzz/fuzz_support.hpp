#pragma once

// What every fuzz target shares: a failed invariant (`fuzz_check`) and a
// temporary directory that lives as long as the process. Each target includes
// this header from its one source file.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

/// UB is a finding, also when a target runs without scripts/fuzz's
/// UBSAN_OPTIONS (which take precedence over these).
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

namespace warden::fuzz {

/// A broken invariant: says which and traps, so that libFuzzer keeps the
/// input as a crash artifact.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what);
  if (!detail.empty())
    std::fprintf(stderr, "%.*s\n", static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  __builtin_trap();
}

/// Traps unless `ok`.
inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok)
    fail(what, detail);
}

/// A fresh directory below $TMPDIR (or /tmp), removed at exit. Made once per
/// process: the targets keep their files below it.
inline const std::string& temp_root() {
  struct dir {
    std::string path;
    dir() {
      auto base = std::filesystem::temp_directory_path() / "warden_fuzz_XXXXXX";
      path = base.string();
      if (::mkdtemp(path.data()) == nullptr) {
        std::fprintf(stderr, "mkdtemp %s: %s\n", path.c_str(), std::strerror(errno));
        std::abort();
      }
    }
    ~dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static dir instance;
  return instance.path;
}

/// Writes `bytes` to `path` (replacing it); aborts on failure.
inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

} // namespace warden::fuzz
