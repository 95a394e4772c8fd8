#include <catch2/catch.hpp>

#include <string>

#include "engine/pg/connection.h"
#include "engine/state/range_lease.h"
#include "engine/state/state_schema.h"
#include "tests/support/test_database.h"

using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;
namespace state = mapengine::state;

namespace {

// Owners on hosts other than this one: only their leases' expiry decides.
const std::string kFirst = "there:1:1:b.n.1";
const std::string kSecond = "yonder:2:2:b.n.2";

// Mapping "m", running, with `ranges` ranges nobody holds.
Connection registered(const TestDatabase& db, int ranges) {
  Connection target(db.url(), "target");
  state::ensure_state_schema(target);
  target.exec(
      "INSERT INTO mapengine.mappings (mapping, table_schema, table_name, file, checksum, "
      "key_columns, status) VALUES ('m', 'public', 't', 'm.yaml', 'x', '{id}', 'running')");
  for (int r = 0; r < ranges; ++r) {
    target.exec("INSERT INTO mapengine.checkpoints (mapping, range_no) VALUES ('m', $1)",
                {std::to_string(r)});
  }
  return target;
}

std::string scalar(Connection& c, const std::string& sql) {
  return std::string(c.exec(sql).value(0, 0));
}

}  // namespace

TEST_CASE("range leases: processes claim distinct ranges, passing over locked and held ones",
          "[state][range_lease]") {
  TestDatabase db;
  Connection target = registered(db, 3);
  Connection other(db.url(), "target");
  auto first = state::claim_range(target, "m", kFirst, 1);
  REQUIRE(first);
  CHECK(first->range_no == 0);
  // Range 1's row is locked (a batch of its holder committing, another claim): passed over.
  other.exec("BEGIN");
  other.exec("SELECT FROM mapengine.checkpoints WHERE range_no = 1 FOR UPDATE");
  auto second = state::claim_range(target, "m", kSecond, 2);
  REQUIRE(second);
  CHECK(second->range_no == 2);
  other.exec("COMMIT");
  auto third = state::claim_range(target, "m", kSecond, 2);
  REQUIRE(third);
  CHECK(third->range_no == 1);
  // Every range is held by a live process: nothing left.
  CHECK_FALSE(state::claim_range(target, "m", "elsewhere:3:3:b.n.3", 3));
  CHECK(scalar(target, "SELECT string_agg(range_no || '=' || lease_owner, ',' ORDER BY "
                       "range_no) FROM mapengine.checkpoints") ==
        "0=" + kFirst + ",1=" + kSecond + ",2=" + kSecond);
  auto holders = state::range_holders(target, "m");
  REQUIRE(holders.size() == 3);
  CHECK(holders[0].live);
  CHECK(state::live_range_holder(holders, kFirst)->owner == kSecond);
  state::release_ranges(target, "m", kSecond);
  CHECK(state::range_holders(target, "m").size() == 1);
}

TEST_CASE("range leases: an expired range is taken over where its checkpoint is, its run "
          "abandoned",
          "[state][range_lease]") {
  TestDatabase db;
  Connection target = registered(db, 1);
  target.exec("INSERT INTO mapengine.runs (run_id, command) VALUES (7, 'apply')");
  target.exec(
      "UPDATE mapengine.checkpoints SET lease_owner = $1, lease_run_id = 7, lease_until = "
      "clock_timestamp() - interval '1 second', last_key = '[\"42\"]', rows_read = 42",
      {kFirst});
  auto taken = state::claim_range(target, "m", kSecond, 8);
  REQUIRE(taken);
  REQUIRE(taken->last_key);
  CHECK((*taken->last_key)[0] == "42");
  CHECK(taken->read == 42);
  CHECK(scalar(target, "SELECT lease_owner FROM mapengine.checkpoints") == kSecond);
  CHECK(scalar(target, "SELECT status FROM mapengine.runs WHERE run_id = 7") == "abandoned");
}

TEST_CASE("range leases: one process finishes the mapping, once every range is done",
          "[state][range_lease]") {
  TestDatabase db;
  Connection target = registered(db, 2);
  target.exec(
      "UPDATE mapengine.mappings SET lease_owner = $1, lease_until = clock_timestamp() + "
      "interval '1 minute'",
      {kFirst});
  target.exec("UPDATE mapengine.checkpoints SET done = true WHERE range_no = 0");
  // The first process's ranges are done, the second's not: the first gives the mapping's lease
  // back for the second to take.
  state::FinishClaim first = state::claim_finish(target, "m", kFirst, 1);
  CHECK_FALSE(first.finish);
  CHECK(first.finisher.empty());
  CHECK(scalar(target, "SELECT lease_owner IS NULL FROM mapengine.mappings") == "t");
  target.exec("UPDATE mapengine.checkpoints SET done = true");
  state::FinishClaim second = state::claim_finish(target, "m", kSecond, 2);
  CHECK(second.finish);
  CHECK(scalar(target, "SELECT lease_owner FROM mapengine.mappings") == kSecond);
  // A third finding every range done too leaves it to the live holder.
  state::FinishClaim third = state::claim_finish(target, "m", "elsewhere:3:3:b.n.3", 3);
  CHECK_FALSE(third.finish);
  CHECK(third.finisher == kSecond);
}
