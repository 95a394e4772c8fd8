#include <catch2/catch.hpp>

#include "engine/common/error.h"
#include "engine/common/secrets.h"
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

TEST_CASE("connection strings are redacted in both syntaxes", "[secrets]") {
  using mapengine::redact_conninfo;
  CHECK(redact_conninfo("host=h user=u password=hunter2 dbname=d").find("hunter2") ==
        std::string::npos);
  std::string uri = redact_conninfo("postgresql://u:hunter2@h:5432/d?sslmode=require");
  CHECK(uri.find("hunter2") == std::string::npos);
  CHECK(uri.find("password=***") != std::string::npos);
  CHECK(mapengine::password_of("postgresql://u:hunter2@h/d") == "hunter2");
  CHECK(mapengine::redact_secret("a hunter2 b hunter2", "hunter2") == "a *** b ***");
}
