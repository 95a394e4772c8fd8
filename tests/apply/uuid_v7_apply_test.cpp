// `generate: uuid_v7` through apply: ids of the load time and of each legacy row's own time,
// unique under `--parallel`, sorting as the rows were created.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/migration_fixture.h"

using mapengine::testing::MigrationFixture;

TEST_CASE("uuid_v7 ids are unique under apply --parallel and sort as the rows were created",
          "[apply][uuid]") {
  MigrationFixture f;
  // 6,000 events; ten share each second, so ids of one time must still differ; event 13
  // happened before 1970, which a version 7 id cannot hold (a reject).
  f.source.exec(
      "CREATE TABLE events (id int PRIMARY KEY, happened timestamptz);"
      "INSERT INTO events SELECT g, CASE WHEN g = 13 THEN '1960-01-01 00:00+00' "
      "WHEN g % 97 = 0 THEN NULL "
      "ELSE timestamptz '2020-01-01 00:00+00' + (g / 10) * interval '1 second' END "
      "FROM generate_series(1, 6000) g;");
  f.target.exec(
      "CREATE TABLE events (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL,"
      " happened timestamptz, load_id uuid UNIQUE NOT NULL);");
  f.write_file("events.yaml", R"(version: 1
table: events
source: { query: "SELECT id, happened FROM events", key: id }
target: { legacy_key: legacy_id }
batch_size: 400
max_rejects: 1
columns:
  id: { generate: uuid_v7, from: happened }
  legacy_id: id
  happened: happened
  load_id: { generate: uuid_v7 }
)");
  auto applied = f.run("apply --no-progress --parallel 2 events.yaml");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);

  CHECK(f.target_rows("SELECT count(*), count(DISTINCT id), count(DISTINCT load_id) FROM events") ==
        "5999|5999|5999\n");
  CHECK(f.target_rows("SELECT count(*) FROM events WHERE substr(id::text, 15, 1) <> '7' OR "
                      "substr(load_id::text, 15, 1) <> '7' OR substr(id::text, 20, 1) NOT IN "
                      "('8', '9', 'a', 'b')") == "0\n");
  // The id holds the row's time (milliseconds); a row without one gets the load time.
  CHECK(f.target_rows(
            "SELECT count(*) FROM events WHERE happened IS NOT NULL AND "
            "('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint <> "
            "floor(extract(epoch FROM happened) * 1000)::bigint") == "0\n");
  CHECK(f.target_rows(
            "SELECT count(*) FROM events WHERE happened IS NULL AND "
            "('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint < "
            "floor(extract(epoch FROM now() - interval '1 hour') * 1000)::bigint") == "0\n");
  // In id order, no dated row comes after a later one.
  CHECK(f.target_rows("SELECT count(*) FROM (SELECT happened, lag(happened) OVER (ORDER BY id) "
                      "AS before FROM events WHERE happened IS NOT NULL) s "
                      "WHERE before > happened") == "0\n");
  CHECK(f.target_rows("SELECT legacy_key, column_name, rule, reason LIKE '%1970%' FROM "
                      "mapengine.rejects") == "13|id|transform|t\n");
}
