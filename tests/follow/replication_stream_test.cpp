#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/follow/pgoutput.h"
#include "engine/pg/connection.h"
#include "engine/pg/replication_stream.h"
#include "tests/support/test_database.h"

using namespace mapengine;
using namespace mapengine::follow;
using mapengine::testing::TestDatabase;

namespace {

// Reads messages until a Commit, collecting the decoded ones (keepalives answered).
std::vector<Message> read_transaction(pg::ReplicationStream& stream) {
  std::vector<Message> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = stream.next(std::chrono::milliseconds(500));
    if (!message) continue;
    if (auto* alive = std::get_if<pg::Keepalive>(&*message)) {
      if (alive->reply_requested) stream.acknowledge(stream.acknowledged());
      continue;
    }
    out.push_back(decode_pgoutput(std::get<pg::XLogData>(*message).payload));
    if (std::holds_alternative<Commit>(out.back())) return out;
  }
  FAIL("no commit arrived within 30 s");
  return out;
}

// Drops a slot at scope exit, waiting for the walsender that used it to let go.
struct DropSlotAfterwards {
  const TestDatabase& db;
  std::string slot;
  ~DropSlotAfterwards() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      try {
        db.exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = '" + slot + "'");
        return;
      } catch (...) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
};

}  // namespace

TEST_CASE("a logical slot's exported snapshot and stream see every change exactly once",
          "[follow][pg]") {
  TestDatabase db("follow");
  db.exec("CREATE TABLE orders (id int PRIMARY KEY, note text)");
  db.exec("INSERT INTO orders VALUES (1, 'before the slot')");
  db.exec("CREATE PUBLICATION mapengine_test FOR TABLE orders");

  // Declared first so it runs last: the slot can be dropped once the session using it is gone
  // (a database with a slot cannot be dropped).
  DropSlotAfterwards drop{db, "mapengine_test_slot"};
  pg::Connection replication(db.url(), "source", pg::Session::kLogicalReplication);
  pg::ReplicationStream stream(replication);
  pg::CreatedSlot slot = stream.create_slot("mapengine_test_slot");
  CHECK(slot.consistent_point.valid());
  CHECK_FALSE(slot.snapshot.empty());

  // A change committed after the slot exists is not in the snapshot...
  db.exec("INSERT INTO orders VALUES (2, 'after the slot')");
  pg::Connection reader(db.url(), "source");
  reader.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
  reader.exec("SET TRANSACTION SNAPSHOT " + reader.quote_literal(slot.snapshot));
  CHECK(reader.exec("SELECT count(*) FROM orders").value(0, 0) == "1");
  reader.exec("COMMIT");

  // ...and arrives through the stream instead, followed by an update and a delete.
  db.exec("UPDATE orders SET note = 'changed' WHERE id = 2");
  db.exec("DELETE FROM orders WHERE id = 1");
  stream.start(slot.name, slot.consistent_point, "mapengine_test");
  CHECK(stream.streaming());

  auto first = read_transaction(stream);
  REQUIRE(first.size() >= 4);
  CHECK(std::holds_alternative<Begin>(first[0]));
  auto& relation = std::get<Relation>(first[1]);
  CHECK(relation.name == "orders");
  CHECK(relation.schema == "public");
  auto& insert = std::get<Insert>(first[2]);
  CHECK(insert.relation == relation.id);
  CHECK(insert.row[0].text == "2");
  CHECK(insert.row[1].text == "after the slot");

  auto second = read_transaction(stream);
  auto& update = std::get<Update>(second[1]);
  CHECK_FALSE(update.old_row);
  CHECK(update.row[1].text == "changed");

  auto third = read_transaction(stream);
  auto& erase = std::get<Delete>(third[1]);
  CHECK(erase.old_row[0].text == "1");
  CHECK(erase.old_row[1].kind == CellKind::kNull);  // only the key is sent
  auto commit = std::get<Commit>(third.back());

  stream.acknowledge(commit.end_lsn);
  // The server records the acknowledgement as the slot's confirmed position.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string confirmed;
  while (std::chrono::steady_clock::now() < deadline) {
    confirmed = db.scalar(
        "SELECT confirmed_flush_lsn FROM pg_replication_slots "
        "WHERE slot_name = 'mapengine_test_slot'");
    if (confirmed == commit.end_lsn.to_string()) break;
    stream.next(std::chrono::milliseconds(100));
  }
  CHECK(confirmed == commit.end_lsn.to_string());
}
