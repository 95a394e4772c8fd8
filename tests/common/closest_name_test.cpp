// The one "did you mean" matcher (engine/common/closest_name.h), as lint, transforms and the CLI
// use it.
#include "engine/common/closest_name.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

using mapengine::closest_name;
using Names = std::vector<std::string>;

TEST_CASE("closest_name suggests plausible typos only", "[common]") {
  Names keys{"batch_size", "table", "source", "columns", "depends_on"};
  CHECK(closest_name("batchsize", keys) == "batch_size");
  CHECK(closest_name("colums", keys) == "columns");
  CHECK(closest_name("tabel", keys) == "table");  // two neighbours swapped: one edit
  CHECK(closest_name("Table", keys) == "table");  // case is not a difference
  CHECK(closest_name("xyz", keys).empty());
  CHECK(closest_name("table", keys).empty());  // not a typo of itself
  CHECK(closest_name("", keys).empty());
  CHECK(closest_name(std::string(1000, 'a'), keys).empty());
}

TEST_CASE("closest_name allows more edits in longer words, and a prefix of 3 or more", "[common]") {
  std::vector<std::string_view> transforms{"trim", "regex_replace", "assume_timezone", "lower"};
  CHECK(closest_name("regex", transforms) == "regex_replace");
  CHECK(closest_name("asume_timzone", transforms) == "assume_timezone");  // 2 edits in 13
  CHECK(closest_name("lowr", transforms) == "lower");
  CHECK(closest_name("lo", transforms).empty());  // a prefix of 2 is no evidence
  CHECK(closest_name("tirm", transforms) == "trim");
  CHECK(closest_name("upper", transforms).empty());  // 2 edits in 5 is another word
  // The closest wins; the first on a tie.
  CHECK(closest_name("cat", std::vector<std::string_view>{"bat", "car", "cart"}) == "bat");
}
