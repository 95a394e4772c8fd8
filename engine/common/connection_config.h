// ConnectionConfig: where the source (legacy) and target databases are, resolved the same way by
// every command that connects (lint --db, apply, validate).
//
// Precedence, for each of source and target independently:
//   1. the command-line flag (--source / --target), when given;
//   2. the environment variable MAPENGINE_SOURCE_URL / MAPENGINE_TARGET_URL, when set and
//   non-empty;
//   3. the same variable in a `.env` file in the current working folder, when present.
// A side that is configured nowhere stays empty; the caller decides whether it needs it.
//
// Example:
//   ConnectionConfig c = resolve_connections(source_flag, std::nullopt);
//   if (c.target.empty()) throw Error::usage("set MAPENGINE_TARGET_URL or pass --target");
//
// Thread-safety: resolve_connections reads the environment and the file system; call it from the
// main thread before starting workers.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace mapengine {

inline constexpr const char* kSourceUrlVariable = "MAPENGINE_SOURCE_URL";
inline constexpr const char* kTargetUrlVariable = "MAPENGINE_TARGET_URL";

struct ConnectionConfig {
  std::string source;  // libpq conninfo or URI of the legacy database; empty when not configured
  std::string target;  // libpq conninfo or URI of the new database; empty when not configured
};

ConnectionConfig resolve_connections(std::optional<std::string> source_flag,
                                     std::optional<std::string> target_flag);

// Same, reading the dotenv file at `dotenv_path` instead of ./.env (for tests).
ConnectionConfig resolve_connections(std::optional<std::string> source_flag,
                                     std::optional<std::string> target_flag,
                                     const std::string& dotenv_path);

// Parses dotenv text: `KEY=value` lines, optional `export ` prefix, `#` comments, values optionally
// in single quotes (verbatim) or double quotes (\n, \" and \\ escapes). Malformed lines are
// skipped. Variable references inside values are not expanded.
std::map<std::string, std::string> parse_dotenv(const std::string& text);

}  // namespace mapengine
