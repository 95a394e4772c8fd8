#include "engine/common/error.h"

#include <fmt/format.h>

namespace mapengine {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kSpec: return "spec";
    case ErrorKind::kData: return "data";
    case ErrorKind::kDatabase: return "database";
    case ErrorKind::kConnection: return "connection";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kInterrupted: return "interrupted";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

std::string SourceLocation::to_string() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

bool Error::is_transient() const {
  if (is_permanent()) return false;
  if (kind_ == ErrorKind::kConnection) return true;
  if (kind_ != ErrorKind::kDatabase) return false;
  // 40001 serialization_failure, 40P01 deadlock_detected, 08xxx connection exceptions,
  // 57P01..57P03 admin shutdown / crash shutdown / cannot connect now, 53300 too many connections.
  return server_.sqlstate == "40001" || server_.sqlstate == "40P01" || server_.sqlstate.rfind("08", 0) == 0 ||
         server_.sqlstate == "57P01" || server_.sqlstate == "57P02" || server_.sqlstate == "57P03" ||
         server_.sqlstate == "53300";
}

bool Error::is_permanent() const {
  if (kind_ != ErrorKind::kDatabase && kind_ != ErrorKind::kConnection) return false;
  std::string_view state = server_.sqlstate;
  if (state.size() != 5) return false;
  std::string_view sqlclass = state.substr(0, 2);
  return sqlclass == "42" || sqlclass == "0A" || sqlclass == "28" || sqlclass == "3D" ||
         sqlclass == "3F";
}

Error Error::spec(const SourceLocation& where, std::string_view message) {
  return {ErrorKind::kSpec, fmt::format("{}: {}", where.to_string(), message)};
}

}  // namespace mapengine
