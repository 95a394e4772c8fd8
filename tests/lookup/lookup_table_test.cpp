// LookupTable answers exactly as a map from legacy text to id that keeps the first id of a
// duplicate, whichever representation (dense integer index or hashed) its keys lead it to.
#include "engine/lookup/lookup_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

using mapengine::LookupTable;

namespace {

std::string id_of(long long key) { return "id-" + std::to_string(key); }

LookupTable table_of(const std::vector<long long>& keys) {
  LookupTable table;
  for (long long key : keys) table.insert(std::to_string(key), id_of(key));
  table.freeze();
  return table;
}

std::optional<std::string> found(const LookupTable& table, std::string_view legacy) {
  auto id = table.find(legacy);
  return id ? std::optional<std::string>(*id) : std::nullopt;
}

}  // namespace

TEST_CASE("consecutive integer keys are held densely and found by their text", "[lookup]") {
  std::vector<long long> keys;
  for (long long k = 1; k <= 1000; ++k) keys.push_back(k);
  LookupTable table = table_of(keys);
  CHECK(table.dense());
  CHECK(table.size() == 1000);
  CHECK(table.duplicates() == 0);
  CHECK(found(table, "1") == "id-1");
  CHECK(found(table, "4711") == std::nullopt);
  CHECK(found(table, "1000") == "id-1000");
  CHECK(found(table, "1001") == std::nullopt);
  CHECK(found(table, "0") == std::nullopt);
  CHECK(found(table, "-1") == std::nullopt);
}

TEST_CASE("a dense table misses every text that is not the canonical text of its key", "[lookup]") {
  LookupTable table = table_of({0, 7, 8, 70});
  REQUIRE(table.dense());
  CHECK(found(table, "7") == "id-7");
  CHECK(found(table, "0") == "id-0");
  for (std::string_view probe :
       {"007", "07", "+7", "-0", "00", " 7", "7 ", "", "-", "+", "7.0", "7e0", "0x7", "٧",
        "18446744073709551623",   // 2^64 + 7: wraps to 7 if overflow went unnoticed
        "-18446744073709551609",  // -(2^64 - 7): also 7 modulo 2^64
        "99999999999999999999999", "9223372036854775808", "-9223372036854775809"}) {
    INFO("probe '" << probe << "'");
    CHECK(found(table, probe) == std::nullopt);
  }
  std::string with_nul("7\0", 2);
  CHECK(found(table, with_nul) == std::nullopt);
}

TEST_CASE("canonical integer texts are recognised over the whole int64 range", "[lookup]") {
  int64_t value = 1;
  CHECK(LookupTable::parse_canonical_int("9223372036854775807", value));
  CHECK(value == INT64_MAX);
  CHECK(LookupTable::parse_canonical_int("-9223372036854775808", value));
  CHECK(value == INT64_MIN);
  CHECK(LookupTable::parse_canonical_int("0", value));
  CHECK(value == 0);
  CHECK(LookupTable::parse_canonical_int("-42", value));
  CHECK(value == -42);
  CHECK_FALSE(LookupTable::parse_canonical_int("9223372036854775808", value));
  CHECK_FALSE(LookupTable::parse_canonical_int("-9223372036854775809", value));
  CHECK_FALSE(LookupTable::parse_canonical_int("-0", value));
  CHECK_FALSE(LookupTable::parse_canonical_int("0123", value));
  CHECK_FALSE(LookupTable::parse_canonical_int("12a", value));
}

TEST_CASE("negative integer keys and keys at the ends of int64 stay dense", "[lookup]") {
  LookupTable negative = table_of({-5, -4, -3, -1, 0, 1, 2});
  CHECK(negative.dense());
  CHECK(found(negative, "-5") == "id--5");
  CHECK(found(negative, "-2") == std::nullopt);
  CHECK(found(negative, "2") == "id-2");

  LookupTable low;
  low.insert("-9223372036854775808", "min");
  low.insert("-9223372036854775807", "min+1");
  low.freeze();
  CHECK(low.dense());
  CHECK(found(low, "-9223372036854775808") == "min");
  CHECK(found(low, "-9223372036854775807") == "min+1");
  CHECK(found(low, "9223372036854775807") == std::nullopt);

  LookupTable high;
  high.insert("9223372036854775807", "max");
  high.insert("9223372036854775806", "max-1");  // extends the index downwards
  high.freeze();
  CHECK(high.dense());
  CHECK(found(high, "9223372036854775807") == "max");
  CHECK(found(high, "9223372036854775806") == "max-1");
  CHECK(found(high, "-9223372036854775808") == std::nullopt);

  LookupTable both;
  both.insert("9223372036854775807", "max");
  both.insert("-9223372036854775808", "min");  // the span is all of int64
  both.freeze();
  CHECK_FALSE(both.dense());
  CHECK(found(both, "9223372036854775807") == "max");
  CHECK(found(both, "-9223372036854775808") == "min");
  CHECK(found(both, "-1") == std::nullopt);
}

TEST_CASE("sparse integer keys fall back to the hashed table with the same answers", "[lookup]") {
  std::vector<long long> keys;
  for (long long k = 1; k <= 100; ++k) keys.push_back(k * 1000);
  LookupTable table = table_of(keys);
  CHECK_FALSE(table.dense());
  CHECK(table.size() == 100);
  CHECK(found(table, "1000") == "id-1000");
  CHECK(found(table, "100000") == "id-100000");
  CHECK(found(table, "1001") == std::nullopt);
  CHECK(found(table, "01000") == std::nullopt);
}

TEST_CASE("the dense bound is twice the entries plus 1024 slots", "[lookup]") {
  // 10 keys may span 2 * 10 + 1024 = 1044 values, not one more.
  std::vector<long long> keys = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1044};
  CHECK(table_of(keys).dense());
  keys.back() = 1045;
  CHECK_FALSE(table_of(keys).dense());
}

TEST_CASE("mixed text and integer keys are matched by exact text", "[lookup]") {
  LookupTable table;
  table.insert("7", "seven");
  table.insert("abc", "letters");
  table.insert("007", "zero-zero-seven");
  table.insert("", "empty key");
  table.insert("Abc", "capital");
  table.freeze();
  CHECK_FALSE(table.dense());
  CHECK(table.size() == 5);
  CHECK(found(table, "7") == "seven");
  CHECK(found(table, "007") == "zero-zero-seven");
  CHECK(found(table, "07") == std::nullopt);
  CHECK(found(table, "abc") == "letters");
  CHECK(found(table, "Abc") == "capital");
  CHECK(found(table, "ABC") == std::nullopt);
  CHECK(found(table, "") == "empty key");
  CHECK(found(table, " ") == std::nullopt);
}

TEST_CASE("a duplicate legacy value keeps the first id and is counted", "[lookup]") {
  for (bool integer : {true, false}) {
    INFO("integer keys: " << integer);
    std::string prefix = integer ? "" : "k";
    LookupTable table;
    table.insert(prefix + "1", "first");
    table.insert(prefix + "2", "two");
    table.insert(prefix + "1", "second");
    table.insert(prefix + "1", "third");
    table.freeze();
    CHECK(table.dense() == integer);
    CHECK(table.size() == 2);
    CHECK(table.duplicates() == 2);
    CHECK(found(table, prefix + "1") == "first");
  }
}

TEST_CASE("clear empties the table for reuse in either representation", "[lookup]") {
  LookupTable table;
  table.insert("word", "a");
  table.insert("5", "b");
  table.insert("5", "dup");
  table.freeze();
  REQUIRE_FALSE(table.dense());
  table.clear();
  CHECK(table.size() == 0);
  CHECK(table.duplicates() == 0);
  CHECK(found(table, "word") == std::nullopt);
  CHECK(found(table, "5") == std::nullopt);

  for (int k = 10; k < 20; ++k) table.insert(std::to_string(k), id_of(k));
  table.freeze();
  CHECK(table.dense());
  CHECK(table.size() == 10);
  CHECK(found(table, "15") == "id-15");
  CHECK(found(table, "5") == std::nullopt);
  CHECK(found(table, "word") == std::nullopt);

  table.clear();
  table.insert("other", "x");
  table.freeze();
  CHECK(found(table, "other") == "x");
  CHECK(found(table, "15") == std::nullopt);
}

TEST_CASE("an empty table finds nothing", "[lookup]") {
  LookupTable table;
  CHECK(table.size() == 0);
  CHECK(found(table, "") == std::nullopt);
  CHECK(found(table, "0") == std::nullopt);
  table.freeze();
  CHECK(found(table, "1") == std::nullopt);
  CHECK(found(table, "x") == std::nullopt);
}

TEST_CASE("ids and keys with arbitrary bytes come back unchanged", "[lookup]") {
  std::string nul_id("a\0b\xff\n\t\\", 7);
  std::string long_id(100000, '\x01');  // larger than an arena block
  std::string nul_key("k\0", 2);
  LookupTable table;
  table.insert("1", nul_id);
  table.insert("2", long_id);
  table.insert("3", "");
  table.freeze();
  CHECK(table.dense());
  CHECK(found(table, "1") == nul_id);
  CHECK(found(table, "2") == long_id);
  CHECK(found(table, "3") == "");  // an empty id is found, not missing
  table.insert(nul_key, "nul key");
  table.insert("k", "plain key");
  CHECK_FALSE(table.dense());
  CHECK(found(table, nul_key) == "nul key");
  CHECK(found(table, "k") == "plain key");
  CHECK(found(table, "1") == nul_id);
  CHECK(found(table, "2") == long_id);
}

TEST_CASE("found ids stay valid while the table grows and after it is moved", "[lookup]") {
  LookupTable table;
  table.insert("1", "one");
  std::string_view one = *table.find("1");
  for (int k = 2; k < 50000; ++k) table.insert(std::to_string(k), id_of(k));
  table.insert("text", "switches to hashed");
  table.freeze();
  CHECK(one == "one");
  LookupTable moved = std::move(table);
  CHECK(one == "one");
  CHECK(found(moved, "49999") == "id-49999");
}

TEST_CASE("any insertion order gives the answers of a first-wins map", "[lookup]") {
  std::mt19937_64 random(20261125);
  // Key sets: dense, dense with holes, sparse, negative, and mixed with text.
  auto key_text = [&](int set, size_t i) -> std::string {
    switch (set) {
      case 0:
        return std::to_string(i + 1);
      case 1:
        return std::to_string(3 * i / 2 + 100);
      case 2:
        return std::to_string(i * i * 7919);
      case 3:
        return std::to_string(static_cast<long long>(i) - 500);
      default:
        return i % 5 == 0 ? "t" + std::to_string(i) : std::to_string(i);
    }
  };
  for (int set = 0; set < 5; ++set) {
    for (int order = 0; order < 3; ++order) {  // ascending, descending, shuffled
      for (bool freeze : {true, false}) {
        INFO("key set " << set << ", order " << order << ", freeze " << freeze);
        std::vector<std::string> keys;
        for (size_t i = 0; i < 3000; ++i) keys.push_back(key_text(set, i));
        for (size_t i = 0; i < 300; ++i) keys.push_back(keys[random() % keys.size()]);  // dups
        if (order == 1) std::reverse(keys.begin(), keys.end());
        if (order == 2) std::shuffle(keys.begin(), keys.end(), random);

        LookupTable table;
        std::unordered_map<std::string, std::string> expected;
        size_t duplicates = 0;
        for (size_t i = 0; i < keys.size(); ++i) {
          std::string id = "id" + std::to_string(i);
          if (!expected.emplace(keys[i], id).second) ++duplicates;
          table.insert(keys[i], id);
        }
        if (freeze) table.freeze();
        CHECK(table.size() == expected.size());
        CHECK(table.duplicates() == duplicates);
        if (freeze) CHECK(table.dense() == (set == 0 || set == 1 || set == 3));
        size_t wrong = 0;
        for (const auto& [key, id] : expected) {
          if (found(table, key) != id) ++wrong;
        }
        for (const std::string& probe :
             {std::string("0"), std::string("-1"), std::string("999999"), "0" + keys[0],
              keys[0] + " ", std::string("t1"), std::string("")}) {
          auto it = expected.find(probe);
          if (found(table, probe) !=
              (it == expected.end() ? std::nullopt : std::optional<std::string>(it->second))) {
            ++wrong;
          }
        }
        CHECK(wrong == 0);
      }
    }
  }
}
