#include "engine/pg/array_literal.h"

#include <catch2/catch.hpp>
#include <random>

using mapengine::pg::append_array_literal;
using mapengine::pg::ArrayElements;
using mapengine::pg::parse_array_literal;

namespace {

ArrayElements parsed(std::string_view text) {
  ArrayElements out;
  auto error = parse_array_literal(text, out);
  INFO(text << ": " << error.value_or(""));
  REQUIRE_FALSE(error);
  return out;
}

std::string encoded(const ArrayElements& elements) {
  std::string out;
  append_array_literal(out, elements);
  return out;
}

}  // namespace

TEST_CASE("array literals are read as array_in reads them", "[array]") {
  CHECK(parsed("{}").empty());
  CHECK(parsed("  { }  ").empty());
  CHECK(parsed("{a,b}") == ArrayElements{"a", "b"});
  CHECK(parsed("{ a b , c }") == ArrayElements{"a b", "c"});
  CHECK(parsed("{NULL,null,Null,\"NULL\",N\\ULL}") ==
        ArrayElements{std::nullopt, std::nullopt, std::nullopt, "NULL", "NULL"});
  CHECK(parsed("{\"\",\" x \"}") == ArrayElements{"", " x "});
  CHECK(parsed("{\"a\\\"b\",\"c\\\\d\",e\\,f,g\\ }") == ArrayElements{"a\"b", "c\\d", "e,f", "g "});
  CHECK(parsed("{\"{1,2}\"}") == ArrayElements{"{1,2}"});
  CHECK(parsed("{é,😀}") == ArrayElements{"é", "😀"});
}

TEST_CASE("malformed array literals are refused with the reason", "[array]") {
  ArrayElements out;
  CHECK(parse_array_literal("", out) == "an array starts with {");
  CHECK(parse_array_literal("a", out) == "an array starts with {");
  CHECK(parse_array_literal("{a", out) == "the array is not closed with }");
  CHECK(parse_array_literal("{a,", out) == "the array is not closed with }");
  CHECK(parse_array_literal("{\"a", out) == "a quoted array element is not closed");
  CHECK(parse_array_literal("{a\\", out) == "the array is not closed with }");
  CHECK(parse_array_literal("{,a}", out) == "an array element is missing");
  CHECK(parse_array_literal("{a,}", out) == "an array element is missing");
  CHECK(parse_array_literal("{\"a\"b}", out) == "array elements are separated by commas");
  CHECK(parse_array_literal("{a\"b\"}", out) ==
        "an unquoted array element holds a quote or a brace");
  CHECK(parse_array_literal("{a} x", out) == "text follows the array's closing }");
  CHECK(parse_array_literal("{{1},{2}}", out) ==
        "arrays of more than one dimension are not supported");
  CHECK(parse_array_literal("[1:2]={a,b}", out) == "explicit array bounds are not supported");
}

TEST_CASE("array literals are written as array_out writes them", "[array]") {
  CHECK(encoded({}) == "{}");
  CHECK(encoded({"a", std::nullopt, "b"}) == "{a,NULL,b}");
  CHECK(encoded({"", "NULL", "null", "a b", "a,b", "{", "}", "\"", "\\", "\t"}) ==
        "{\"\",\"NULL\",\"null\",\"a b\",\"a,b\",\"{\",\"}\",\"\\\"\",\"\\\\\",\"\t\"}");
  CHECK(encoded({"é", "x-y", "N"}) == "{é,x-y,N}");
}

TEST_CASE("writing then reading an array gives back every element", "[array]") {
  std::mt19937 random(20261202);
  const std::string alphabet = "aZ ,{}\"\\\t\nN0Ué";
  for (int round = 0; round < 2000; ++round) {
    ArrayElements elements;
    int count = static_cast<int>(random() % 6);
    for (int e = 0; e < count; ++e) {
      if (random() % 7 == 0) {
        elements.emplace_back(std::nullopt);
        continue;
      }
      std::string element;
      int length = static_cast<int>(random() % 6);
      for (int c = 0; c < length; ++c) element += alphabet[random() % alphabet.size()];
      if (random() % 9 == 0) element = "NuLl";
      elements.emplace_back(element);
    }
    std::string text = encoded(elements);
    INFO(text);
    CHECK(parsed(text) == elements);
  }
}
