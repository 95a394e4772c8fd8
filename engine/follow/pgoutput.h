// Decoding of pgoutput, PostgreSQL's built-in logical decoding output (protocol version 1):
// the messages a replication slot sends inside XLogData, one per call.
//
// A transaction arrives as Begin, then Relation messages (a table's columns, sent before its
// first change in the session and again after its definition changes), Insert / Update /
// Delete / Truncate, then Commit. Values are text in the server's output format; `unchanged`
// marks a TOASTed value an UPDATE did not touch (the server does not send it again).
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/pg/lsn.h"

namespace mapengine::follow {

struct RelationColumn {
  std::string name;
  std::uint32_t type = 0;
  std::int32_t type_modifier = -1;
  bool in_key = false;  // part of the replica identity: sent in a DELETE's old row
};

struct Relation {
  std::uint32_t id = 0;  // the table's OID
  std::string schema;
  std::string name;
  char replica_identity = 'd';  // d default (primary key), f full, i index, n nothing
  std::vector<RelationColumn> columns;
};

enum class CellKind { kNull, kUnchanged, kText };

struct Cell {
  CellKind kind = CellKind::kNull;
  std::string text;  // for kText
};
using Tuple = std::vector<Cell>;

struct Begin {
  pg::Lsn final_lsn;
  std::int64_t commit_time = 0;  // microseconds since 2000-01-01 UTC
  std::uint32_t xid = 0;
};

struct Commit {
  pg::Lsn commit_lsn;
  pg::Lsn end_lsn;  // acknowledge this once the transaction's effects are durable
  std::int64_t commit_time = 0;
};

struct Insert {
  std::uint32_t relation = 0;
  Tuple row;
};

struct Update {
  std::uint32_t relation = 0;
  // The old row's key columns ('K') or whole old row ('O', REPLICA IDENTITY FULL), when the
  // server sends it: only when a key column changed, or with FULL.
  std::optional<Tuple> old_row;
  Tuple row;
};

struct Delete {
  std::uint32_t relation = 0;
  // The key columns (other cells null) or, with REPLICA IDENTITY FULL, the whole old row.
  Tuple old_row;
};

struct Truncate {
  std::vector<std::uint32_t> relations;
  bool cascade = false;
  bool restart_identity = false;
};

// Origin, Type and logical decoding messages: nothing to act on.
struct Other {
  char tag = 0;
};

using Message = std::variant<Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other>;

// Decodes one pgoutput message. Throws Error(kInternal) naming the message type and offset on
// a truncated or unknown message.
Message decode_pgoutput(std::string_view bytes);

}  // namespace mapengine::follow
