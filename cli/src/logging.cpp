#include "logging.hpp"

#include <filesystem>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace warden {

bool setup_logging(const log_config& cfg, const std::string& base_dir, std::string* why) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
  if (!cfg.file.empty()) {
    std::filesystem::path file = cfg.file;
    if (file.is_relative())
      file = std::filesystem::path{base_dir} / file;
    try {
      if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path());
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          file.string(), size_t{cfg.max_size_mb} * 1024 * 1024, cfg.max_files));
    } catch (const std::exception& e) {
      if (why != nullptr)
        *why = "log.file: cannot open " + file.string() + ": " + e.what();
      return false;
    }
  }
  auto level_of = [&](const std::string& name) {
    auto i = cfg.levels.find(name);
    return spdlog::level::from_str(i != cfg.levels.end() ? i->second : cfg.level);
  };
  spdlog::drop_all();
  for (auto name : {"warden", "supervisor", "services", "config"}) {
    auto log = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    log->set_level(level_of(name));
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    log->flush_on(spdlog::level::info);
    spdlog::register_logger(log);
    if (std::string{name} == "warden")
      spdlog::set_default_logger(log);
  }
  return true;
}

} // namespace warden
