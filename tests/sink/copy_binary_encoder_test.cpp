// COPY's binary format (sink/copy_binary_encoder.h): the bytes of known values, the spellings it
// declines, and, against the real server, that every value it takes lands exactly as the same
// text sent through COPY's text format does.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "engine/pg/copy_text.h"
#include "engine/sink/copy_binary_encoder.h"
#include "tests/support/test_database.h"

using mapengine::append_binary_value;
using mapengine::BinaryType;
using mapengine::CopyBinaryEncoder;
using mapengine::Error;
using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;

namespace {

// The binary form of `text` as hex, or "declined".
std::string binary_hex(BinaryType type, std::string_view text) {
  std::string out;
  if (!append_binary_value(type, text, out)) return "declined";
  std::string hex;
  for (unsigned char c : out) hex += fmt::format("{:02x}", c);
  return hex;
}

}  // namespace

TEST_CASE("copy binary: integers, booleans and uuids in network byte order", "[sink][binary]") {
  CHECK(binary_hex(BinaryType::kInt4, "-2") == "fffffffe");
  CHECK(binary_hex(BinaryType::kInt4, "007") == "00000007");
  CHECK(binary_hex(BinaryType::kInt2, "32767") == "7fff");
  CHECK(binary_hex(BinaryType::kInt2, "-32768") == "8000");
  CHECK(binary_hex(BinaryType::kInt8, "-9223372036854775808") == "8000000000000000");
  CHECK(binary_hex(BinaryType::kInt8, "9223372036854775807") == "7fffffffffffffff");
  for (const char* declined : {"32768", "-32769", "+1", " 1", "1 ", "1.0", "1e3", "", "-"}) {
    INFO(declined);
    CHECK(binary_hex(BinaryType::kInt2, declined) == "declined");
  }
  CHECK(binary_hex(BinaryType::kInt8, "-9223372036854775809") == "declined");
  CHECK(binary_hex(BinaryType::kInt8, "18446744073709551616") == "declined");
  CHECK(binary_hex(BinaryType::kBool, "t") == "01");
  CHECK(binary_hex(BinaryType::kBool, "false") == "00");
  CHECK(binary_hex(BinaryType::kBool, "yes") == "declined");
  CHECK(binary_hex(BinaryType::kUuid, "A0EEBC99-9c0b-4ef8-bb6d-6bb9bd380a11") ==
        "a0eebc999c0b4ef8bb6d6bb9bd380a11");
  CHECK(binary_hex(BinaryType::kUuid, "a0eebc999c0b4ef8bb6d6bb9bd380a11") ==
        "a0eebc999c0b4ef8bb6d6bb9bd380a11");
  CHECK(binary_hex(BinaryType::kUuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}") == "declined");
  CHECK(binary_hex(BinaryType::kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g") == "declined");
  CHECK(binary_hex(BinaryType::kBytea, "\\x00fFa0") == "00ffa0");
  CHECK(binary_hex(BinaryType::kBytea, "\\x0") == "declined");
  CHECK(binary_hex(BinaryType::kBytea, "abc") == "declined");
  CHECK(binary_hex(BinaryType::kJsonb, "{}") == "017b7d");
}

TEST_CASE("copy binary: dates and timestamps count from 2000-01-01, with the offset applied",
          "[sink][binary]") {
  CHECK(binary_hex(BinaryType::kDate, "2000-01-01") == "00000000");
  CHECK(binary_hex(BinaryType::kDate, "1999-12-31") == "ffffffff");
  CHECK(binary_hex(BinaryType::kDate, "2000-03-01") == "0000003c");  // 2000 was a leap year
  for (const char* declined : {"2019-02-29", "2019-13-01", "0000-01-01", "20190101", "2019-1-01",
                               "2019-01-01 00:00:00", "infinity"}) {
    INFO(declined);
    CHECK(binary_hex(BinaryType::kDate, declined) == "declined");
  }
  CHECK(binary_hex(BinaryType::kTimestamptz, "2000-01-01 00:00:00+00") == "0000000000000000");
  CHECK(binary_hex(BinaryType::kTimestamptz, "2000-01-01 01:00:00+01") == "0000000000000000");
  CHECK(binary_hex(BinaryType::kTimestamptz, "1999-12-31 23:00:00-01") == "0000000000000000");
  CHECK(binary_hex(BinaryType::kTimestamp, "2000-01-01T00:00:00.000001") == "0000000000000001");
  CHECK(binary_hex(BinaryType::kTimestamp, "1999-12-31 23:59:59.5") == "fffffffffff85ee0");
  // The session's TimeZone would decide an offset-less timestamptz; timestamp ignores offsets.
  CHECK(binary_hex(BinaryType::kTimestamptz, "2000-01-01 00:00:00") == "declined");
  CHECK(binary_hex(BinaryType::kTimestamp, "2000-01-01 00:00:00+00") == "declined");
  for (const char* declined :
       {"2019-01-01 24:00:00+00", "2019-01-01 23:59:60+00", "2019-01-01 00:00+00",
        "2019-01-01 00:00:00.1234567+00", "2019-01-01 00:00:00Z", "2019-01-01 00:00:00+15",
        "2019-01-01 00:00:00+0530", "2019-01-01 00:00:00+00 BC", "infinity"}) {
    INFO(declined);
    CHECK(binary_hex(BinaryType::kTimestamptz, declined) == "declined");
  }
}

TEST_CASE("copy binary: numerics in base-10000 digits keep their display scale",
          "[sink][binary]") {
  // ndigits 3, weight 1, positive, dscale 3: 1 2345 . 6780
  CHECK(binary_hex(BinaryType::kNumeric, "12345.678") == "0003000100000003" "000109291a7c");
  CHECK(binary_hex(BinaryType::kNumeric, "-0.0001") == "0001ffff40000004" "0001");
  CHECK(binary_hex(BinaryType::kNumeric, "-0.00") == "0000000000000002");
  CHECK(binary_hex(BinaryType::kNumeric, "10000") == "0001000100000000" "0001");
  for (const char* declined : {"1e5", "NaN", "Infinity", "+1", "1.2.3", ".", "-", "1,5"}) {
    INFO(declined);
    CHECK(binary_hex(BinaryType::kNumeric, declined) == "declined");
  }
  CHECK(binary_hex(BinaryType::kFloat8, "1.5") == "3ff8000000000000");
  CHECK(binary_hex(BinaryType::kFloat4, "-2") == "c0000000");
  for (const char* declined :
       {"NaN", "inf", "Infinity", "1e400", "1e-400", "5e-324", "0x10", "+1"}) {
    INFO(declined);
    CHECK(binary_hex(BinaryType::kFloat8, declined) == "declined");
  }
}

TEST_CASE("copy binary: rows of COPY text become tuples, and an unknown escape or a stray field "
          "declines the whole batch",
          "[sink][binary]") {
  CopyBinaryEncoder encoder({BinaryType::kInt4, BinaryType::kText});
  std::string out = "kept";
  REQUIRE(encoder.encode("1\ta\\tb\n2\t\\N\n", out));
  std::string hex;
  for (unsigned char c : out.substr(4)) hex += fmt::format("{:02x}", c);
  CHECK(hex ==
        "0002" "00000004" "00000001" "00000003" "610962"
        "0002" "00000004" "00000002" "ffffffff");
  CopyBinaryEncoder::Declined why;
  std::string unused;
  CHECK_FALSE(encoder.encode("1\ta\n2.5\tb\n", unused, &why));
  CHECK(why.column == 0);
  CHECK(why.value == "2.5");
  for (const char* declined : {"1\ta\\x41\n", "1\ta\tb\n", "1\n", "1\ta", "x\ta\n"}) {
    INFO(declined);
    std::string again = "kept";
    CHECK_FALSE(encoder.encode(declined, again));
    CHECK(again == "kept");
  }
}

namespace {

// Sends each value both ways into a one-column table of `type`: COPY text into a, COPY binary
// (when the encoder takes it) into b. Each must then fail on both or land as the same value.
// Returns how many values the encoder took.
int compare_with_text_copy(Connection& c, const std::string& type, BinaryType kind,
                           const std::vector<std::string>& values) {
  c.exec("DROP TABLE IF EXISTS a, b; CREATE TABLE a (n int, v " + type +
         "); CREATE TABLE b (n int, v " + type + ")");
  CopyBinaryEncoder encoder({BinaryType::kInt4, kind});
  int taken = 0;
  for (size_t n = 0; n < values.size(); ++n) {
    std::string line = std::to_string(n) + "\t";
    mapengine::append_copy_escaped(line, values[n]);
    line += '\n';
    std::string binary;
    if (!encoder.encode(line, binary)) continue;
    ++taken;
    auto copy = [&](const std::string& table, const std::string& options,
                    const std::vector<std::string_view>& parts) {
      try {
        c.copy_in_begin("COPY " + table + " FROM STDIN" + options);
        for (std::string_view part : parts) c.copy_in_send(part);
        c.copy_in_end();
        return true;
      } catch (const Error&) {
        return false;
      }
    };
    bool as_text = copy("a", "", {line});
    bool as_binary = copy("b", " (FORMAT binary)",
                          {CopyBinaryEncoder::header(), binary, CopyBinaryEncoder::trailer()});
    INFO(type << " value '" << values[n] << "'");
    CHECK(as_text == as_binary);
  }
  auto differing = c.exec(
      "SELECT string_agg(format('%s: %s / %s', n, a.v::text, b.v::text), '; ') FROM a FULL JOIN "
      "b USING (n) WHERE a.v::text IS DISTINCT FROM b.v::text OR a.n IS NULL OR b.n IS NULL");
  INFO(type);
  CHECK(differing.value(0, 0) == "");
  return taken;
}

}  // namespace

TEST_CASE("copy binary: every value the encoder takes lands as COPY text would land it",
          "[sink][binary][db]") {
  TestDatabase db;
  Connection c(db.url(), "target");
  std::mt19937_64 random(20261203);
  auto digits = [&](size_t count) {
    std::string s;
    for (size_t i = 0; i < count; ++i) s += static_cast<char>('0' + random() % 10);
    return s;
  };

  std::vector<std::string> integers = {"0", "-0", "007", "-1", "32767", "-32768", "2147483647",
                                       "-2147483648", "9223372036854775807",
                                       "-9223372036854775808"};
  for (int i = 0; i < 100; ++i) integers.push_back((i % 2 ? "-" : "") + digits(1 + random() % 18));
  CHECK(compare_with_text_copy(c, "int2", BinaryType::kInt2, integers) >= 6);
  CHECK(compare_with_text_copy(c, "int4", BinaryType::kInt4, integers) >= 10);
  CHECK(compare_with_text_copy(c, "int8", BinaryType::kInt8, integers) == 110);

  std::vector<std::string> numerics = {"0", "-0", "0.00", "-0.00", "1", "-1", "12345.678",
                                       "0.0001", "10000", "99999999", "1.10", "-123.4500", ".5",
                                       "5.", "0000123.0100",
                                       "1234567890123456789012345678901234567890.123456789"};
  for (int i = 0; i < 200; ++i) {
    std::string n = (i % 3 == 0 ? "-" : "") + digits(random() % 25);
    if (i % 2 == 0) n += "." + digits(random() % 25);
    if (n.empty() || n == "-" || n.back() == '.') n += "7";
    numerics.push_back(n);
  }
  CHECK(compare_with_text_copy(c, "numeric", BinaryType::kNumeric, numerics) ==
        static_cast<int>(numerics.size()));
  // The column's scale rounds both the same way; too many digits fail both.
  CHECK(compare_with_text_copy(c, "numeric(10,2)", BinaryType::kNumeric,
                               {"123.456", "-0.005", "99999999.995", "12345678901.5", "1.1"}) == 5);

  std::vector<std::string> floats = {"0", "-0", "1.5", "0.1", "3.4028235e38", "1e-38",
                                     "1.17549435e-38", "123456789", "1e-45", "1e308",
                                     "2.2250738585072014e-308", "-1.5e-300", "5e-324",
                                     "3.141592653589793238462643383279", "1E5", ".25", "7."};
  for (int i = 0; i < 100; ++i) {
    floats.push_back(digits(1 + random() % 17) + "." + digits(1 + random() % 5) + "e" +
                     (i % 2 ? "-" : "") + std::to_string(random() % 40));
  }
  CHECK(compare_with_text_copy(c, "float8", BinaryType::kFloat8, floats) >= 110);
  CHECK(compare_with_text_copy(c, "float4", BinaryType::kFloat4, floats) >= 60);

  std::vector<std::string> dates = {"2000-01-01", "1999-12-31", "2019-02-28", "2020-02-29",
                                    "0001-01-01", "9999-12-31", "1900-03-01"};
  std::vector<std::string> stamps, stamptzs;
  for (const std::string& d : dates) {
    stamps.push_back(d + " 00:00:00");
    stamps.push_back(d + "T23:59:59.999999");
    stamptzs.push_back(d + " 12:30:00+00");
    stamptzs.push_back(d + " 00:00:00.25-08");
  }
  for (int i = 0; i < 200; ++i) {
    std::string t = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", 1 + random() % 9999,
                                1 + random() % 12, 1 + random() % 28, random() % 24,
                                random() % 60, random() % 60);
    if (i % 2) t += "." + digits(1 + random() % 6);
    stamps.push_back(t);
    int offset = static_cast<int>(random() % 29) - 14;
    t += fmt::format("{}{:02}", offset < 0 ? '-' : '+', std::abs(offset));
    if (i % 3 == 0) t += fmt::format(":{:02}", random() % 60);
    if (i % 9 == 0) t += fmt::format(":{:02}", random() % 60);
    stamptzs.push_back(t);
  }
  CHECK(compare_with_text_copy(c, "date", BinaryType::kDate, dates) == 7);
  CHECK(compare_with_text_copy(c, "timestamp", BinaryType::kTimestamp, stamps) ==
        static_cast<int>(stamps.size()));
  CHECK(compare_with_text_copy(c, "timestamptz", BinaryType::kTimestamptz, stamptzs) ==
        static_cast<int>(stamptzs.size()));
  c.exec("SET TimeZone = 'Asia/Kolkata'");
  CHECK(compare_with_text_copy(c, "timestamptz", BinaryType::kTimestamptz, stamptzs) ==
        static_cast<int>(stamptzs.size()));

  std::vector<std::string> texts = {"plain", "tab\there", "new\nline", "cr\rhere", "back\\slash",
                                    "\\N", "unicod\xc3\xa9 \xe2\x9c\x93", "", " padded "};
  CHECK(compare_with_text_copy(c, "text", BinaryType::kText, texts) == 9);
  CHECK(compare_with_text_copy(c, "varchar(5)", BinaryType::kText, {"abc", "abcdef", "ab   "}) ==
        3);
  CHECK(compare_with_text_copy(c, "char(3)", BinaryType::kText, {"ab", "abc", "abcd"}) == 3);
  std::vector<std::string> documents = {"{\"a\": 1}", "[1, 2.50, null]", "\"x\"", "{",
                                        "{\"b\": {\"c\": [true]}, \"a\": 1}"};
  CHECK(compare_with_text_copy(c, "jsonb", BinaryType::kJsonb, documents) == 5);
  CHECK(compare_with_text_copy(c, "json", BinaryType::kText, documents) == 5);
  CHECK(compare_with_text_copy(c, "bytea", BinaryType::kBytea, {"\\x", "\\x00ff", "\\xDEADbeef"}) ==
        3);
  CHECK(compare_with_text_copy(c, "uuid", BinaryType::kUuid,
                               {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                                "A0EEBC999C0B4EF8BB6D6BB9BD380A11"}) == 2);
  CHECK(compare_with_text_copy(c, "bool", BinaryType::kBool, {"t", "f", "true", "false"}) == 4);
  c.exec("CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE DOMAIN positive AS int CHECK (VALUE > 0)");
  CHECK(compare_with_text_copy(c, "mood", BinaryType::kText, {"ok", "meh"}) == 2);
  CHECK(compare_with_text_copy(c, "positive", BinaryType::kInt4, {"5", "-5"}) == 2);
}

TEST_CASE("copy binary: the encoder of a table follows its columns' types through domains, and a "
          "type without one names the column",
          "[sink][binary][db]") {
  TestDatabase db;
  Connection c(db.url(), "target");
  c.exec(
      "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE DOMAIN positive AS int CHECK (VALUE > 0);"
      "CREATE DOMAIN small AS positive CHECK (VALUE < 10);"
      "CREATE TABLE t (id uuid, n small, m mood, at timestamptz, span interval)");
  std::string why;
  auto encoder = mapengine::binary_encoder_for(c, {"public", "t"}, {"id", "n", "m", "at"}, why);
  REQUIRE(encoder);
  std::string out;
  CHECK(encoder->encode("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t7\tok\t2000-01-01 00:00:00+00\n",
                        out));
  CHECK_FALSE(encoder->encode("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t7\tok\t2000-01-01\n", out));
  CHECK_FALSE(mapengine::binary_encoder_for(c, {"public", "t"}, {"id", "span"}, why));
  CHECK(why == "column span is of type interval, which has no binary encoder here");
  CHECK_FALSE(mapengine::binary_encoder_for(c, {"public", "missing"}, {"id"}, why));
}
