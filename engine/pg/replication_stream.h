// ReplicationStream: the streaming side of a logical replication session (the walsender
// protocol): create a slot with an exported snapshot, start streaming from a position, read the
// server's XLogData and keepalive messages, and acknowledge what the caller has made durable.
//
// The caller owns what the messages mean (follow/pgoutput.h decodes the XLogData payload) and
// when to acknowledge: the server keeps every WAL segment after the acknowledged position, so an
// acknowledgement must never run ahead of what the target committed, and a slot nobody reads
// keeps WAL forever.
//
// Thread-safety: one thread at a time, like the Connection it runs on.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/pg/connection.h"
#include "engine/pg/lsn.h"

namespace mapengine::pg {

// The server's clock in replication messages: microseconds since 2000-01-01 00:00 UTC.
std::int64_t replication_clock_now();

// A chunk of decoded WAL: one pgoutput message in `payload`.
struct XLogData {
  Lsn wal_start;
  Lsn wal_end;
  std::int64_t send_time = 0;
  std::string payload;
};

// The server's "are you there": where its WAL ends, and whether it wants an answer now (it
// drops the session after wal_sender_timeout without one).
struct Keepalive {
  Lsn wal_end;
  std::int64_t send_time = 0;
  bool reply_requested = false;
};

using StreamMessage = std::variant<XLogData, Keepalive>;

// Decodes one CopyData message of the replication stream ('w' XLogData or 'k' keepalive).
// Throws Error(kInternal) on anything else or a truncated message.
StreamMessage decode_stream_message(std::string_view bytes);
// Encodes a standby status update ('r'): written, flushed and applied positions.
std::string encode_standby_status(Lsn written, Lsn flushed, Lsn applied, std::int64_t now,
                                  bool reply_requested);

struct CreatedSlot {
  std::string name;
  Lsn consistent_point;  // the first change the slot will send comes after this position
  std::string snapshot;  // SET TRANSACTION SNAPSHOT name: the database as of consistent_point
};

class ReplicationStream {
 public:
  // REQUIRES: `connection` was opened with Session::kLogicalReplication and outlives this.
  explicit ReplicationStream(Connection& connection) : connection_(connection) {}

  // Creates a logical slot using the built-in pgoutput plugin and exports its snapshot. The
  // snapshot stays importable while this session stays open and idle: start() or any other
  // command on it ends the export.
  CreatedSlot create_slot(std::string_view name);
  // Starts streaming the slot's changes after `from` for the publication (protocol version 1).
  void start(std::string_view slot, Lsn from, std::string_view publication);
  // The next message, waiting at most `timeout` (0: only what already arrived); nullopt when
  // none came in time. Throws
  // Error(kConnection) when the server ends the stream or the connection breaks.
  std::optional<StreamMessage> next(std::chrono::milliseconds timeout);
  // Reports `flushed` as written, flushed and applied: the server may recycle WAL before it.
  void acknowledge(Lsn flushed, bool reply_requested = false);
  // The last position acknowledged.
  Lsn acknowledged() const { return acknowledged_; }
  bool streaming() const { return streaming_; }

 private:
  [[noreturn]] void fail(std::string_view what);

  Connection& connection_;
  bool streaming_ = false;
  Lsn acknowledged_;
};

}  // namespace mapengine::pg
