#include <catch2/catch.hpp>

#include <string>

#include "engine/common/error.h"
#include "engine/follow/pgoutput.h"
#include "engine/pg/lsn.h"
#include "engine/pg/replication_stream.h"
#include "engine/pg/wire_reader.h"

using namespace mapengine;
using namespace mapengine::follow;

namespace {

// Builds protocol messages byte by byte, as the server would send them.
struct Bytes {
  std::string out;
  Bytes& c(char value) { out.push_back(value); return *this; }
  Bytes& u16(unsigned value) {
    out.push_back(static_cast<char>(value >> 8));
    out.push_back(static_cast<char>(value));
    return *this;
  }
  Bytes& u32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
    return *this;
  }
  Bytes& u64(std::uint64_t value) { pg::put_u64(out, value); return *this; }
  Bytes& str(const std::string& value) { out += value; out.push_back('\0'); return *this; }
  Bytes& text(const std::string& value) {
    c('t').u32(static_cast<std::uint32_t>(value.size()));
    out += value;
    return *this;
  }
};

}  // namespace

TEST_CASE("an LSN reads and prints in the server's two-halves form", "[follow]") {
  auto lsn = pg::Lsn::parse("16/B374D848");
  REQUIRE(lsn);
  CHECK(lsn->value == ((std::uint64_t{0x16} << 32) | 0xB374D848u));
  CHECK(lsn->to_string() == "16/B374D848");
  CHECK(pg::Lsn{}.to_string() == "0/0");
  for (const char* bad : {"", "16", "/1", "1/", "1/2/3", "G/1", "123456789/0", "1 /2"}) {
    INFO(bad);
    CHECK_FALSE(pg::Lsn::parse(bad));
  }
}

TEST_CASE("pgoutput begin, relation, insert, update, delete, truncate and commit decode",
          "[follow]") {
  Bytes begin;
  begin.c('B').u64(0x100).u64(777).u32(42);
  auto b = std::get<Begin>(decode_pgoutput(begin.out));
  CHECK(b.final_lsn.value == 0x100);
  CHECK(b.commit_time == 777);
  CHECK(b.xid == 42);

  Bytes relation;
  relation.c('R').u32(16384).str("legacy").str("orders").c('d').u16(2);
  relation.c(1).str("id").u32(23).u32(0xFFFFFFFF);
  relation.c(0).str("note").u32(25).u32(0xFFFFFFFF);
  auto r = std::get<Relation>(decode_pgoutput(relation.out));
  CHECK(r.id == 16384);
  CHECK(r.schema == "legacy");
  CHECK(r.name == "orders");
  REQUIRE(r.columns.size() == 2);
  CHECK(r.columns[0].in_key);
  CHECK(r.columns[0].type == 23);
  CHECK(r.columns[0].type_modifier == -1);
  CHECK_FALSE(r.columns[1].in_key);
  CHECK(r.columns[1].name == "note");

  Bytes insert;
  insert.c('I').u32(16384).c('N').u16(2).text("7").c('n');
  auto i = std::get<Insert>(decode_pgoutput(insert.out));
  CHECK(i.relation == 16384);
  REQUIRE(i.row.size() == 2);
  CHECK(i.row[0].kind == CellKind::kText);
  CHECK(i.row[0].text == "7");
  CHECK(i.row[1].kind == CellKind::kNull);

  Bytes update_key_changed;
  update_key_changed.c('U').u32(16384).c('K').u16(2).text("7").c('n');
  update_key_changed.c('N').u16(2).text("8").c('u');
  auto u = std::get<Update>(decode_pgoutput(update_key_changed.out));
  REQUIRE(u.old_row);
  CHECK((*u.old_row)[0].text == "7");
  CHECK(u.row[0].text == "8");
  CHECK(u.row[1].kind == CellKind::kUnchanged);

  Bytes update_plain;
  update_plain.c('U').u32(16384).c('N').u16(1).text("");
  auto plain = std::get<Update>(decode_pgoutput(update_plain.out));
  CHECK_FALSE(plain.old_row);
  CHECK(plain.row[0].kind == CellKind::kText);
  CHECK(plain.row[0].text.empty());

  Bytes erase;
  erase.c('D').u32(16384).c('K').u16(2).text("8").c('n');
  auto d = std::get<Delete>(decode_pgoutput(erase.out));
  CHECK(d.old_row[0].text == "8");

  Bytes truncate;
  truncate.c('T').u32(2).c(1).u32(16384).u32(16390);
  auto t = std::get<Truncate>(decode_pgoutput(truncate.out));
  CHECK(t.cascade);
  CHECK_FALSE(t.restart_identity);
  CHECK(t.relations == std::vector<std::uint32_t>{16384, 16390});

  Bytes commit;
  commit.c('C').c(0).u64(0x100).u64(0x180).u64(777);
  auto c = std::get<Commit>(decode_pgoutput(commit.out));
  CHECK(c.commit_lsn.value == 0x100);
  CHECK(c.end_lsn.value == 0x180);

  CHECK(std::get<Other>(decode_pgoutput(Bytes{}.c('Y').u32(1).str("s").str("t").out)).tag == 'Y');
}

TEST_CASE("a truncated or unknown pgoutput message is an error that says where", "[follow]") {
  Bytes insert;
  insert.c('I').u32(16384).c('N').u16(1).c('t').u32(10).out += "short";
  REQUIRE_THROWS_WITH(decode_pgoutput(insert.out),
                      Catch::Contains("malformed pgoutput") && Catch::Contains("offset 13"));
  REQUIRE_THROWS_WITH(decode_pgoutput("Z"), Catch::Contains("unknown type 'Z'"));
  REQUIRE_THROWS_WITH(decode_pgoutput(""), Catch::Contains("malformed pgoutput"));
  Bytes bad_marker;
  bad_marker.c('D').u32(1).c('N').u16(0);
  REQUIRE_THROWS_WITH(decode_pgoutput(bad_marker.out), Catch::Contains("tuple marker 'N'"));
  Bytes bad_kind;
  bad_kind.c('I').u32(1).c('N').u16(1).c('x');
  REQUIRE_THROWS_WITH(decode_pgoutput(bad_kind.out), Catch::Contains("value kind 'x'"));
}

TEST_CASE("replication stream framing: XLogData, keepalive and the standby status update",
          "[follow]") {
  Bytes data;
  data.c('w').u64(0x10).u64(0x20).u64(5).out += "Bpayload";
  auto w = std::get<pg::XLogData>(pg::decode_stream_message(data.out));
  CHECK(w.wal_start.value == 0x10);
  CHECK(w.wal_end.value == 0x20);
  CHECK(w.payload == "Bpayload");

  Bytes alive;
  alive.c('k').u64(0x30).u64(6).c(1);
  auto k = std::get<pg::Keepalive>(pg::decode_stream_message(alive.out));
  CHECK(k.wal_end.value == 0x30);
  CHECK(k.reply_requested);

  std::string status = pg::encode_standby_status(pg::Lsn{1}, pg::Lsn{2}, pg::Lsn{3}, 4, true);
  Bytes expected;
  expected.c('r').u64(1).u64(2).u64(3).u64(4).c(1);
  CHECK(status == expected.out);
  CHECK_THROWS_AS(pg::decode_stream_message("k"), Error);
}
