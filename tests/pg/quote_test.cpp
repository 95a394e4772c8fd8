#include <catch2/catch.hpp>

#include "engine/common/error.h"
#include "engine/pg/quote.h"

using mapengine::pg::parse_qualified_name;
using mapengine::pg::quote_identifier;

TEST_CASE("identifiers are double-quoted with embedded quotes doubled", "[quote]") {
  CHECK(quote_identifier("simple") == "\"simple\"");
  CHECK(quote_identifier("we\"ird") == "\"we\"\"ird\"");
  CHECK(quote_identifier("Ωmega; DROP") == "\"Ωmega; DROP\"");
  CHECK_THROWS_AS(quote_identifier(""), mapengine::Error);
  CHECK_THROWS_AS(quote_identifier(std::string("a\0b", 3)), mapengine::Error);
}

TEST_CASE("qualified names parse quoted parts and default to public", "[quote]") {
  CHECK(parse_qualified_name("t").quoted() == "\"public\".\"t\"");
  CHECK(parse_qualified_name("s.t").display() == "s.t");
  auto odd = parse_qualified_name("\"My.Schema\".\"Ta\"\"ble\"");
  CHECK(odd.schema == "My.Schema");
  CHECK(odd.name == "Ta\"ble");
}

TEST_CASE("qualified names resolve as PostgreSQL does: unquoted parts fold to lower case",
          "[quote]") {
  CHECK(parse_qualified_name("PUBLIC.STORES") == parse_qualified_name("public.stores"));
  CHECK(parse_qualified_name("Stores").display() == "public.stores");
  CHECK(parse_qualified_name("\"Stores\"").name == "Stores");
  CHECK(parse_qualified_name("Sales.\"Q1 Stores\"").display() == "sales.Q1 Stores");
  // Only ASCII letters fold, as the server folds identifiers under UTF-8.
  CHECK(parse_qualified_name("ÉtÉ").name == "ÉtÉ");

  using mapengine::pg::names_table;
  mapengine::pg::QualifiedName stores{"public", "stores"};
  CHECK(names_table("STORES", stores));
  CHECK(names_table("Public.Stores", stores));
  CHECK_FALSE(names_table("\"Stores\"", stores));
  CHECK_FALSE(names_table("sales.stores", stores));
  CHECK(names_table("stores", {"sales", "stores"}));  // without schema: any schema

  using mapengine::pg::written_name_part;
  CHECK(written_name_part("stores") == "stores");
  CHECK(written_name_part("Stores") == "\"Stores\"");
  CHECK(written_name_part("a.b") == "\"a.b\"");
  CHECK(parse_qualified_name(written_name_part("My\"Odd.T")).name == "My\"Odd.T");
}
