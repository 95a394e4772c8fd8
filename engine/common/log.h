// Structured logging on top of spdlog. Every event has a name and fields; in text mode it reads
// as a sentence with key=value pairs, in JSON mode (--log-format json, or CI) each event is one
// JSON object per line on stderr with ts, level, event, msg and the fields.
//
// Never pass a secret in fields or text: connection strings go through redact_conninfo first.
//
// Thread-safety: log_event may be called from any thread (spdlog's mt sinks).
#pragma once

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <string_view>

namespace mapengine {

enum class LogFormat { kText, kJson };

// Sets up the process-wide logger on stderr. `verbose` lowers the level to debug.
void configure_logging(LogFormat format, bool verbose);
LogFormat log_format();

void log_event(spdlog::level::level_enum level, std::string_view event, std::string_view text,
               const nlohmann::json& fields = nlohmann::json::object());

}  // namespace mapengine
