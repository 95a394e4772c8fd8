// Processes sharing one mapping's key ranges (apply --join): each range loaded once by the process
// holding its lease, a killed process's ranges taken over where their checkpoints are, and the
// mapping-level steps (bulk mode's re-adds, the completion) run once, by one process.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "engine/pg/connection.h"
#include "tests/support/migration_fixture.h"
#include "tests/support/process.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::wait_for_exit;

namespace {

// 20 makers and `parts` parts; the target's parts have a foreign key to makers and an index
// (set aside in bulk mode), and a statement trigger that makes every write wait while a test
// holds advisory lock 4242 (the gate: processes claim their ranges, then wait at their first
// batch).
void make_catalog(MigrationFixture& f, int parts, const std::string& bulk) {
  f.source.exec(
      "CREATE TABLE makers (id int PRIMARY KEY, name text);"
      "INSERT INTO makers SELECT g, 'maker ' || g FROM generate_series(1, 20) g;"
      "CREATE TABLE parts (id int PRIMARY KEY, maker_id int, label text);"
      "INSERT INTO parts SELECT g, g % 20 + 1, 'part ' || g FROM generate_series(1, " +
      std::to_string(parts) + ") g; ANALYZE parts;");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text);"
      "CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
      " maker_id uuid NOT NULL CONSTRAINT parts_maker_fk REFERENCES makers, label text);"
      "CREATE INDEX parts_label ON parts (label);"
      "CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$;"
      "CREATE TRIGGER parts_gate BEFORE INSERT ON parts FOR EACH STATEMENT "
      "EXECUTE FUNCTION gate();");
  f.write_file("makers.yaml", R"(version: 1
table: makers
source: { query: "SELECT id, name FROM makers", key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid_v7 }
  legacy_id: id
  name: name
)");
  f.write_file("parts.yaml", R"(version: 1
table: parts
source: { query: "SELECT id, maker_id, label FROM parts", key: id }
target: { legacy_key: legacy_id, bulk: )" + bulk + R"( }
batch_size: 100
columns:
  id: { generate: uuid_v7 }
  legacy_id: id
  maker_id: { from: maker_id, lookup: makers }
  label: label
)");
}

// The rows as loaded: each legacy id once, with its maker; the id map; the counters.
std::string outcome(const MigrationFixture& f) {
  return f.target_rows("SELECT count(*), count(DISTINCT legacy_id), min(legacy_id), "
                       "max(legacy_id) FROM parts") +
         f.target_rows("SELECT count(*) FROM parts p JOIN makers m ON m.id = p.maker_id "
                       "WHERE m.legacy_id = p.legacy_id % 20 + 1 AND p.label = 'part ' || "
                       "p.legacy_id") +
         f.target_rows("SELECT count(*) FROM mapengine.id_maps WHERE mapping = 'parts'") +
         f.target_rows("SELECT sum(rows_read), sum(rows_written), bool_and(done), "
                       "count(lease_owner) FROM mapengine.checkpoints WHERE mapping = 'parts'") +
         f.target_rows("SELECT status, lease_owner IS NULL FROM mapengine.mappings "
                       "WHERE mapping = 'parts'");
}

std::string definitions(const MigrationFixture& f) {
  return f.target_rows("SELECT conname, pg_get_constraintdef(oid), convalidated FROM "
                       "pg_constraint WHERE conrelid = 'parts'::regclass ORDER BY conname") +
         f.target_rows("SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c "
                       "ON c.oid = x.indexrelid WHERE x.indrelid = 'parts'::regclass ORDER BY 1");
}

// Waits (up to 60 s) until `sql` on the target gives `expected`; whether it did.
bool wait_until(const MigrationFixture& f, const std::string& sql, const std::string& expected) {
  for (int i = 0; i < 6000; ++i) {
    try {
      if (f.target.scalar(sql) == expected) return true;
    } catch (const std::exception&) {
      // the state schema is not there yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Ranges held by live leases, as "range=pid" pairs.
const char* kHeld =
    "SELECT count(*) || '/' || count(DISTINCT lease_owner) FROM mapengine.checkpoints "
    "WHERE mapping = 'parts' AND lease_owner IS NOT NULL";

// Starts the first process (4 ranges, 2 at a time) and a joiner (2 at a time) behind the gate,
// and waits until each holds two ranges. Returns their pids.
std::pair<int, int> start_two(MigrationFixture& f, mapengine::pg::Connection& gate,
                              const std::string& extra = "") {
  gate.exec("SELECT pg_advisory_lock(4242)");
  int first = f.start("apply --no-progress --ranges 4 --parallel 2 " + extra + " parts.yaml",
                      f.dir + "/first.log");
  REQUIRE(first > 0);
  REQUIRE(wait_until(f, kHeld, "2/1"));
  int second = f.start("apply --no-progress --join --parallel 2 " + extra + " parts.yaml",
                       f.dir + "/second.log");
  REQUIRE(second > 0);
  REQUIRE(wait_until(f, kHeld, "4/2"));
  return {first, second};
}

}  // namespace

TEST_CASE("two processes load one table's four key ranges together: each row once, the "
          "mapping finished once",
          "[apply][join]") {
  MigrationFixture f;
  make_catalog(f, 20000, "false");
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  mapengine::pg::Connection gate(f.target.url(), "test");
  auto [first, second] = start_two(f, gate);

  // Without --join a third is refused, and told about --join.
  CommandResult refused = f.run("apply --no-progress parts.yaml");
  INFO(refused.out);
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("another mapengine is applying this mapping") != std::string::npos);
  CHECK(refused.out.find("--join") != std::string::npos);
  // status shows which ranges each process holds.
  CommandResult status = f.run("status parts.yaml");
  INFO(status.out);
  CHECK(status.out.find("parts: ranges 0, 1 held by host ") != std::string::npos);
  CHECK(status.out.find("; ranges 2, 3 held by host ") != std::string::npos);
  CHECK(status.out.find("running") != std::string::npos);

  gate.exec("SELECT pg_advisory_unlock(4242)");
  wait_for_exit(first);
  wait_for_exit(second);
  std::string logs = read_file(f.dir + "/first.log") + read_file(f.dir + "/second.log");
  INFO(logs);
  // One of them finished the mapping; the other said so and ended well.
  CHECK(f.target.scalar("SELECT string_agg(status, ',' ORDER BY status) FROM "
                        "mapengine.run_mappings WHERE mapping = 'parts'") ==
        "handed-over,succeeded");
  // The makers' run and both processes' (the mapping handed over counts as done).
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.runs WHERE status = 'succeeded'") ==
        "3");
  CHECK(logs.find("finishes the mapping") != std::string::npos);
  CHECK(outcome(f) == "20000|20000|1|20000\n20000\n20000\n20000|20000|t|0\ncomplete|t\n");
  CommandResult validate = f.run("validate makers.yaml parts.yaml");
  INFO(validate.out);
  CHECK(validate.exit_code == 0);
  CHECK(f.run("apply --no-progress parts.yaml").out.find("up-to-date") != std::string::npos);
}

TEST_CASE("a joined process killed mid-load: its ranges are taken over at their checkpoints, "
          "every row once",
          "[apply][join]") {
  MigrationFixture f;
  make_catalog(f, 20000, "false");
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  mapengine::pg::Connection gate(f.target.url(), "test");
  auto [first, second] = start_two(f, gate);
  gate.exec("SELECT pg_advisory_unlock(4242)");
  // Once the joiner has committed batches in its ranges, it dies without a word.
  REQUIRE(wait_until(f,
                     "SELECT sum(batches) >= 3 FROM mapengine.checkpoints WHERE mapping = "
                     "'parts' AND range_no >= 2",
                     "t"));
  REQUIRE(kill(second, SIGKILL) == 0);
  wait_for_exit(second);
  wait_for_exit(first);
  // The first process took the dead one's ranges over and finished, or (had it run out of
  // ranges before the kill) left them for the next apply, which resumes them.
  CommandResult resumed = f.run("apply --no-progress parts.yaml");
  INFO(read_file(f.dir + "/first.log") << resumed.out);
  CHECK(resumed.exit_code == 0);
  CHECK(outcome(f) == "20000|20000|1|20000\n20000\n20000\n20000|20000|t|0\ncomplete|t\n");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.runs WHERE status = 'running'") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.runs WHERE status = 'abandoned' AND "
                        "message LIKE '%took over its key range%'") == "1");
  CHECK(f.run("validate makers.yaml parts.yaml").exit_code == 0);
}

TEST_CASE("apply --join with nothing running is a plain apply", "[apply][join]") {
  MigrationFixture f;
  make_catalog(f, 2000, "false");
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  CommandResult r = f.run("apply --no-progress --join parts.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(outcome(f) == "2000|2000|1|2000\n2000\n2000\n2000|2000|t|0\ncomplete|t\n");
  CHECK(f.run("apply --no-progress --join parts.yaml").out.find("up-to-date") !=
        std::string::npos);
  CommandResult usage = f.run("apply --no-progress --join --restart parts.yaml");
  CHECK(usage.exit_code == 2);
}

TEST_CASE("a bulk load shared by two processes sets its definitions aside and re-creates them "
          "once",
          "[apply][join][bulk]") {
  MigrationFixture f;
  make_catalog(f, 20000, "with_indexes");
  const std::string before = definitions(f);
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  mapengine::pg::Connection gate(f.target.url(), "test");
  auto [first, second] = start_two(f, gate);
  // The joiner writes into the table as the first process left it: definitions set aside.
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.bulk_definitions") == "2");
  gate.exec("SELECT pg_advisory_unlock(4242)");
  wait_for_exit(first);
  wait_for_exit(second);
  std::string logs = read_file(f.dir + "/first.log") + read_file(f.dir + "/second.log");
  INFO(logs);
  auto count = [&](const std::string& text) {
    int n = 0;
    for (size_t at = logs.find(text); at != std::string::npos; at = logs.find(text, at + 1)) ++n;
    return n;
  };
  CHECK(count("set aside until the load ends") == 1);
  CHECK(count("1 foreign key and 1 index re-created in") == 1);
  CHECK(definitions(f) == before);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.bulk_definitions") == "0");
  CHECK(outcome(f) == "20000|20000|1|20000\n20000\n20000\n20000|20000|t|0\ncomplete|t\n");
  CHECK(f.run("validate makers.yaml parts.yaml").exit_code == 0);
}
