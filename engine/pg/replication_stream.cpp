#include "engine/pg/replication_stream.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>

#include "engine/common/error.h"
#include "engine/pg/wire_reader.h"

namespace mapengine::pg {
namespace {

// Seconds from the Unix epoch to PostgreSQL's (2000-01-01).
constexpr std::int64_t kPostgresEpochUnixSeconds = 946684800;

}  // namespace

std::int64_t replication_clock_now() {
  auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return since_unix - kPostgresEpochUnixSeconds * 1'000'000;
}

StreamMessage decode_stream_message(std::string_view bytes) {
  WireReader in(bytes, "replication stream");
  char tag = static_cast<char>(in.u8());
  if (tag == 'w') {
    XLogData data;
    data.wal_start = Lsn{in.u64()};
    data.wal_end = Lsn{in.u64()};
    data.send_time = in.i64();
    data.payload = std::string(in.rest());
    return data;
  }
  if (tag == 'k') {
    Keepalive alive;
    alive.wal_end = Lsn{in.u64()};
    alive.send_time = in.i64();
    alive.reply_requested = in.u8() != 0;
    return alive;
  }
  throw Error(ErrorKind::kInternal,
              fmt::format("malformed replication stream message: unknown type '{}'", tag));
}

std::string encode_standby_status(Lsn written, Lsn flushed, Lsn applied, std::int64_t now,
                                  bool reply_requested) {
  std::string out;
  put_u8(out, 'r');
  put_u64(out, written.value);
  put_u64(out, flushed.value);
  put_u64(out, applied.value);
  put_u64(out, static_cast<std::uint64_t>(now));
  put_u8(out, reply_requested ? 1 : 0);
  return out;
}

void ReplicationStream::fail(std::string_view what) {
  throw_error(connection_.raw(), nullptr, connection_.role(), what);
}

CreatedSlot ReplicationStream::create_slot(std::string_view name) {
  // EXPORT_SNAPSHOT is the spelling every server from 10 on accepts.
  Result result = connection_.exec(fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput "
                                               "EXPORT_SNAPSHOT",
                                               connection_.quote_identifier(name)));
  if (result.rows() != 1 || result.columns() < 3) {
    throw Error(ErrorKind::kInternal, "CREATE_REPLICATION_SLOT returned an unexpected result");
  }
  auto point = Lsn::parse(result.value(0, 1));
  if (!point) {
    throw Error(ErrorKind::kInternal,
                fmt::format("CREATE_REPLICATION_SLOT returned an unreadable position '{}'",
                            result.value(0, 1)));
  }
  return CreatedSlot{std::string(result.value(0, 0)), *point, std::string(result.value(0, 2))};
}

void ReplicationStream::start(std::string_view slot, Lsn from, std::string_view publication) {
  std::string command = fmt::format(
      "START_REPLICATION SLOT {} LOGICAL {} (proto_version '1', publication_names {})",
      connection_.quote_identifier(slot), from.to_string(),
      connection_.quote_literal(connection_.quote_identifier(publication)));
  PGresult* result = PQexec(connection_.raw(), command.c_str());
  bool ok = result != nullptr && PQresultStatus(result) == PGRES_COPY_BOTH;
  if (!ok) throw_error(connection_.raw(), result, connection_.role(), "START_REPLICATION");
  PQclear(result);
  streaming_ = true;
  acknowledged_ = from;
}

std::optional<StreamMessage> ReplicationStream::next(std::chrono::milliseconds timeout) {
  PGconn* conn = connection_.raw();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool polled = false;  // the socket was read at least once (also with a zero timeout)
  for (;;) {
    char* buffer = nullptr;
    int length = PQgetCopyData(conn, &buffer, 1);
    if (length > 0) {
      std::string_view bytes(buffer, static_cast<std::size_t>(length));
      StreamMessage message = [&] {
        try {
          return decode_stream_message(bytes);
        } catch (...) {
          PQfreemem(buffer);
          throw;
        }
      }();
      PQfreemem(buffer);
      return message;
    }
    if (length == -1) {
      // The server ended the stream: collect its reason.
      streaming_ = false;
      PGresult* result = PQgetResult(conn);
      std::string what = "the replication stream";
      if (result != nullptr && PQresultStatus(result) != PGRES_COMMAND_OK) {
        throw_error(conn, result, connection_.role(), what);
      }
      PQclear(result);
      throw Error(ErrorKind::kConnection,
                  fmt::format("{}: the server ended the replication stream", connection_.role()),
                  "08006");
    }
    if (length == -2) fail("reading the replication stream");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && polled) return std::nullopt;
    polled = true;
    pollfd descriptor{PQsocket(conn), POLLIN, 0};
    int ready = ::poll(&descriptor, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (ready < 0 && errno != EINTR) fail("waiting for the replication stream");
    if (ready > 0 && PQconsumeInput(conn) == 0) fail("reading the replication stream");
  }
}

void ReplicationStream::acknowledge(Lsn flushed, bool reply_requested) {
  std::string message =
      encode_standby_status(flushed, flushed, flushed, replication_clock_now(), reply_requested);
  PGconn* conn = connection_.raw();
  if (PQputCopyData(conn, message.data(), static_cast<int>(message.size())) != 1 ||
      PQflush(conn) != 0) {
    fail("acknowledging the replication stream");
  }
  acknowledged_ = flushed;
}

}  // namespace mapengine::pg
