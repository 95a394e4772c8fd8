#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "engine/state/batch_record.h"
#include "engine/state/lease.h"
#include "engine/state/legacy_key.h"
#include "engine/state/state_schema.h"
#include "tests/support/test_database.h"

using mapengine::Error;
using mapengine::ErrorKind;
using mapengine::PendingRef;
using mapengine::RejectRecord;
using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;
namespace state = mapengine::state;

namespace {

const std::string kOwner = "here:1:1:b.n.1";

// A state schema with mapping "m" leased to kOwner and one range, leased to kOwner too, whose
// checkpoint is at the start.
Connection registered(const TestDatabase& db) {
  Connection target(db.url(), "target");
  state::ensure_state_schema(target);
  target.exec(
      "INSERT INTO mapengine.mappings (mapping, table_schema, table_name, file, checksum, "
      "key_columns, status, lease_owner, lease_until) VALUES ('m', 'public', 't', 'm.yaml', 'x', "
      "'{id}', 'running', $1, clock_timestamp() + interval '1 minute')",
      {kOwner});
  target.exec(
      "INSERT INTO mapengine.checkpoints (mapping, range_no, lease_owner, lease_until) VALUES "
      "('m', 0, $1, clock_timestamp() + interval '1 minute')",
      {kOwner});
  return target;
}

state::CheckpointAdvance advance(const std::vector<std::string>& previous,
                                 const std::vector<std::string>& last) {
  state::CheckpointAdvance a;
  a.previous_key = previous;
  a.last_key = last;
  a.counts = {3, 2, 1, 0};
  return a;
}

// Writes one batch's record (the id of legacy key `key`, its pending reference, a reject of key
// `key` + "r") and moves the checkpoint, in one transaction; rolls it back and rethrows on failure.
void write_batch(Connection& target, const std::string& owner, const state::CheckpointAdvance& a,
                 bool renew = false, const std::string& key = "1") {
  target.begin();
  try {
    state::BatchRecord record("m", 1);
    record.add_id(key, "10" + key);
    record.add_pending(PendingRef{"parent_id", key, "2"});
    record.add_reject(RejectRecord{key + "r", "", std::nullopt, "transform", "bad\tvalue\n"});
    record.write(target);
    state::advance_checkpoint(target, "m", owner, a, renew);
    target.commit();
  } catch (...) {
    target.abandon_transaction();
    throw;
  }
}

std::string scalar(Connection& c, const std::string& sql) {
  return std::string(c.exec(sql).value(0, 0));
}

}  // namespace

TEST_CASE("a batch's record and its checkpoint commit together", "[state][batch_record]") {
  TestDatabase db;
  Connection target = registered(db);
  std::vector<std::string> last = {"3"};
  write_batch(target, kOwner, advance({}, last));
  CHECK(scalar(target, "SELECT new_id FROM mapengine.id_map WHERE legacy_key = '1'") == "101");
  CHECK(scalar(target, "SELECT ref FROM mapengine.pending_refs WHERE column_name = "
                       "'parent_id'") == "2");
  CHECK(scalar(target, "SELECT format('%s|%s|%s', column_name IS NULL, rule, reason) FROM "
                       "mapengine.rejects") == "t|transform|bad\tvalue\n");
  CHECK(scalar(target, "SELECT format('%s|%s|%s|%s|%s', last_key, rows_read, rows_written, "
                       "rows_rejected, batches) FROM mapengine.checkpoints") ==
        "[\"3\"]|3|2|1|1");
  CHECK(state::batch_committed(target, "m", 0, last));
  CHECK_FALSE(state::batch_committed(target, "m", 0, std::vector<std::string>{"4"}));
}

TEST_CASE("batch fencing: a batch whose lease was taken over writes nothing",
          "[state][batch_record]") {
  TestDatabase db;
  Connection target = registered(db);
  target.exec("UPDATE mapengine.mappings SET lease_owner = 'there:2:2:b.n.2'");
  try {
    write_batch(target, kOwner, advance({}, {"3"}));
    FAIL("the batch committed without the lease");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConflict);
    CHECK_THAT(e.what(), Catch::Contains("no longer holds the mapping's lease"));
  }
  CHECK(scalar(target, "SELECT count(*) FROM mapengine.id_map") == "0");
  CHECK(scalar(target, "SELECT count(*) FROM mapengine.rejects") == "0");
  CHECK(scalar(target, "SELECT batches FROM mapengine.checkpoints") == "0");
  CHECK_FALSE(state::holds_lease(target, "m", kOwner));
}

TEST_CASE("batch fencing: a batch whose range was taken over writes nothing",
          "[state][batch_record]") {
  TestDatabase db;
  Connection target = registered(db);
  target.exec("UPDATE mapengine.checkpoints SET lease_owner = 'there:2:2:b.n.2'");
  for (bool mapping_lease : {true, false}) {
    // Also for a process that joined the run, which does not hold the mapping's lease.
    if (!mapping_lease) target.exec("UPDATE mapengine.mappings SET lease_owner = NULL");
    std::vector<std::string> none, last = {"3"};  // the advance's keys point into them
    state::CheckpointAdvance a = ::advance(none, last);
    a.mapping_lease = mapping_lease;
    try {
      write_batch(target, kOwner, a);
      FAIL("the batch committed without the range's lease");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kConflict);
      CHECK_THAT(e.what(), Catch::Contains("range 0: this process no longer holds the range's "
                                           "lease"));
    }
    CHECK(scalar(target, "SELECT count(*) FROM mapengine.id_map") == "0");
    CHECK(scalar(target, "SELECT batches FROM mapengine.checkpoints") == "0");
  }
}

TEST_CASE("a process that joined the run writes under its range's lease alone, and the range's "
          "last batch gives it back",
          "[state][batch_record]") {
  TestDatabase db;
  Connection target = registered(db);
  target.exec("UPDATE mapengine.mappings SET lease_owner = 'there:2:2:b.n.2'");
  target.exec("UPDATE mapengine.checkpoints SET lease_until = clock_timestamp()");
  std::vector<std::string> none, first = {"3"}, second = {"7"};  // the advances' keys
  state::CheckpointAdvance a = ::advance(none, first);
  a.mapping_lease = false;
  write_batch(target, kOwner, a);
  // Every batch renews the range's lease.
  CHECK(scalar(target, "SELECT format('%s|%s', lease_owner, lease_until > clock_timestamp() + "
                       "interval '4 minutes') FROM mapengine.checkpoints") == kOwner + "|t");
  a = ::advance(first, second);
  a.mapping_lease = false;
  a.range_done = true;
  write_batch(target, kOwner, a, false, "2");
  CHECK(scalar(target, "SELECT format('%s|%s|%s', done, lease_owner IS NULL, lease_until IS "
                       "NULL) FROM mapengine.checkpoints") == "t|t|t");
  CHECK(scalar(target, "SELECT count(*) FROM mapengine.id_map") == "2");
}

TEST_CASE("batch fencing: a checkpoint not where the last batch left it stops the batch",
          "[state][batch_record]") {
  TestDatabase db;
  Connection target = registered(db);
  write_batch(target, kOwner, advance({}, {"3"}));
  // A second process's view: it believes its last batch ended at 9.
  try {
    write_batch(target, kOwner, advance({"9"}, {"12"}), false, "5");
    FAIL("the batch moved a checkpoint that was elsewhere");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConflict);
    CHECK_THAT(e.what(), Catch::Contains("the checkpoint is not where"));
  }
  CHECK(scalar(target, "SELECT last_key::text FROM mapengine.checkpoints") == "[\"3\"]");
  CHECK(scalar(target, "SELECT count(*) FROM mapengine.id_map") == "1");
  // From where it is, the next batch goes on; renewing moves the lease's expiry forward.
  write_batch(target, kOwner, advance({"3"}, {"12"}), /*renew=*/true, "6");
  CHECK(scalar(target, "SELECT last_key::text FROM mapengine.checkpoints") == "[\"12\"]");
  CHECK(scalar(target, "SELECT lease_until > clock_timestamp() + interval '4 minutes' FROM "
                       "mapengine.mappings") == "t");
}

TEST_CASE("a retried batch replaces the rejects of the keys it retried", "[state][batch_record]") {
  TestDatabase db;
  Connection target = registered(db);
  write_batch(target, kOwner, advance({}, {"3"}));  // rejects key 1r
  target.begin();
  state::BatchRecord record("m", 2);
  record.replace_rejects_of({"1r"});
  record.add_reject(RejectRecord{"1r", "name", "x", "constraint", "again"});
  CHECK(record.write(target) == 1);
  state::adjust_retried_counts(target, "m", kOwner, /*written=*/0, /*rejects_removed=*/1,
                               /*rejected=*/1);
  target.commit();
  CHECK(scalar(target, "SELECT format('%s|%s|%s', run_id, value, reason) FROM "
                       "mapengine.rejects") == "2|x|again");
  CHECK(scalar(target, "SELECT rows_rejected FROM mapengine.checkpoints") == "1");
}

TEST_CASE("key parts round-trip through the one JSON key codec", "[state][legacy_key]") {
  std::vector<std::string> parts = {"1", "a\"b\\c\n\t", ""};
  std::string json = mapengine::key_parts_json(parts);
  CHECK(json == "[\"1\",\"a\\\"b\\\\c\\n\\t\",\"\"]");
  CHECK(mapengine::key_parts_from_json(json) == parts);
  CHECK_FALSE(mapengine::key_parts_from_json("").has_value());
  CHECK_FALSE(mapengine::key_parts_from_json("{}").has_value());
}
