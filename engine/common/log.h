// Structured logging on top of spdlog. Every event has a name and fields; in text mode a line is
// the event's message alone (it already names the values), in JSON mode (--log-format json, or
// CI) each event is one JSON object per line on stderr with ts, level, event, msg and the fields.
//
// Log lines and a live area (the progress display's lines at the bottom of a terminal) share
// stderr under one lock: a log line erases the live area, is written, and the area is drawn
// again below it, so no stale progress line is ever left above a log line.
//
// Never pass a secret in fields or text: connection strings go through redact_conninfo first.
//
// Thread-safety: every function here may be called from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace mapengine {

enum class LogFormat { kText, kJson };

// Sets up the process-wide logger on stderr. `verbose` lowers the level to debug.
void configure_logging(LogFormat format, bool verbose);
LogFormat log_format();

void log_event(spdlog::level::level_enum level, std::string_view event, std::string_view text,
               const nlohmann::json& fields = nlohmann::json::object());

// Output a person reads as written (the databases, the plan, the summary table, the final
// error): in text mode `text` and a newline go to `text_stream` as they are, with no time or
// level; in JSON mode they are one event on stderr like log_event's (never filtered by level),
// so that every line of a JSON-log run parses. `text` may span lines.
void print_event(spdlog::level::level_enum level, std::string_view event, std::string_view text,
                 const nlohmann::json& fields = nlohmann::json::object(),
                 std::FILE* text_stream = stderr);

// Lines kept at the bottom of stderr while they are shown. Its functions are called with
// console_mutex() held.
class LiveArea {
 public:
  virtual ~LiveArea() = default;
  // Terminal text that erases the area's lines, leaving the cursor where the first one began.
  virtual std::string erase_text() = 0;
  // Terminal text that draws the area again (its last frame), ending on a fresh line.
  virtual std::string redraw_text() = 0;
};

// The lock every writer of stderr holds while a live area may be shown.
std::mutex& console_mutex();
// Registers the live area log lines are written above (nullptr: none). REQUIRES: the caller
// holds console_mutex().
void set_live_area(LiveArea* area);
// Writes `text` to stderr above the live area, if there is one.
void print_to_stderr(std::string_view text);

}  // namespace mapengine
