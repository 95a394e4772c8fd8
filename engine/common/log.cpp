#include "engine/common/log.h"

#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "engine/common/secrets.h"

namespace mapengine {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
LiveArea* g_live_area = nullptr;  // guarded by console_mutex()

// REQUIRES: console_mutex() held.
void write_above_live_area(std::string_view text) {
  std::string out;
  if (g_live_area != nullptr) out += g_live_area->erase_text();
  out += text;
  if (g_live_area != nullptr) out += g_live_area->redraw_text();
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

// spdlog's stderr sink, writing above the live area.
class ConsoleSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::lock_guard lock(console_mutex());
    write_above_live_area(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

std::mutex& console_mutex() {
  static std::mutex mutex;
  return mutex;
}

void set_live_area(LiveArea* area) { g_live_area = area; }

void print_to_stderr(std::string_view text) {
  std::lock_guard lock(console_mutex());
  write_above_live_area(text);
}

void configure_logging(LogFormat format, bool verbose) {
  g_format = format;
  auto logger = std::make_shared<spdlog::logger>("mapengine", std::make_shared<ConsoleSink>());
  logger->set_pattern(format == LogFormat::kJson ? "%v" : "%H:%M:%S %l %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

LogFormat log_format() { return g_format; }

namespace {

std::string json_line(spdlog::level::level_enum level, std::string_view event,
                      std::string_view text, const nlohmann::json& fields) {
  nlohmann::json line = {
      {"ts", std::chrono::duration<double>(
                 std::chrono::system_clock::now().time_since_epoch()).count()},
      {"level", spdlog::level::to_string_view(level).data()},
      {"event", event},
      {"msg", text}};
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  return redact_known_secrets(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void log_event(spdlog::level::level_enum level, std::string_view event, std::string_view text,
               const nlohmann::json& fields) {
  if (!spdlog::default_logger()->should_log(level)) return;
  if (g_format == LogFormat::kJson) {
    spdlog::log(level, "{}", json_line(level, event, text, fields));
    return;
  }
  // The message names its values; the fields are for JSON readers.
  spdlog::log(level, "{}", redact_known_secrets(std::string(text)));
}

void print_event(spdlog::level::level_enum level, std::string_view event, std::string_view text,
                 const nlohmann::json& fields, std::FILE* text_stream) {
  if (g_format == LogFormat::kJson) {
    print_to_stderr(json_line(level, event, text, fields) + "\n");
    return;
  }
  std::string line = redact_known_secrets(text) + "\n";
  if (text_stream == stderr) {
    print_to_stderr(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), text_stream);
    std::fflush(text_stream);
  }
}

}  // namespace mapengine
