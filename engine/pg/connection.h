// Connection: owning wrapper of a libpq PGconn with the few operations mapengine needs:
// simple and parameterised statements, COPY FROM STDIN, COPY TO STDOUT, and quoting.
//
// Every failure throws mapengine::Error: kConnection when the connection is unusable (retryable),
// kInterrupted when the wait watcher cancelled the statement because the user asked to stop,
// kDatabase with SQLSTATE, message, DETAIL and CONTEXT otherwise. Every statement is registered
// with the wait watcher while it runs (wait_watcher.h). Messages name the connection's
// role ("source" / "target") and never contain the password.
//
// Pooler safety: nothing here relies on session state across transactions; statements are sent
// unnamed (PQexecParams), so a transaction-mode pooler (pgbouncer, Supabase) is fine.
//
// Thread-safety: a Connection is used by one thread at a time (libpq's rule); distinct
// Connections are independent.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pg/result.h"
#include "engine/pg/wait_watcher.h"

namespace mapengine::pg {

using Param = std::optional<std::string>;

inline constexpr int kConnectTimeoutSeconds = 10;

// What a connection is for: ordinary statements, or a logical replication session
// (replication=database: replication commands such as CREATE_REPLICATION_SLOT and
// START_REPLICATION, plus plain SQL). Poolers do not carry replication sessions.
enum class Session { kNormal, kLogicalReplication };

class Connection {
 public:
  // Opens a connection. `role` names it in messages ("source", "target"). Connecting gives up
  // after kConnectTimeoutSeconds unless the conninfo or PGCONNECT_TIMEOUT says otherwise.
  // REQUIRES: conninfo is a libpq key=value string or URI.
  Connection(const std::string& conninfo, std::string role, Session session = Session::kNormal);
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements without parameters; returns the last result.
  Result exec(std::string_view sql);
  // Runs several statements (separated by ';', no parameters) in one round trip and returns
  // every statement's result, in order. The server stops at the first failing statement; that
  // failure is thrown. A COPY among them is refused with an error.
  std::vector<Result> exec_each(std::string_view sql);
  // Runs one statement with text parameters ($1, $2, ...); std::nullopt is NULL.
  Result exec(std::string_view sql, const std::vector<Param>& params);

  // COPY ... FROM STDIN: begin, send any number of chunks, end. end() returns the row count.
  // On a server error, end() throws and the transaction is aborted.
  void copy_in_begin(std::string_view copy_sql);
  void copy_in_send(std::string_view data);
  long copy_in_end();
  // Abandons a COPY IN (the server raises an error and the transaction aborts).
  void copy_in_abort(std::string_view reason);

  // COPY ... TO STDOUT: calls `consume` with each chunk (one or more whole rows in text format).
  // Returns the row count. `consume` may return false to stop early (the connection is then
  // reset to a usable state by cancelling).
  long copy_out(std::string_view copy_sql, const std::function<bool(std::string_view)>& consume);

  std::string quote_identifier(std::string_view name) const;
  std::string quote_literal(std::string_view value) const;

  bool in_transaction() const;

  // Transactions that nest inside a held one. begin() opens a transaction (BEGIN) or, while the
  // connection is held (hold_transaction()), a savepoint, and runs `then` (statements separated by
  // ';', such as SET LOCAL ...) in it, in one round trip when it can; it either succeeds or leaves
  // nothing open. commit() ends what the matching begin() opened: COMMIT, or (after checking the
  // deferred constraints, as COMMIT would) RELEASE SAVEPOINT.
  void begin(std::string_view then = {});
  void commit();
  // Rolls back what begin() opened last, on an error path: the transaction, or inside a held
  // transaction the innermost savepoint (the held transaction itself stays). Never throws: a
  // broken connection has no transaction left to end, and the error being handled is the one to
  // tell.
  void abandon_transaction() noexcept;

  // Opens a transaction that only end_held_transaction() ends, always by rolling it back: the
  // dry run rehearses a whole migration in it. While held, begin()/commit() make savepoints, a
  // statement that starts by ending the transaction (BEGIN, COMMIT, END, ROLLBACK, ABORT,
  // PREPARE, ...) is refused with Error(kInternal) before it is sent, and so is any statement once
  // the transaction has ended. REQUIRES: no transaction is open.
  void hold_transaction();
  // Rolls the held transaction back (with every savepoint in it). Never throws.
  void end_held_transaction() noexcept;
  // Commits the held transaction instead: change-following writes one source transaction's
  // effects, across mappings, in one. Throws when the server refuses the COMMIT or the
  // transaction had failed (then nothing of it persists). REQUIRES: held, no savepoint open.
  void commit_held_transaction();
  bool held() const { return held_; }
  // Savepoints begin() has open inside the held transaction.
  int nesting() const { return nesting_; }
  // Runs one statement whose failure the caller handles and goes on: inside a held transaction it
  // runs under a savepoint, so that its failure does not abort the transaction.
  Result exec_isolated(std::string_view sql, const std::vector<Param>& params);
  bool is_ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  int server_version() const { return PQserverVersion(conn_); }
  int backend_pid() const { return PQbackendPID(conn_); }
  const std::string& role() const { return role_; }
  PGconn* raw() const { return conn_; }

  // Cancels the statement now running on this connection, from any thread.
  void cancel();

 private:
  [[noreturn]] void fail(PGresult* result, std::string_view what);
  Result check(PGresult* result, std::string_view what);
  // Registers a statement with the wait watcher for the scope's lifetime.
  WaitInfo wait_info(std::string what) const;

  // While held: refuses `sql` if it would end the held transaction, or if it has ended.
  void check_held(std::string_view sql) const;
  // The savepoint begin() opens at nesting `level`.
  static std::string savepoint(int level);

  PGconn* conn_ = nullptr;
  std::string role_;
  std::string conninfo_;
  std::shared_ptr<PGcancel> cancel_;  // for the wait watcher, which may outlive a statement
  bool held_ = false;
  int nesting_ = 0;
};

// Builds an Error from a failed result (or from the connection when result is null).
// `what` is a short description of the operation ("COPY into public.t").
[[noreturn]] void throw_error(PGconn* conn, PGresult* result, std::string_view role,
                              std::string_view what);

}  // namespace mapengine::pg
