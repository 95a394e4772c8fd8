#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/pg/copy_text.h"
#include "engine/sink/copy_text_encoder.h"
#include "engine/source/copy_text_decoder.h"
#include "engine/state/legacy_key.h"

using mapengine::CopyTextDecoder;
using mapengine::Value;

TEST_CASE("COPY text rows split into fields, with NULL and escapes decoded", "[copy]") {
  std::vector<Value> fields;
  REQUIRE(CopyTextDecoder::decode_row("1\t\\N\ta\\tb\\nc\\\\d\t\t\t\\x41\\101\n", fields));
  REQUIRE(fields.size() == 6);
  CHECK(fields[0].text() == "1");
  CHECK(fields[1].is_null());
  CHECK(fields[2].text() == "a\tb\nc\\d");
  CHECK(fields[3].text().empty());
  CHECK_FALSE(fields[3].is_null());
  CHECK(fields[4].text() == "");
  CHECK(fields[5].text() == "AA");
}

TEST_CASE("fields without escapes are views into the row, not copies", "[copy]") {
  std::string row = "plain\tvalue";
  std::vector<Value> fields;
  REQUIRE(CopyTextDecoder::decode_row(row, fields));
  CHECK(fields[0].text().data() == row.data());
  CHECK(fields[1].text().data() == row.data() + 6);
}

TEST_CASE("a trailing lone backslash is malformed", "[copy]") {
  std::vector<Value> fields;
  CHECK_FALSE(CopyTextDecoder::decode_row("abc\\", fields));
}

TEST_CASE("encoding then decoding returns every value unchanged", "[copy]") {
  std::vector<std::string> samples = {"", "plain", "tab\there", "new\nline", "cr\rx",
                                      "back\\slash", "\\N", "émoji 🦷", std::string(5000, 'x')};
  for (const auto& sample : samples) {
    std::string encoded;
    mapengine::append_copy_field(encoded, Value::view(sample));
    std::vector<Value> fields;
    REQUIRE(CopyTextDecoder::decode_row(encoded, fields));
    REQUIRE(fields.size() == 1);
    CHECK_FALSE(fields[0].is_null());
    CHECK(std::string(fields[0].text()) == sample);
  }
  std::string null_field;
  mapengine::append_copy_field(null_field, Value::null());
  CHECK(null_field == "\\N");
}

TEST_CASE("escaping skips words without a special byte and finds each one anywhere in a word",
          "[copy]") {
  // Every special byte (and a byte close to one: 0x5b, 0x5d, 0x08, 0x0e) at every position of
  // values 0 to 40 bytes long, against the escapes written one byte at a time.
  auto expected = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
      }
    }
    return out;
  };
  for (char special : {'\\', '\t', '\n', '\r', '\x5b', '\x5d', '\x08', '\x0e', '\xdc'}) {
    for (size_t size = 1; size <= 40; ++size) {
      for (size_t at = 0; at < size; ++at) {
        std::string text(size, 'a');
        text[at] = special;
        if (size > 20) text[size - 1 - at / 2] = '\n';
        std::string out = "x";
        mapengine::append_copy_escaped(out, text);
        INFO(size << " " << at << " " << static_cast<int>(special));
        REQUIRE(out == "x" + expected(text));
      }
    }
  }
}

TEST_CASE("legacy key text matches PostgreSQL's json_build_array for composite keys", "[copy]") {
  std::vector<Value> single = {Value::view("42")};
  CHECK(mapengine::legacy_key_text(single) == "42");
  std::vector<Value> composite = {Value::view("1"), Value::view("a\"b\\c\n")};
  CHECK(mapengine::legacy_key_text(composite) == "[\"1\", \"a\\\"b\\\\c\\n\"]");
  CHECK(mapengine::legacy_key_parts("[\"1\", \"a\\\"b\\\\c\\n\"]", 2) ==
        std::vector<std::string>{"1", "a\"b\\c\n"});
  CHECK(mapengine::legacy_key_sql({"t.\"a\"", "t.\"b\""}) ==
        "json_build_array(t.\"a\"::text, t.\"b\"::text)::text");
}
