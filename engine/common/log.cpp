#include "engine/common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>

#include "engine/common/secrets.h"

namespace mapengine {
namespace {
std::atomic<LogFormat> g_format{LogFormat::kText};
}

void configure_logging(LogFormat format, bool verbose) {
  g_format = format;
  auto logger = spdlog::stderr_logger_mt("mapengine");
  logger->set_pattern(format == LogFormat::kJson ? "%v" : "%H:%M:%S %^%l%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

LogFormat log_format() { return g_format; }

void log_event(spdlog::level::level_enum level, std::string_view event, std::string_view text,
               const nlohmann::json& fields) {
  if (!spdlog::default_logger()->should_log(level)) return;
  if (g_format == LogFormat::kJson) {
    nlohmann::json line = {
        {"ts", std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch()).count()},
        {"level", spdlog::level::to_string_view(level).data()},
        {"event", event},
        {"msg", text}};
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
    spdlog::log(level, "{}",
                redact_known_secrets(
                    line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    return;
  }
  std::string suffix;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    suffix += ' ';
    suffix += it.key();
    suffix += '=';
    suffix += it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  spdlog::log(level, "{}", redact_known_secrets(std::string(text) + suffix));
}

}  // namespace mapengine
