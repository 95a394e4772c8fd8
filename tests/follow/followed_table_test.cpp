#include <catch2/catch.hpp>

#include "engine/common/error.h"
#include "engine/follow/followed_table.h"
#include "engine/pg/connection.h"
#include "tests/support/test_database.h"

using namespace mapengine;
using mapengine::testing::TestDatabase;

namespace {

spec::MappingSpec mapping_of(std::string query, std::vector<std::string> key) {
  spec::MappingSpec mapping;
  mapping.name = "m";
  mapping.file = "m.yaml";
  mapping.source_query = std::move(query);
  mapping.key = std::move(key);
  return mapping;
}

}  // namespace

TEST_CASE("the table that drives a mapping is found through renames, joins and subqueries",
          "[follow][pg]") {
  TestDatabase db("followed");
  db.exec("CREATE SCHEMA legacy;"
          "CREATE TABLE legacy.orders (order_no int PRIMARY KEY, customer int, deleted boolean);"
          "CREATE TABLE legacy.customers (id int PRIMARY KEY, name text);"
          "CREATE TABLE legacy.lines (order_no int, line int, PRIMARY KEY (order_no, line));"
          "CREATE TABLE legacy.notes (id int, body text);"
          "CREATE TABLE legacy.full_notes (id int, body text);"
          "ALTER TABLE legacy.full_notes REPLICA IDENTITY FULL");
  pg::Connection source(db.url(), "source");

  auto orders = follow::find_followed_table(
      source, mapping_of("SELECT o.order_no AS id, c.name FROM legacy.orders o "
                         "JOIN legacy.customers c ON c.id = o.customer WHERE NOT o.deleted",
                         {"id"}));
  CHECK(orders.schema == "legacy");
  CHECK(orders.name == "orders");
  CHECK(orders.key_columns == std::vector<std::string>{"order_no"});
  CHECK(orders.mappings == std::vector<std::string>{"m"});

  auto lines = follow::find_followed_table(
      source, mapping_of("SELECT * FROM (SELECT line, order_no FROM legacy.lines) s",
                         {"order_no", "line"}));
  CHECK(lines.name == "lines");
  CHECK(lines.key_columns == std::vector<std::string>{"order_no", "line"});

  auto full = follow::find_followed_table(source, mapping_of("SELECT * FROM legacy.full_notes",
                                                             {"id"}));
  CHECK(full.name == "full_notes");

  REQUIRE_THROWS_WITH(
      follow::find_followed_table(source, mapping_of("SELECT id + 0 AS id FROM legacy.customers",
                                                     {"id"})),
      Catch::Contains("key column id is computed"));
  REQUIRE_THROWS_WITH(
      follow::find_followed_table(
          source, mapping_of("SELECT o.order_no, c.id FROM legacy.orders o "
                             "JOIN legacy.customers c ON c.id = o.customer",
                             {"order_no", "id"})),
      Catch::Contains("different tables"));
  REQUIRE_THROWS_WITH(
      follow::find_followed_table(source, mapping_of("SELECT * FROM legacy.notes", {"id"})),
      Catch::Contains("REPLICA IDENTITY FULL") && Catch::Contains("legacy.notes"));
}
