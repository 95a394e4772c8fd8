// mapengine reports failures with exceptions of one type, `mapengine::Error`.
//
// Policy (the one way errors travel in this code base):
//  - Anything that stops the current operation throws `Error`. Its `kind()` says what went wrong
//    and its `what()` is a single line a user can act on: it names the file:line:col, the
//    table / legacy key / column / value, or the SQLSTATE and server message concerned.
//  - Expected per-row failures (a transform rejecting a value, a lookup miss) are NOT exceptions:
//    they are values (`Rejection`, transform/transform.h) because they are part of normal flow.
//  - Lint findings are collected as `Diagnostic`s (spec/diagnostic.h), never thrown.
//  - No other exception type crosses a module boundary; std exceptions are wrapped at the edge.
//
// Thread-safety: Error is an immutable value; copies may be shared freely.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mapengine {

enum class ErrorKind {
  kUsage,       // bad command line: exit code 2
  kSpec,        // a mapping file is invalid
  kData,        // a value could not be processed and policy says stop
  kDatabase,    // the server refused a statement (SQLSTATE known)
  kConnection,  // the connection failed or was lost (retryable)
  kIo,          // a local file could not be read or written
  kConflict,    // state does not allow the operation (changed mapping, lock held, newer schema)
  kInterrupted, // the user asked to stop (SIGINT/SIGTERM)
  kInternal,    // a bug: an invariant did not hold
};

std::string_view to_string(ErrorKind kind);

// Where in a spec file something is. line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  std::string to_string() const;  // "file:line:col", omitting unknown parts
};

// What the server said about a failed statement (all empty for local errors).
struct ServerInfo {
  std::string sqlstate;  // five characters, e.g. "23505"
  std::string message;   // primary message
  std::string detail;
  std::string context;   // for COPY: "COPY t, line 37, column x: ..."
  std::string column;    // column concerned, when the server names one
  std::string constraint;
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string sqlstate = {})
      : std::runtime_error(std::move(message)), kind_(kind) {
    server_.sqlstate = std::move(sqlstate);
  }
  Error(ErrorKind kind, std::string message, ServerInfo server)
      : std::runtime_error(std::move(message)), kind_(kind), server_(std::move(server)) {}

  ErrorKind kind() const { return kind_; }
  // Five-character SQLSTATE for kDatabase/kConnection errors, empty otherwise.
  const std::string& sqlstate() const { return server_.sqlstate; }
  // The server's CONTEXT field (for COPY: "COPY t, line 37, column x: ..."), empty if none.
  const std::string& server_context() const { return server_.context; }
  const ServerInfo& server() const { return server_; }

  // True when redoing the same work may succeed: connection loss, serialization failure,
  // deadlock, admin shutdown, too many connections.
  bool is_transient() const;
  // True when the server refused for a reason that no retry can change; the user must fix the
  // mapping, the target schema, the credentials or the URL (exit code 5). By SQLSTATE class:
  // 42 syntax error or access rule violation (undefined table or column, permission denied),
  // 0A feature not supported, 28 invalid authorization, 3D invalid catalog name (no such
  // database), 3F invalid schema name. Never true for a transient error.
  bool is_permanent() const;

  static Error usage(std::string message) { return {ErrorKind::kUsage, std::move(message)}; }
  static Error spec(const SourceLocation& where, std::string_view message);
  static Error io(std::string message) { return {ErrorKind::kIo, std::move(message)}; }
  static Error conflict(std::string message) { return {ErrorKind::kConflict, std::move(message)}; }
  static Error internal(std::string message) { return {ErrorKind::kInternal, std::move(message)}; }

 private:
  ErrorKind kind_;
  ServerInfo server_;
};

}  // namespace mapengine
