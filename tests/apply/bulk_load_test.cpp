// Bulk mode (`target.bulk`, `apply --bulk`): a table's foreign keys and secondary indexes are set
// aside for the load and re-created after it, exactly as they were (pg_get_constraintdef and
// pg_get_indexdef compared before and after), whether the load ends, is killed and resumed, is
// killed while the keys are re-added, or is reset.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>

#include "engine/pg/connection.h"
#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::shell_quote;

namespace {

// 20 makers; `parts` parts, part 500 in bin 'Z', which bins does not hold. The target's parts
// have a deferrable foreign key to makers, a NOT VALID one to bins (which still refuses new
// rows), an expression index and a plain one (set aside with_indexes), and a unique one (kept).
void make_catalog(MigrationFixture& f, int parts, const std::string& bulk = "with_indexes") {
  f.source.exec(
      "CREATE TABLE makers (id int PRIMARY KEY, name text);"
      "INSERT INTO makers SELECT g, 'maker ' || g FROM generate_series(1, 20) g;"
      "CREATE TABLE parts (id int PRIMARY KEY, maker_id int, bin text, label text);"
      "INSERT INTO parts SELECT g, g % 20 + 1, CASE WHEN g = 500 THEN 'Z' ELSE "
      "chr(65 + g % 3) END, 'part ' || g FROM generate_series(1, " +
      std::to_string(parts) + ") g;");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text);"
      "CREATE TABLE bins (code text PRIMARY KEY);"
      "INSERT INTO bins VALUES ('A'), ('B'), ('C');"
      "CREATE TABLE parts (id uuid PRIMARY KEY, maker_id uuid NOT NULL, bin text, label text,"
      " CONSTRAINT parts_maker_fk FOREIGN KEY (maker_id) REFERENCES makers ON DELETE CASCADE"
      " DEFERRABLE INITIALLY DEFERRED);"
      "ALTER TABLE parts ADD CONSTRAINT parts_bin_fk FOREIGN KEY (bin) REFERENCES bins (code)"
      " MATCH FULL ON UPDATE CASCADE NOT VALID;"
      "CREATE INDEX parts_label_lower ON parts (lower(label)) WHERE label IS NOT NULL;"
      "CREATE INDEX parts_bin ON parts USING hash (bin);"
      "CREATE UNIQUE INDEX parts_label_unique ON parts (label);");
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
source: { query: "SELECT id, maker_id, bin, label FROM parts", key: id }
target: { bulk: )" + bulk + R"( }
batch_size: 100
max_rejects: 5
columns:
  id: { generate: uuid_v7 }
  maker_id: { from: maker_id, lookup: makers }
  bin: bin
  label: label
)");
}

// Every constraint and index of parts, as the server prints their definitions.
std::string definitions(const MigrationFixture& f) {
  return f.target_rows("SELECT conname, pg_get_constraintdef(oid), convalidated, condeferrable, "
                       "condeferred FROM pg_constraint WHERE conrelid = 'parts'::regclass "
                       "ORDER BY conname") +
         f.target_rows("SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c "
                       "ON c.oid = x.indexrelid WHERE x.indrelid = 'parts'::regclass ORDER BY 1");
}

std::string outcome(const MigrationFixture& f) {
  return f.target_rows("SELECT count(*), count(DISTINCT id) FROM parts") +
         f.target_rows("SELECT count(*) FROM mapengine.id_map WHERE mapping = 'parts'") +
         f.target_rows("SELECT legacy_key, column_name, value, rule FROM mapengine.rejects") +
         f.target_rows("SELECT sum(rows_written), sum(rows_rejected) FROM mapengine.checkpoints "
                       "WHERE mapping = 'parts'") +
         f.target_rows("SELECT count(*) FROM mapengine.bulk_definitions");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Kills the apply started as `pid` once `ready` holds (polled), or after 10 s.
template <typename Ready>
void kill_when(int pid, Ready&& ready) {
  for (int wait = 0; wait < 1000 && !ready(); ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(kill(pid, SIGKILL) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

}  // namespace

TEST_CASE("a bulk load re-creates the foreign keys and indexes it set aside exactly, and a row a "
          "re-added key refuses becomes a reject",
          "[apply][bulk]") {
  MigrationFixture f;
  make_catalog(f, 1000);
  const std::string before = definitions(f);
  CommandResult r = f.run("apply --no-progress makers.yaml parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("parts: bulk load: 2 foreign keys and 2 indexes set aside until the load "
                   "ends") != std::string::npos);
  CHECK(r.out.find("bulk load: 2 foreign keys and 2 indexes re-created in") != std::string::npos);
  CHECK(r.out.find("1 row refused by a re-added foreign key, now rejects") != std::string::npos);
  CHECK(definitions(f) == before);
  CHECK(outcome(f) == "999|999\n999\n500|bin|Z|constraint\n999|1\n0\n");
  CHECK(f.target.scalar("SELECT reason FROM mapengine.rejects") ==
        "insert or update on table \"parts\" violates foreign key constraint \"parts_bin_fk\" "
        "(Key (bin)=(Z) is not present in table bins.) [found when the constraint was re-added "
        "after a bulk load]");

  // The same files without bulk mode: the same rows, the server refusing part 500 per row.
  MigrationFixture plain;
  make_catalog(plain, 1000, "false");
  REQUIRE(plain.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  CHECK(outcome(plain) == outcome(f));
  CHECK(definitions(plain) == before);
}

TEST_CASE("a bulk load whose keys were all valid adds and validates them at once, and still "
          "finds a refused row",
          "[apply][bulk]") {
  for (bool refused : {false, true}) {
    INFO((refused ? "part 500 in a bin that does not exist" : "every row keeps its keys"));
    MigrationFixture f;
    make_catalog(f, 1000);
    f.target.exec("ALTER TABLE parts VALIDATE CONSTRAINT parts_bin_fk");
    if (!refused) f.source.exec("UPDATE parts SET bin = 'A' WHERE id = 500");
    const std::string before = definitions(f);
    CommandResult r = f.run("apply --no-progress makers.yaml parts.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("bulk load: 2 foreign keys and 2 indexes re-created in") != std::string::npos);
    CHECK(definitions(f) == before);
    if (refused) {
      CHECK(outcome(f) == "999|999\n999\n500|bin|Z|constraint\n999|1\n0\n");
    } else {
      CHECK(outcome(f) == "1000|1000\n1000\n1000|0\n0\n");
    }
  }
}

TEST_CASE("bulk mode is refused on a table with rows and for a role that does not own the table",
          "[apply][bulk]") {
  MigrationFixture f;
  make_catalog(f, 50);
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  const std::string before = definitions(f);
  SECTION("a table with rows: exit 3") {
    f.target.exec("INSERT INTO parts (id, maker_id, label) SELECT gen_random_uuid(), id, 'by hand' "
                  "FROM makers LIMIT 1");
    CommandResult r = f.run("apply --no-progress --allow-existing-rows parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("parts: bulk mode needs public.parts empty at the start, and it has rows "
                     "this mapping did not write") != std::string::npos);
  }
  SECTION("a role that does not own it: exit 5") {
    std::string role = "loader_" + f.target.name();
    f.target.exec("CREATE ROLE " + role + " LOGIN; GRANT ALL ON DATABASE " + f.target.name() +
                  " TO " + role + "; GRANT ALL ON SCHEMA public, mapengine TO " + role +
                  "; GRANT ALL ON ALL TABLES IN SCHEMA public, mapengine TO " + role +
                  "; GRANT ALL ON ALL SEQUENCES IN SCHEMA mapengine TO " + role);
    std::string env = "MAPENGINE_TARGET_URL=" + shell_quote(f.target.url() + " user=" + role);
    CommandResult r = f.run("apply --no-progress parts.yaml", env);
    f.target.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
    INFO(r.out);
    CHECK(r.exit_code == 5);
    CHECK(r.out.find("only its owner may do: role " + role + " is not") != std::string::npos);
  }
  CHECK(definitions(f) == before);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.bulk_definitions") == "0");
}

TEST_CASE("a bulk load killed mid-load is restored exactly by the next apply or by reset",
          "[apply][bulk]") {
  MigrationFixture f;
  make_catalog(f, 20000);
  MigrationFixture reference;
  make_catalog(reference, 20000);
  REQUIRE(reference.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  const std::string before = definitions(f);

  int pid = f.start("apply --no-progress parts.yaml", f.dir + "/killed.log");
  REQUIRE(pid > 0);
  kill_when(pid, [&] { return f.committed_batches() >= 3; });
  // Killed mid-load: the keys and indexes are gone from the table and recorded.
  REQUIRE(f.target.scalar("SELECT count(*) FROM mapengine.bulk_definitions") == "4");
  CHECK(f.target.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'parts'::regclass "
                        "AND contype = 'f'") == "0");

  SECTION("the next apply goes on in bulk mode and restores them") {
    CommandResult r = f.run("apply --no-progress parts.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("stay set aside (an earlier attempt's)") != std::string::npos);
    CHECK(definitions(f) == before);
    CHECK(outcome(f) == outcome(reference));
  }
  SECTION("also after a kill between re-adding a key NOT VALID and validating it") {
    // The state a kill leaves after the re-adding transaction committed: the key is back, NOT
    // VALID, and marked so.
    f.target.exec("ALTER TABLE parts ADD CONSTRAINT parts_maker_fk FOREIGN KEY (maker_id) "
                  "REFERENCES makers ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;"
                  "UPDATE mapengine.bulk_definitions SET added = true "
                  "WHERE name = 'parts_maker_fk'");
    CommandResult r = f.run("apply --no-progress parts.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(definitions(f) == before);
    CHECK(outcome(f) == outcome(reference));
  }
  SECTION("reset restores them with the rows gone, and a new bulk load starts clean") {
    CommandResult reset = f.run("reset parts.yaml");
    INFO(reset.out);
    REQUIRE(reset.exit_code == 0);
    CHECK(definitions(f) == before);
    CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
    CHECK(f.target.scalar("SELECT count(*) FROM mapengine.bulk_definitions") == "0");
    CommandResult again = f.run("apply --no-progress parts.yaml");
    INFO(again.out);
    REQUIRE(again.exit_code == 0);
    CHECK(definitions(f) == before);
    CHECK(outcome(f) == outcome(reference));
  }
}

TEST_CASE("a bulk load killed while its foreign keys are re-added is restored by the next apply",
          "[apply][bulk]") {
  MigrationFixture f;
  make_catalog(f, 3000, "true");  // foreign keys only: re-adding them is the first wait
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  const std::string before = definitions(f);
  int pid = f.start("apply --no-progress parts.yaml", f.dir + "/killed.log");
  REQUIRE(pid > 0);
  // Once the keys are set aside, a transaction of ours takes a lock that lets the batches write
  // but holds up the re-adding, which is killed while it waits.
  for (int wait = 0; wait < 2000 && f.target.scalar("SELECT COALESCE(sum(batches), 0) FROM "
                                                    "mapengine.checkpoints WHERE mapping = "
                                                    "'parts'") == "0";
       ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  mapengine::pg::Connection holder(f.target.url(), "test");
  holder.exec("BEGIN");
  holder.exec("LOCK TABLE parts IN ROW EXCLUSIVE MODE");
  kill_when(pid, [&] {
    return f.target.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                           "'Lock' AND query LIKE 'LOCK TABLE%SHARE ROW EXCLUSIVE%'") == "1";
  });
  holder.exec("ROLLBACK");
  INFO(read_file(f.dir + "/killed.log"));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.bulk_definitions") == "2");
  CHECK(f.target.scalar("SELECT bool_and(done) FROM mapengine.checkpoints") == "t");

  CommandResult r = f.run("apply --no-progress parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(definitions(f) == before);
  CHECK(f.target_rows("SELECT legacy_key, column_name, value FROM mapengine.rejects") ==
        "500|bin|Z\n");
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "2999");
}

TEST_CASE("a bulk load killed at random moments, the re-adding included, ends exactly as an "
          "uninterrupted one",
          "[apply][bulk][soak]") {
  MigrationFixture reference;
  make_catalog(reference, 20000);
  REQUIRE(reference.run("apply --no-progress makers.yaml").exit_code == 0);
  auto started = std::chrono::steady_clock::now();
  REQUIRE(reference.run("apply --no-progress parts.yaml").exit_code == 0);
  const auto uninterrupted = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();

  MigrationFixture f;
  make_catalog(f, 20000);
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  const std::string before = definitions(f);

  // Each attempt resumes the one before and is killed at a moment drawn from the whole length
  // of an uninterrupted load (set-aside, batches, re-adding, validating); MAPENGINE_SOAK_SEED
  // replays a failing sequence.
  const char* given = std::getenv("MAPENGINE_SOAK_SEED");
  const unsigned seed = given != nullptr ? static_cast<unsigned>(std::stoul(given))
                                         : std::random_device{}();
  INFO("MAPENGINE_SOAK_SEED=" << seed << ", an uninterrupted load took " << uninterrupted
                              << " ms");
  std::mt19937 random(seed);
  std::uniform_int_distribution<long long> moment(uninterrupted / 20, uninterrupted * 11 / 10);
  std::string kills;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string log = f.dir + "/attempt-" + std::to_string(attempt) + ".log";
    int pid = f.start("apply --no-progress parts.yaml", log);
    REQUIRE(pid > 0);
    const long long after = moment(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(after));
    if (kill(pid, SIGKILL) != 0) break;  // it had finished: nothing left to interrupt
    kills += std::to_string(after) + " ms, ";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO("killed after " << kills);

  CommandResult r = f.run("apply --no-progress parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(definitions(f) == before);
  CHECK(outcome(f) == outcome(reference));
  CommandResult validated = f.run("validate makers.yaml parts.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == reference.run("validate makers.yaml parts.yaml").exit_code);
  CHECK(validated.exit_code == 0);
}
