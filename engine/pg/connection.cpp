#include "engine/pg/connection.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "engine/common/error.h"
#include "engine/common/secrets.h"

namespace mapengine::pg {
namespace {

std::string field(PGresult* result, int code) {
  const char* value = result ? PQresultErrorField(result, code) : nullptr;
  return value ? value : "";
}

std::string trim_newline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// libpq gives no SQLSTATE for a failed connection attempt; the server's FATAL text tells the
// refusals that no retry changes (wrong password, unknown role or database) from the rest.
std::string connect_sqlstate(std::string_view message) {
  if (message.find("password authentication failed") != std::string_view::npos) return "28P01";
  if (message.find("no password supplied") != std::string_view::npos) return "28P01";
  if (message.find("no pg_hba.conf entry") != std::string_view::npos) return "28000";
  if (message.find("role \"") != std::string_view::npos &&
      message.find("\" does not exist") != std::string_view::npos) {
    return "28000";
  }
  if (message.find("database \"") != std::string_view::npos &&
      message.find("\" does not exist") != std::string_view::npos) {
    return "3D000";
  }
  return "08001";
}

}  // namespace

void throw_error(PGconn* conn, PGresult* result, std::string_view role, std::string_view what) {
  ServerInfo server{field(result, PG_DIAG_SQLSTATE),     field(result, PG_DIAG_MESSAGE_PRIMARY),
                    field(result, PG_DIAG_MESSAGE_DETAIL), field(result, PG_DIAG_CONTEXT),
                    field(result, PG_DIAG_COLUMN_NAME),    field(result, PG_DIAG_CONSTRAINT_NAME)};
  std::string& sqlstate = server.sqlstate;
  std::string primary = server.message;
  const std::string& detail = server.detail;
  const std::string& context = server.context;
  bool connection_lost = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  if (primary.empty()) {
    primary = trim_newline(conn ? PQerrorMessage(conn) : "connection failed");
    server.message = primary;
  }
  std::string message = fmt::format("{}: {} failed: {}", role, what, primary);
  if (!sqlstate.empty()) message += fmt::format(" [SQLSTATE {}]", sqlstate);
  if (!detail.empty()) message += fmt::format(" (DETAIL: {})", detail);
  if (!context.empty()) message += fmt::format(" (CONTEXT: {})", trim_newline(context));
  ErrorKind kind = (connection_lost || sqlstate.rfind("08", 0) == 0 || sqlstate.empty())
                       ? ErrorKind::kConnection
                       : ErrorKind::kDatabase;
  if (sqlstate == "57014" && wait_was_cancelled()) {
    kind = ErrorKind::kInterrupted;
    message = fmt::format("{}: {} cancelled: the run was interrupted", role, what);
  }
  if (sqlstate.empty() && connection_lost) sqlstate = "08006";
  throw Error(kind, std::move(message), std::move(server));
}

Connection::Connection(const std::string& conninfo, std::string role, Session session)
    : role_(std::move(role)), conninfo_(conninfo) {
  // The conninfo is expanded in place of dbname; the fallback application name lets operators
  // see mapengine's sessions in pg_stat_activity unless the conninfo names its own.
  std::string application = "mapengine-" + role_;
  // A server that accepts and never answers must not hang the run: connect_timeout comes before
  // dbname, so that the conninfo's own wins; PGCONNECT_TIMEOUT wins too.
  const char* environment_timeout = std::getenv("PGCONNECT_TIMEOUT");
  std::string timeout = environment_timeout != nullptr && *environment_timeout != '\0'
                            ? environment_timeout
                            : std::to_string(kConnectTimeoutSeconds);
  // client_encoding comes last so that it always holds: quoting assumes UTF-8.
  // replication comes after dbname too: a conninfo cannot turn a replication session off.
  const char* replication =
      session == Session::kLogicalReplication ? "database" : nullptr;
  const char* keywords[] = {"fallback_application_name", "connect_timeout", "dbname",
                            "client_encoding", replication != nullptr ? "replication" : nullptr,
                            nullptr};
  const char* values[] = {application.c_str(), timeout.c_str(), conninfo.c_str(), "UTF8",
                          replication, nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? trim_newline(PQerrorMessage(conn_)) : "out of memory";
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    message = redact_secrets_of(message, conninfo);
    if (message.find("timeout expired") != std::string::npos) {
      message += " (no answer from the server; connect_timeout in the connection string or "
                 "PGCONNECT_TIMEOUT sets how long to wait)";
    }
    throw Error(ErrorKind::kConnection,
                fmt::format("{}: cannot connect to {}: {}", role_, redact_conninfo(conninfo),
                            message),
                connect_sqlstate(message));
  }
  // Server notices go nowhere: mapengine reports what matters itself.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  cancel_.reset(PQgetCancel(conn_), [](PGcancel* handle) {
    if (handle != nullptr) PQfreeCancel(handle);
  });
}

Connection::Connection(Connection&& other) noexcept
    : conn_(other.conn_),
      role_(std::move(other.role_)),
      conninfo_(std::move(other.conninfo_)),
      cancel_(std::move(other.cancel_)),
      held_(other.held_),
      nesting_(other.nesting_) {
  other.conn_ = nullptr;
  other.held_ = false;
  other.nesting_ = 0;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_) PQfinish(conn_);
    conn_ = other.conn_;
    role_ = std::move(other.role_);
    conninfo_ = std::move(other.conninfo_);
    cancel_ = std::move(other.cancel_);
    held_ = other.held_;
    nesting_ = other.nesting_;
    other.conn_ = nullptr;
    other.held_ = false;
    other.nesting_ = 0;
  }
  return *this;
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

void Connection::fail(PGresult* result, std::string_view what) {
  std::unique_ptr<PGresult, decltype(&PQclear)> guard(result, &PQclear);
  throw_error(conn_, result, role_, what);
}

Result Connection::check(PGresult* result, std::string_view what) {
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return Result(result);
  }
  fail(result, what);
}

namespace {
std::string describe(std::string_view sql) {
  std::string text(sql.substr(0, 60));
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return sql.size() > 60 ? "statement \"" + text + "...\"" : "statement \"" + text + "\"";
}
}  // namespace

WaitInfo Connection::wait_info(std::string what) const {
  return WaitInfo{cancel_, role_, std::move(what), conninfo_, backend_pid()};
}

Result Connection::exec(std::string_view sql) {
  if (held_) check_held(sql);
  std::string text(sql);
  WaitScope wait(wait_info(describe(sql)));
  return check(PQexec(conn_, text.c_str()), describe(sql));
}

std::vector<Result> Connection::exec_each(std::string_view sql) {
  if (held_) check_held(sql);
  std::string text(sql);
  WaitScope wait(wait_info(describe(sql)));
  if (PQsendQuery(conn_, text.c_str()) != 1) throw_error(conn_, nullptr, role_, describe(sql));
  std::vector<Result> results;
  PGresult* failed = nullptr;
  bool copied = false;
  while (PGresult* result = PQgetResult(conn_)) {
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      // A COPY among the statements is refused: ended at once, so that the loop ends.
      copied = true;
      if (status == PGRES_COPY_IN) {
        PQputCopyEnd(conn_, "mapengine: COPY is not allowed here");
      } else {
        char* row = nullptr;
        while (PQgetCopyData(conn_, &row, 0) > 0) PQfreemem(row);
      }
      PQclear(result);
    } else if (failed == nullptr && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
               status != PGRES_EMPTY_QUERY) {
      failed = result;  // the rest is drained: libpq needs every result read
    } else if (failed == nullptr) {
      results.emplace_back(result);
    } else {
      PQclear(result);
    }
  }
  if (failed != nullptr) fail(failed, describe(sql));
  if (copied) throw Error::internal(fmt::format("{}: COPY is not allowed here", describe(sql)));
  return results;
}

Result Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  if (held_) check_held(sql);
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  WaitScope wait(wait_info(describe(sql)));
  return check(PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0),
               describe(sql));
}

void Connection::copy_in_begin(std::string_view copy_sql) {
  if (held_) check_held(copy_sql);
  std::string text(copy_sql);
  WaitScope wait(wait_info(describe(copy_sql)));
  PGresult* result = PQexec(conn_, text.c_str());
  if (result == nullptr || PQresultStatus(result) != PGRES_COPY_IN) fail(result, describe(copy_sql));
  PQclear(result);
}

void Connection::copy_in_send(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) {
    throw_error(conn_, nullptr, role_, "sending COPY data");
  }
}

long Connection::copy_in_end() {
  WaitScope wait(wait_info("the end of a COPY"));
  if (PQputCopyEnd(conn_, nullptr) != 1) throw_error(conn_, nullptr, role_, "ending COPY");
  Result last;
  PGresult* failed = nullptr;
  while (PGresult* result = PQgetResult(conn_)) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK && failed == nullptr) {
      failed = result;
      continue;
    }
    if (result != failed) last = Result(result);
  }
  if (failed != nullptr) fail(failed, "COPY");
  return last.affected();
}

void Connection::copy_in_abort(std::string_view reason) {
  std::string text(reason);
  PQputCopyEnd(conn_, text.c_str());
  while (PGresult* result = PQgetResult(conn_)) PQclear(result);
}

long Connection::copy_out(std::string_view copy_sql,
                          const std::function<bool(std::string_view)>& consume) {
  if (held_) check_held(copy_sql);
  std::string text(copy_sql);
  {
    // Watched until the rows start to flow: a lock is waited for here. After that, the time
    // goes to `consume` as much as to the server.
    WaitScope wait(wait_info(describe(copy_sql)));
    PGresult* started = PQexec(conn_, text.c_str());
    if (started == nullptr || PQresultStatus(started) != PGRES_COPY_OUT) {
      fail(started, describe(copy_sql));
    }
    PQclear(started);
  }
  bool stopped = false;
  for (;;) {
    char* buffer = nullptr;
    int length = PQgetCopyData(conn_, &buffer, 0);
    if (length > 0) {
      bool more = stopped || consume(std::string_view(buffer, static_cast<size_t>(length)));
      PQfreemem(buffer);
      if (!more && !stopped) {
        stopped = true;
        cancel();
      }
      continue;
    }
    if (buffer) PQfreemem(buffer);
    if (length == -1) break;  // done; the final result follows
    throw_error(conn_, nullptr, role_, "reading COPY data");
  }
  long rows = 0;
  PGresult* failed = nullptr;
  while (PGresult* result = PQgetResult(conn_)) {
    if (PQresultStatus(result) == PGRES_COMMAND_OK) {
      rows = Result(result).affected();
    } else if (failed == nullptr) {
      failed = result;
    } else {
      PQclear(result);
    }
  }
  if (failed != nullptr) {
    if (stopped) {
      PQclear(failed);
      return rows;
    }
    fail(failed, describe(copy_sql));
  }
  return rows;
}

std::string Connection::quote_identifier(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) throw_error(conn_, nullptr, role_, "quoting an identifier");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string Connection::quote_literal(std::string_view value) const {
  char* quoted = PQescapeLiteral(conn_, value.data(), value.size());
  if (quoted == nullptr) throw_error(conn_, nullptr, role_, "quoting a literal");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

bool Connection::in_transaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

std::string Connection::savepoint(int level) { return fmt::format("mapengine_level_{}", level); }

void Connection::begin(std::string_view then) {
  if (!held_) {
    try {
      if (then.empty()) {
        exec("BEGIN");
      } else {
        exec_each(fmt::format("BEGIN; {}", then));
      }
    } catch (...) {
      abandon_transaction();
      throw;
    }
    return;
  }
  exec("SAVEPOINT " + savepoint(nesting_ + 1));
  ++nesting_;
  if (then.empty()) return;
  try {
    exec_each(then);
  } catch (...) {
    abandon_transaction();
    throw;
  }
}

void Connection::commit() {
  if (!held_) {
    exec("COMMIT");
    return;
  }
  if (nesting_ == 0) throw Error::internal(role_ + ": commit() without begin() in a held transaction");
  // What COMMIT would check, checked now: deferred constraints (they stay immediate for the rest
  // of the held transaction, which only moves a refusal from a COMMIT to a statement's end).
  exec_each("SET CONSTRAINTS ALL IMMEDIATE; RELEASE SAVEPOINT " + savepoint(nesting_));
  --nesting_;
}

void Connection::abandon_transaction() noexcept {
  if (held_) {
    if (nesting_ == 0) return;  // the held transaction is its holder's to end
    std::string name = savepoint(nesting_--);
    if (!is_ok()) return;
    try {
      exec(fmt::format("ROLLBACK TO SAVEPOINT {0}; RELEASE SAVEPOINT {0}", name));
    } catch (...) {
    }
    return;
  }
  if (!is_ok() || !in_transaction()) return;
  try {
    exec("ROLLBACK");
  } catch (...) {
  }
}

void Connection::hold_transaction() {
  if (held_ || in_transaction()) {
    throw Error::internal(role_ + ": hold_transaction() inside a transaction");
  }
  // Idle between statements while the next batch is read from the source: not a leak.
  exec_each("BEGIN; SET LOCAL idle_in_transaction_session_timeout = 0");
  held_ = true;
  nesting_ = 0;
}

void Connection::end_held_transaction() noexcept {
  held_ = false;
  nesting_ = 0;
  abandon_transaction();
}

void Connection::commit_held_transaction() {
  if (!held_ || nesting_ != 0) {
    throw Error::internal(role_ + ": commit_held_transaction() without a held transaction");
  }
  held_ = false;
  Result result = exec("COMMIT");
  // COMMIT of a failed transaction succeeds as a ROLLBACK.
  if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
    throw Error(ErrorKind::kDatabase,
                role_ + ": the transaction had failed and was rolled back at COMMIT", "25P02");
  }
}

void Connection::check_held(std::string_view sql) const {
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    throw Error::internal(fmt::format("{}: the held transaction has ended; refusing {}", role_,
                                      describe(sql)));
  }
  size_t start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return;
  size_t end = sql.find_first_of(" \t\r\n;", start);
  std::string word(sql.substr(start, end == std::string_view::npos ? end : end - start));
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool ends = word == "BEGIN" || word == "START" || word == "COMMIT" || word == "END" ||
              word == "ABORT" || word == "PREPARE";
  if (word == "ROLLBACK") {
    size_t next = sql.find_first_not_of(" \t\r\n", end == std::string_view::npos ? sql.size() : end);
    ends = next == std::string_view::npos ||
           !(sql.size() - next >= 2 && std::toupper(static_cast<unsigned char>(sql[next])) == 'T' &&
             std::toupper(static_cast<unsigned char>(sql[next + 1])) == 'O');
  }
  if (ends) {
    throw Error::internal(fmt::format(
        "{}: {} would end the held transaction (use begin()/commit())", role_, describe(sql)));
  }
}

Result Connection::exec_isolated(std::string_view sql, const std::vector<Param>& params) {
  if (!held_) return exec(sql, params);
  begin();
  Result result;
  try {
    result = exec(sql, params);
  } catch (...) {
    abandon_transaction();
    throw;
  }
  commit();
  return result;
}

void Connection::cancel() {
  PGcancel* handle = PQgetCancel(conn_);
  if (handle == nullptr) return;
  char error[256];
  PQcancel(handle, error, sizeof error);
  PQfreeCancel(handle);
}

}  // namespace mapengine::pg
