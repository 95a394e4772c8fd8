#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "engine/sink/batch_writer.h"
#include "engine/state/lease.h"
#include "engine/state/state_schema.h"
#include "tests/support/test_database.h"

using mapengine::Batch;
using mapengine::BatchOutcome;
using mapengine::BatchWriter;
using mapengine::Error;
using mapengine::ErrorKind;
using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;
namespace spec = mapengine::spec;
namespace state = mapengine::state;

namespace {

const std::string kOwner = "here:1:1:b.n.1";

// people (legacy_id, name): the legacy key is kept in the table, so the batch writes no id map.
spec::MappingSpec people() {
  spec::MappingSpec m;
  m.name = "people";
  m.table = {"public", "people"};
  m.key = {"id"};
  m.legacy_key_columns = {"legacy_id"};
  for (const char* name : {"legacy_id", "name"}) {
    spec::ColumnSpec c;
    c.name = name;
    m.columns.push_back(c);
  }
  return m;
}

Connection prepared(const TestDatabase& db) {
  Connection target(db.url(), "target");
  target.exec(
      "CREATE TABLE people (id serial PRIMARY KEY, legacy_id int UNIQUE, "
      "name text NOT NULL CONSTRAINT short_name CHECK (length(name) < 6))");
  state::ensure_state_schema(target);
  target.exec(
      "INSERT INTO mapengine.mappings (mapping, table_schema, table_name, file, checksum, "
      "key_columns, status, lease_owner, lease_until) VALUES ('people', 'public', 'people', "
      "'people.yaml', 'x', '{id}', 'running', $1, clock_timestamp() + interval '1 minute')",
      {kOwner});
  target.exec(
      "INSERT INTO mapengine.checkpoints (mapping, range_no, lease_owner, lease_until) VALUES "
      "('people', 0, $1, clock_timestamp() + interval '1 minute')",
      {kOwner});
  return target;
}

// A batch of rows (legacy id, name) in COPY text.
Batch batch_of(const std::vector<std::pair<std::string, std::string>>& rows) {
  Batch batch;
  for (const auto& [id, name] : rows) {
    size_t begin = batch.encoded.size();
    batch.encoded += id + "\t" + name + "\n";
    batch.rows.push_back({id, "", begin, batch.encoded.size()});
  }
  batch.last_key = {rows.back().first};
  batch.rows_read = static_cast<long>(rows.size());
  return batch;
}

std::string scalar(Connection& c, const std::string& sql) {
  return std::string(c.exec(sql).value(0, 0));
}

}  // namespace

TEST_CASE("sink: rows the server refuses are rejected with its message, the rest is written",
          "[sink]") {
  TestDatabase db;
  Connection target = prepared(db);
  spec::MappingSpec mapping = people();
  state::LeaseRenewal renewal;
  BatchWriter writer(mapping, "legacy_id, name", 1, kOwner, {}, renewal);
  Batch batch = batch_of({{"1", "ann"}, {"2", "bartholomew"}, {"3", "cy"}, {"4", "dorothea"}});
  BatchOutcome outcome = writer.write(target, batch, 0, {}, true);
  CHECK(outcome.written == 2);
  CHECK(outcome.rejected == 2);
  CHECK(outcome.attempts > 1);
  CHECK(scalar(target, "SELECT string_agg(name, ',' ORDER BY legacy_id) FROM people") == "ann,cy");
  CHECK(scalar(target, "SELECT string_agg(format('%s %s %s %s', legacy_key, rule, column_name, "
                       "value), ',' ORDER BY legacy_key) FROM mapengine.rejects") ==
        "2 constraint name bartholomew,4 constraint name dorothea");
  CHECK_THAT(scalar(target, "SELECT min(reason) FROM mapengine.rejects"),
             Catch::Contains("short_name") && Catch::Contains("[SQLSTATE 23514]"));
  CHECK(scalar(target, "SELECT format('%s|%s|%s|%s', last_key, done, rows_written, "
                       "rows_rejected) FROM mapengine.checkpoints") == "[\"4\"]|t|2|2");
}

TEST_CASE("sink: a batch is all or nothing: a lost lease leaves none of its rows", "[sink]") {
  TestDatabase db;
  Connection target = prepared(db);
  spec::MappingSpec mapping = people();
  state::LeaseRenewal renewal;
  BatchWriter writer(mapping, "legacy_id, name", 1, kOwner, {}, renewal);
  target.exec("UPDATE mapengine.mappings SET lease_owner = 'there:2:2:b.n.2'");
  try {
    writer.write(target, batch_of({{"1", "ann"}, {"2", "bo"}}), 0, {}, false);
    FAIL("a batch committed without the lease");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConflict);
  }
  CHECK(scalar(target, "SELECT count(*) FROM people") == "0");
  CHECK_FALSE(target.in_transaction());
}
