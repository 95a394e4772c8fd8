#include "engine/follow/pgoutput.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/pg/wire_reader.h"

namespace mapengine::follow {
namespace {

Tuple read_tuple(pg::WireReader& in) {
  std::uint16_t count = in.u16();
  Tuple tuple(count);
  for (Cell& cell : tuple) {
    char kind = static_cast<char>(in.u8());
    switch (kind) {
      case 'n':
        cell.kind = CellKind::kNull;
        break;
      case 'u':
        cell.kind = CellKind::kUnchanged;
        break;
      case 't':
        cell.kind = CellKind::kText;
        cell.text = std::string(in.bytes(in.u32()));
        break;
      default:
        throw Error(ErrorKind::kInternal,
                    fmt::format("malformed pgoutput tuple: unknown value kind '{}' at offset {}",
                                kind, in.offset() - 1));
    }
  }
  return tuple;
}

Relation read_relation(pg::WireReader& in) {
  Relation relation;
  relation.id = in.u32();
  relation.schema = in.cstring();
  relation.name = in.cstring();
  relation.replica_identity = static_cast<char>(in.u8());
  std::uint16_t count = in.u16();
  relation.columns.resize(count);
  for (RelationColumn& column : relation.columns) {
    column.in_key = (in.u8() & 1) != 0;
    column.name = in.cstring();
    column.type = in.u32();
    column.type_modifier = static_cast<std::int32_t>(in.u32());
  }
  return relation;
}

// The 'K'/'O'/'N' marker before a tuple.
char expect_marker(pg::WireReader& in, std::string_view allowed, std::string_view message) {
  char marker = static_cast<char>(in.u8());
  if (allowed.find(marker) == std::string_view::npos) {
    throw Error(ErrorKind::kInternal,
                fmt::format("malformed pgoutput {} message: unexpected tuple marker '{}'",
                            message, marker));
  }
  return marker;
}

}  // namespace

Message decode_pgoutput(std::string_view bytes) {
  pg::WireReader in(bytes, "pgoutput");
  char tag = static_cast<char>(in.u8());
  switch (tag) {
    case 'B': {
      Begin begin;
      begin.final_lsn = pg::Lsn{in.u64()};
      begin.commit_time = in.i64();
      begin.xid = in.u32();
      return begin;
    }
    case 'C': {
      Commit commit;
      in.u8();  // flags, unused
      commit.commit_lsn = pg::Lsn{in.u64()};
      commit.end_lsn = pg::Lsn{in.u64()};
      commit.commit_time = in.i64();
      return commit;
    }
    case 'R':
      return read_relation(in);
    case 'I': {
      Insert insert;
      insert.relation = in.u32();
      expect_marker(in, "N", "insert");
      insert.row = read_tuple(in);
      return insert;
    }
    case 'U': {
      Update update;
      update.relation = in.u32();
      char marker = expect_marker(in, "KON", "update");
      if (marker != 'N') {
        update.old_row = read_tuple(in);
        expect_marker(in, "N", "update");
      }
      update.row = read_tuple(in);
      return update;
    }
    case 'D': {
      Delete erase;
      erase.relation = in.u32();
      expect_marker(in, "KO", "delete");
      erase.old_row = read_tuple(in);
      return erase;
    }
    case 'T': {
      Truncate truncate;
      std::uint32_t count = in.u32();
      std::uint8_t options = in.u8();
      truncate.cascade = (options & 1) != 0;
      truncate.restart_identity = (options & 2) != 0;
      for (std::uint32_t i = 0; i < count; ++i) truncate.relations.push_back(in.u32());
      return truncate;
    }
    case 'O':
    case 'Y':
    case 'M':
      return Other{tag};
    default:
      throw Error(ErrorKind::kInternal,
                  fmt::format("malformed pgoutput message: unknown type '{}'", tag));
  }
}

}  // namespace mapengine::follow
