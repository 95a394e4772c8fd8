// KeyMatch: target rows found by canonical legacy key texts through the key column's own type
// (an index answers) when it is one integer or text column; the text comparison otherwise.
#include "engine/state/key_match.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using mapengine::state::KeyMatchTesting;
using Keys = std::vector<std::string>;

TEST_CASE("an integer legacy key is matched in its own type, with only canonical integers",
          "[state]") {
  auto match = KeyMatchTesting::for_type("t.\"legacy_id\"", "integer");
  CHECK(match.predicate() == "t.\"legacy_id\" = ANY($1::integer[])");
  // "042", "+4", " 4" and out-of-range texts are no int's text: no row could match them.
  CHECK(match.usable({"1", "-7", "042", "+4", " 4", "4.0", "2147483647", "2147483648", "abc",
                      ""}) == Keys{"1", "-7", "2147483647"});
  CHECK(KeyMatchTesting::for_type("t.\"k\"", "smallint").usable({"32767", "32768"}) ==
        Keys{"32767"});
  CHECK(KeyMatchTesting::for_type("t.\"k\"", "bigint").usable({"9223372036854775807", "1e3"}) ==
        Keys{"9223372036854775807"});
}

TEST_CASE("a text legacy key is matched in its type, other types by the canonical text",
          "[state]") {
  auto text = KeyMatchTesting::for_type("t.\"code\"", "character varying");
  CHECK(text.predicate() == "t.\"code\" = ANY($1::character varying[])");
  CHECK(text.usable({"A-1", " b "}) == Keys{"A-1", " b "});
  auto other = KeyMatchTesting::for_type("t.\"at\"", "timestamp without time zone");
  CHECK(other.predicate() == "t.\"at\"::text = ANY($1::text[])");
  CHECK(other.usable({"x"}) == Keys{"x"});
}
