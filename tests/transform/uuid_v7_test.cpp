// Version 7 UUIDs (RFC 9562 section 5.7): the layout, the RFC's test vector, time ordering and
// uniqueness across threads.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/transform/uuid.h"

namespace {

using mapengine::UuidText;

std::string text(const UuidText& id) { return std::string(id.data(), id.size()); }

int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t millis_of(const std::string& id) {
  auto bytes = mapengine::parse_uuid(id);
  REQUIRE(bytes);
  auto millis = mapengine::uuid_v7_millis(*bytes);
  REQUIRE(millis);
  return *millis;
}

// Version nibble 7 and variant 0b10 (the first hex digit of the fourth group is 8, 9, a or b).
bool v7_form(const std::string& id) {
  return id.size() == 36 && id[14] == '7' && std::string("89ab").find(id[19]) != std::string::npos;
}

}  // namespace

TEST_CASE("uuid_v7 lays out the RFC 9562 test vector (appendix A.6)", "[transform][uuid]") {
  // unix_ts_ms 0x017F22E279B0 (2022-02-22 19:22:22 UTC), rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
  auto bytes = mapengine::uuid_v7_layout(0x017F22E279B0, 0xCC3, 0x18C4DC0C0C07398FULL);
  CHECK(mapengine::format_uuid(bytes) == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
  CHECK(mapengine::uuid_v7_millis(bytes) == 0x017F22E279B0);
  // Only the low 12 bits of rand_a and 62 of rand_b fit around the version and variant.
  CHECK(mapengine::format_uuid(mapengine::uuid_v7_layout(0, 0xFFFF, ~0ULL)) ==
        "00000000-0000-7fff-bfff-ffffffffffff");
  CHECK_FALSE(mapengine::uuid_v7_millis(*mapengine::parse_uuid(mapengine::uuid_v4())));
}

TEST_CASE("uuid_v7 ids of the load time hold it and strictly increase", "[transform][uuid]") {
  const int64_t before = now_millis();
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(text(mapengine::uuid_v7_now_text()));
  const int64_t after = now_millis();
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO(ids[i]);
    REQUIRE(v7_form(ids[i]));
    if (i > 0) REQUIRE(ids[i - 1] < ids[i]);  // the text sorts as the uuid does
  }
  CHECK(millis_of(ids.front()) >= before);
  // Beyond 4,096 ids in a millisecond the counter carries into the time field; 20,000 ids may
  // run a few milliseconds ahead of the clock, never more than one per 2,048 ids.
  CHECK(millis_of(ids.back()) <= after + static_cast<int64_t>(ids.size()) / 2048);
}

TEST_CASE("uuid_v7 ids are unique and increasing across threads", "[transform][uuid]") {
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kEach; ++i) made[t].push_back(text(mapengine::uuid_v7_now_text()));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : made) {
    for (size_t i = 1; i < ids.size(); ++i) REQUIRE(ids[i - 1] < ids[i]);
    all.insert(ids.begin(), ids.end());
  }
  CHECK(all.size() == static_cast<size_t>(kThreads * kEach));
}

TEST_CASE("uuid_v7 ids of a row's own time hold that time", "[transform][uuid]") {
  std::string why;
  auto id = mapengine::uuid_v7_of_time_text("2022-02-22 19:22:22.5+00", why);
  REQUIRE(id);
  CHECK(v7_form(text(*id)));
  CHECK(millis_of(text(*id)) == 1645557742500);
  CHECK(text(*id).substr(0, 15) == "017f22e2-7ba4-7");  // 1645557742500 = 0x017F22E27BA4
  // The same instant written with another offset, and a timestamp without one (read as UTC).
  CHECK(millis_of(text(*mapengine::uuid_v7_of_time_text("2022-02-22 14:22:22.5-05", why))) ==
        1645557742500);
  CHECK(millis_of(text(*mapengine::uuid_v7_of_time_text("2022-02-22T19:22:22.5", why))) ==
        1645557742500);
  CHECK(millis_of(text(*mapengine::uuid_v7_of_time_text("2022-02-22", why))) == 1645488000000);
  // Sub-millisecond digits are cut, not rounded: the id never holds a later time than the row's.
  CHECK(millis_of(text(*mapengine::uuid_v7_of_time_text("1970-01-01 00:00:00.0019+00", why))) == 1);

  CHECK_FALSE(mapengine::uuid_v7_of_time_text("1969-12-31 23:59:59.999+00", why));
  CHECK(why.find("1970") != std::string::npos);
  CHECK_FALSE(mapengine::uuid_v7_of_time_text("yesterday", why));
}

TEST_CASE("uuid_v7 ids of one time sort in the order they were made, and times sort first",
          "[transform][uuid]") {
  std::vector<std::string> ids;
  for (int i = 0; i < 3000; ++i) ids.push_back(text(mapengine::uuid_v7_at_text(1000)));
  for (size_t i = 1; i < ids.size(); ++i) {
    // The counter starts below 2^29 of its 2^30: 3,000 ids of one time count up without
    // rolling over (a 12-bit counter, as in the load-time ids, would roll over here).
    REQUIRE(ids[i - 1] < ids[i]);
    REQUIRE(millis_of(ids[i]) == 1000);
  }
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  // A later time sorts after every id of an earlier one, and an earlier time before.
  CHECK(text(mapengine::uuid_v7_at_text(1001)) > ids.back());
  CHECK(text(mapengine::uuid_v7_at_text(999)) < ids.front());
  CHECK(text(mapengine::uuid_v7_at_text(mapengine::kUuidV7MaxMillis)).substr(0, 14) ==
        "ffffffff-ffff-");
}
