// The select-list reader behind key-not-selected.
#include <catch2/catch.hpp>

#include "engine/lint/semantic_rules.h"

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
