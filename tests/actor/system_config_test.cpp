// warden sizes CAF itself and never reads CAF's own config file.

#include <filesystem>
#include <fstream>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "warden/actors/system_config.hpp"

namespace warden {
namespace {

TEST(system_config, ignores_a_stray_caf_application_ini) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("warden-ini-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto old = fs::current_path();
  fs::current_path(dir);
  {
    std::ofstream ini{"caf-application.ini"};
    ini << "[scheduler]\nmax-threads=7\npolicy='sharing'\n";
  }
  runtime_options opts;
  opts.threads = 3;
  system_config cfg{opts};
  {
    caf::actor_system sys{cfg};
    EXPECT_EQ(sys.scheduler().num_workers(), 3u);
  }
  fs::current_path(old);
  fs::remove_all(dir);
}

TEST(system_config, defaults_to_one_worker_per_hardware_thread) {
  system_config cfg;
  caf::actor_system sys{cfg};
  EXPECT_EQ(sys.scheduler().num_workers(),
            std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(cfg.threads(), sys.scheduler().num_workers());
}

} // namespace
} // namespace warden
