// The select-list reader behind key-not-selected, and the "did you mean" matcher.
#include <catch2/catch.hpp>

#include "engine/lint/semantic_rules.h"
#include "engine/spec/schema_validator.h"

using mapengine::spec::closest_name;
using mapengine::lint::simple_select_columns;
using Names = std::vector<std::string>;

TEST_CASE("lint: a simple select list yields its output names, folded like PostgreSQL", "[lint]") {
  CHECK(simple_select_columns("SELECT id, name FROM t") == Names{"id", "name"});
  CHECK(simple_select_columns("select ID, t.Name, x AS y, z w from t where a = 1") ==
        Names{"id", "name", "y", "w"});
  CHECK(simple_select_columns("SELECT \"First Name\", s.t.\"X\" FROM t") ==
        Names{"First Name", "X"});
  CHECK(simple_select_columns("SELECT DISTINCT id -- the key\n, /* c */ email FROM t") ==
        Names{"id", "email"});
  CHECK(simple_select_columns("  SELECT\n  id,\n  email\nFROM users\nWHERE deleted_at IS NULL") ==
        Names{"id", "email"});
}

TEST_CASE("lint: anything beyond plain names in the select list is not checked", "[lint]") {
  for (const char* query :
       {"SELECT * FROM t", "SELECT t.* FROM t", "SELECT id::text FROM t", "SELECT lower(a) FROM t",
        "SELECT a || b AS c FROM t", "SELECT 'x' AS k FROM t", "SELECT DISTINCT ON (a) a FROM t",
        "WITH x AS (SELECT 1) SELECT * FROM x", "VALUES (1)", "(SELECT a FROM t)", "SELECT a b c",
        "SELECT", "", "SELECT a,, b FROM t", "SELECT \"unterminated FROM t"}) {
    INFO(query);
    CHECK(!simple_select_columns(query));
  }
}

TEST_CASE("lint: closest_name suggests plausible typos only", "[lint]") {
  Names keys{"batch_size", "table", "source", "columns", "depends_on"};
  CHECK(closest_name("batchsize", keys) == "batch_size");
  CHECK(closest_name("colums", keys) == "columns");
  CHECK(closest_name("tabel", keys) == "table");
  CHECK(closest_name("xyz", keys).empty());
  CHECK(closest_name("table", keys).empty());  // not a typo of itself
  CHECK(closest_name("", keys).empty());
  CHECK(closest_name(std::string(1000, 'a'), keys).empty());
}
