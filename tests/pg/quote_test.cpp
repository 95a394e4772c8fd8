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
