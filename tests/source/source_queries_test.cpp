// The source-side questions apply asks before reading: how many rows (estimated), whether a key
// is NULL anywhere, and where to split the key space into ranges.
#include <catch2/catch.hpp>

#include "engine/pg/connection.h"
#include "engine/source/source_reader.h"
#include "tests/support/test_database.h"

using mapengine::KeyParts;
using mapengine::KeyRange;
using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;

TEST_CASE("the row estimate is the planner's, without reading the rows", "[source]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY, v text);"
          "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g; ANALYZE t;");
  Connection source(db.url(), "source");
  // ANALYZE read every row of so small a table: the estimate is exact.
  CHECK(mapengine::estimate_source_rows(source, "SELECT id, v FROM t") == 1000);
  long long filtered = mapengine::estimate_source_rows(source, "SELECT id FROM t WHERE id <= 100");
  CHECK(filtered > 0);
  CHECK(filtered < 1000);
}

TEST_CASE("a NULL anywhere in the legacy key is found", "[source]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (a int, b int); INSERT INTO t SELECT g, g FROM generate_series(1, 50) g;");
  Connection source(db.url(), "source");
  CHECK_FALSE(mapengine::find_null_key(source, "SELECT a, b FROM t", {"a"}));
  CHECK_FALSE(mapengine::find_null_key(source, "SELECT a, b FROM t", {"a", "b"}));
  db.exec("INSERT INTO t VALUES (51, NULL)");
  CHECK_FALSE(mapengine::find_null_key(source, "SELECT a, b FROM t", {"a"}));
  CHECK(mapengine::find_null_key(source, "SELECT a, b FROM t", {"a", "b"}) ==
        std::optional<std::string>(R"({"a":51,"b":null})"));
  // Rows the query filters out do not count.
  CHECK_FALSE(mapengine::find_null_key(source, "SELECT a, b FROM t WHERE b IS NOT NULL", {"b"}));
}

namespace {

// Rows of t in `range`, counted by the reader's own SQL.
long long rows_in(Connection& source, const KeyRange& range) {
  return mapengine::count_source_rows(source, "SELECT id FROM t", {"id"}, range);
}

}  // namespace

TEST_CASE("key ranges split at real keys and cover every row once, whatever the estimate",
          "[source]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY);"
          "INSERT INTO t SELECT g * 3 FROM generate_series(1, 1000) g;");
  Connection source(db.url(), "source");
  // The true count, an estimate far too high (the first split finds no row there and counts),
  // one too low (the ranges are uneven but still cover everything), and one too low to split
  // at all (a count shows there is plenty to split).
  long long rows = GENERATE(1000LL, 50000LL, 300LL, 1LL);
  CAPTURE(rows);
  std::vector<KeyRange> ranges = mapengine::split_key_ranges(source, "SELECT id FROM t", {"id"},
                                                             rows, 2);
  REQUIRE(ranges.size() == 2);
  CHECK_FALSE(ranges[0].lower);
  REQUIRE(ranges[0].upper);
  CHECK(ranges[1].lower == ranges[0].upper);
  CHECK_FALSE(ranges[1].upper);
  CHECK(rows_in(source, ranges[0]) + rows_in(source, ranges[1]) == 1000);
  if (rows != 300) {
    CHECK(*ranges[0].upper == KeyParts{"1500"});
    CHECK(rows_in(source, ranges[0]) == 500);
  }
}

TEST_CASE("split points of many ranges are real keys at equal row counts, whatever the estimate",
          "[source]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY);"
          "INSERT INTO t SELECT g * 3 FROM generate_series(1, 1000) g;");
  Connection source(db.url(), "source");
  // The count, an estimate the rows end before (the pass learns the count and splits again),
  // and one too low (the last range takes the rest).
  long long rows = GENERATE(1000LL, 1800LL, 600LL);
  CAPTURE(rows);
  std::vector<KeyRange> ranges = mapengine::split_key_ranges(source, "SELECT id FROM t", {"id"},
                                                             rows, 4);
  REQUIRE(ranges.size() == 4);
  CHECK_FALSE(ranges.front().lower);
  CHECK_FALSE(ranges.back().upper);
  long long covered = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) CHECK(ranges[i].lower == ranges[i - 1].upper);
    covered += rows_in(source, ranges[i]);
  }
  CHECK(covered == 1000);
  if (rows == 600) {
    // Split points at rows 150, 300, 450 of the estimate.
    CHECK(*ranges[0].upper == KeyParts{"450"});
    CHECK(rows_in(source, ranges[3]) == 550);
  } else {
    CHECK(*ranges[0].upper == KeyParts{"750"});
    CHECK(*ranges[1].upper == KeyParts{"1500"});
    CHECK(*ranges[2].upper == KeyParts{"2250"});
  }
  // The pass ran in a transaction of its own and closed it.
  CHECK_FALSE(source.in_transaction());
}

TEST_CASE("a composite text key splits into ranges that cover every row once", "[source]") {
  TestDatabase db;
  db.exec("CREATE TABLE c (a int, b text, PRIMARY KEY (a, b));"
          "INSERT INTO c SELECT g / 10, 'k ' || (g % 10) FROM generate_series(0, 999) g;");
  Connection source(db.url(), "source");
  const std::string query = "SELECT a, b FROM c";
  std::vector<KeyRange> ranges = mapengine::split_key_ranges(source, query, {"a", "b"}, 1000, 4);
  REQUIRE(ranges.size() == 4);
  CHECK(*ranges[0].upper == KeyParts{"24", "k 9"});  // the 250th row in (a, b) order
  long long covered = 0;
  for (const KeyRange& range : ranges) {
    long long rows = mapengine::count_source_rows(source, query, {"a", "b"}, range);
    CHECK(rows == 250);
    covered += rows;
  }
  CHECK(covered == 1000);
}

TEST_CASE("a table too small to split stays one range", "[source]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);");
  Connection source(db.url(), "source");
  // An estimate of 1000 for three rows: the count shows there is nothing to split.
  std::vector<KeyRange> ranges =
      mapengine::split_key_ranges(source, "SELECT id FROM t", {"id"}, 1000, 2);
  REQUIRE(ranges.size() == 1);
  CHECK_FALSE(ranges[0].lower);
  CHECK_FALSE(ranges[0].upper);
}
