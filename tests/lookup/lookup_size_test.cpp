// The size estimate `--lookup-memory` decides by: an integer match column is measured from the
// column itself, any other column by testing each value's text. Both must agree on the same
// keys, and the estimate must match what loading the lookup actually builds.
#include <catch2/catch.hpp>
#include <string>

#include "engine/lookup/batched_lookup.h"
#include "engine/lookup/lookup_table.h"
#include "engine/pg/connection.h"
#include "tests/support/test_database.h"

using mapengine::LookupSize;
using mapengine::LookupTarget;
using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;

namespace {

LookupTarget lookup_on(const std::string& table, const std::string& match) {
  LookupTarget where;
  where.table.schema = "public";
  where.table.name = table;
  where.match = match;
  where.returns = "id";
  return where;
}

}  // namespace

TEST_CASE("an integer match column is sized like the same keys held as text", "[lookup]") {
  TestDatabase db;
  // Keys with gaps, negative ones, NULLs (not loaded) and one row without an id.
  db.exec("CREATE TABLE by_int (id uuid DEFAULT gen_random_uuid(), legacy bigint);"
          "INSERT INTO by_int (legacy) SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g * 3 - 500 END"
          " FROM generate_series(1, 5000) g;"
          "UPDATE by_int SET id = NULL WHERE legacy = 1;"
          "CREATE TABLE by_text AS SELECT id, legacy::text AS legacy FROM by_int;");
  Connection target(db.url(), "target");

  LookupSize by_int = mapengine::estimate_lookup_size(target, lookup_on("by_int", "legacy"));
  LookupSize by_text = mapengine::estimate_lookup_size(target, lookup_on("by_text", "legacy"));
  CHECK(by_int.entries == 4500);
  CHECK(by_int.entries == by_text.entries);
  CHECK(by_int.bytes == by_text.bytes);

  SECTION("spread keys are sized as a hash set by either path") {
    db.exec("INSERT INTO by_int (legacy) VALUES (9000000000000000000);"
            "INSERT INTO by_text (id, legacy) VALUES (gen_random_uuid(), '9000000000000000000');");
    LookupSize spread_int = mapengine::estimate_lookup_size(target, lookup_on("by_int", "legacy"));
    LookupSize spread_text =
        mapengine::estimate_lookup_size(target, lookup_on("by_text", "legacy"));
    CHECK(spread_int.entries == 4501);
    CHECK(spread_int.bytes == spread_text.bytes);
    CHECK(spread_int.bytes != by_int.bytes);
  }

  SECTION("an empty table is sized zero by either path") {
    db.exec("TRUNCATE by_int, by_text");
    LookupSize empty_int = mapengine::estimate_lookup_size(target, lookup_on("by_int", "legacy"));
    LookupSize empty_text =
        mapengine::estimate_lookup_size(target, lookup_on("by_text", "legacy"));
    CHECK(empty_int.entries == 0);
    CHECK(empty_int.bytes == 0);
    CHECK(empty_text.bytes == 0);
  }
}

TEST_CASE("sizing a lookup on a column the table lacks names the column", "[lookup]") {
  TestDatabase db;
  db.exec("CREATE TABLE profiles (id uuid, legacy_user_id int)");
  Connection target(db.url(), "target");
  try {
    mapengine::estimate_lookup_size(target, lookup_on("profiles", "legacy_id"));
    FAIL("no error");
  } catch (const mapengine::Error& e) {
    CHECK(std::string(e.what()).find("no column legacy_id in") != std::string::npos);
  }
}
