// Integration tests of foreign-key cycles between tables: lint names the way out, a lookup
// marked `deferred: true` breaks the cycle, its column is filled once the other side is written
// (also after kill -9 during the fill), and validate never excuses a column left unfilled.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/pg/connection.h"
#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::wait_for_exit;

namespace {

// stores.manager_staff_id -> staff, staff.store_id -> stores. 40 stores managed by staff 10,
// 20, ...; store 7 has no manager, store 13 names a staff member that does not exist.
void make_stores_and_staff(MigrationFixture& f, int staff_rows) {
  std::string rows = std::to_string(staff_rows);
  f.source.exec(
      "CREATE TABLE stores (id int PRIMARY KEY, name text, manager_staff_id int);"
      "INSERT INTO stores SELECT g, 'Store ' || g, CASE WHEN g = 7 THEN NULL WHEN g = 13 THEN "
      "999999 ELSE g * 10 END FROM generate_series(1, 40) g;"
      "CREATE TABLE staff (id int PRIMARY KEY, name text, store_id int NOT NULL);"
      "INSERT INTO staff SELECT g, 'Person ' || g, g % 40 + 1 FROM generate_series(1, " +
      rows + ") g;");
  f.target.exec(
      "CREATE TABLE stores (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text,"
      " manager_id uuid);"
      "CREATE TABLE staff (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text,"
      " store_id uuid NOT NULL REFERENCES stores);"
      "ALTER TABLE stores ADD FOREIGN KEY (manager_id) REFERENCES staff;");
  f.write_file("staff.yaml", R"(version: 1
table: public.staff
source: { table: staff, key: id }
target: { legacy_key: legacy_id }
batch_size: 500
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  name: name
  store_id: { from: store_id, lookup: stores }
)");
}

std::string stores_yaml(const std::string& lookup) {
  return R"(version: 1
table: public.stores
source: { table: stores, key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  name: name
  manager_id: { from: manager_staff_id, lookup: )" +
         lookup + " }\n";
}

// Each store's legacy id with its manager's legacy id, through the target's foreign key.
std::string managers(const MigrationFixture& f) {
  return f.target_rows(
      "SELECT s.legacy_id, m.legacy_id FROM stores s LEFT JOIN staff m ON m.id = s.manager_id "
      "ORDER BY 1");
}

std::string expected_managers(int staff_rows) {
  std::string out;
  for (int g = 1; g <= 40; ++g) {
    bool missing = g == 7 || g == 13 || g * 10 > staff_rows;
    out += std::to_string(g) + "|" + (missing ? "NULL" : std::to_string(g * 10)) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("a two-table foreign-key cycle is refused with the lookups that can be deferred",
          "[apply][cycles]") {
  MigrationFixture f;
  make_stores_and_staff(f, 1000);
  f.write_file("stores.yaml", stores_yaml("{ table: staff, on_missing: null }"));
  CommandResult lint = f.run("lint .");
  INFO(lint.out);
  CHECK(lint.exit_code == 1);
  CHECK(lint.out.find("dependency cycle: staff -> stores -> staff; break it by marking the "
                      "lookup of a nullable column `deferred: true`") != std::string::npos);
  CHECK(lint.out.find("stores.manager_id (looks up staff)") != std::string::npos);
  CHECK(lint.out.find("staff.store_id (looks up stores)") != std::string::npos);
  CHECK(f.run("apply --no-progress .").exit_code == 1);

  // Both columns NOT NULL: no lookup of the cycle can be deferred, and --db says why.
  f.target.exec("ALTER TABLE stores ALTER manager_id SET NOT NULL");
  CommandResult strict = f.run("lint --db .");
  INFO(strict.out);
  CHECK(strict.out.find("dependency cycle staff -> stores -> staff cannot be broken: every "
                        "lookup column in it is NOT NULL on the target (public.staff.store_id, "
                        "public.stores.manager_id)") != std::string::npos);
  CHECK(strict.out.find("[db-cycle-not-null]") != std::string::npos);
  f.write_file("stores.yaml", stores_yaml("{ table: staff, on_missing: null, deferred: true }"));
  CommandResult deferred_strict = f.run("lint --db .");
  INFO(deferred_strict.out);
  CHECK(deferred_strict.exit_code == 1);
  CHECK(deferred_strict.out.find("[db-deferred-not-null]") != std::string::npos);
  CHECK(deferred_strict.out.find("[dependency-cycle]") == std::string::npos);

  f.target.exec("ALTER TABLE stores ALTER manager_id DROP NOT NULL");
  CommandResult clean = f.run("lint --db .");
  INFO(clean.out);
  CHECK(clean.exit_code == 0);

  // A deferred lookup is filled after the row is written: it cannot reject the row.
  f.write_file("stores.yaml", stores_yaml("{ table: staff, deferred: true }"));
  CommandResult policy = f.run("lint .");
  INFO(policy.out);
  CHECK(policy.out.find("a deferred lookup is filled after the row is written, so it cannot "
                        "reject the row") != std::string::npos);
}

TEST_CASE(
    "a lookup marked deferred breaks a two-table cycle: filled after both sides, validated "
    "like any column",
    "[apply][cycles]") {
  MigrationFixture f;
  make_stores_and_staff(f, 1000);
  f.write_file("stores.yaml", stores_yaml("{ table: staff, on_missing: null, deferred: true }"));
  CommandResult applied = f.run("apply --no-progress .");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);
  CHECK(applied.out.find("38 deferred references filled, 1 found no row and were left NULL") !=
        std::string::npos);
  CHECK(managers(f) == expected_managers(1000));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.pending_refs") == "0");
  CommandResult validated = f.run("validate .");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);

  // A deferred column that lost its value is a difference, as any mapped column is.
  f.target.exec("UPDATE stores SET manager_id = NULL WHERE legacy_id = 3");
  CommandResult changed = f.run("validate stores.yaml");
  INFO(changed.out);
  CHECK(changed.exit_code == 1);
  CHECK(changed.out.find("manager_id") != std::string::npos);
}

TEST_CASE("one side of a cycle applied alone waits, and applying the other side fills it",
          "[apply][cycles]") {
  MigrationFixture f;
  make_stores_and_staff(f, 1000);
  f.write_file("stores.yaml", stores_yaml("{ table: staff, on_missing: null, deferred: true }"));
  CommandResult first = f.run("apply --no-progress stores.yaml");
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("waiting") != std::string::npos);
  CHECK(first.out.find("39 deferred references wait for staff") != std::string::npos);
  CHECK(f.target.scalar("SELECT count(manager_id) FROM stores") == "0");
  // The looked-up table is empty, so resolving now gives NULL too: the parked references alone
  // show that the column is not filled.
  CommandResult early = f.run("validate stores.yaml");
  INFO(early.out);
  CHECK(early.exit_code == 1);
  CHECK(early.out.find("39 deferred reference(s) of manager_id are not filled yet") !=
        std::string::npos);

  CommandResult second = f.run("apply --no-progress staff.yaml");
  INFO(second.out);
  REQUIRE(second.exit_code == 0);
  CHECK(managers(f) == expected_managers(1000));
  CHECK(f.run("validate .").exit_code == 0);
}

TEST_CASE(
    "kill -9 during the deferred fill of a three-table cycle: the next apply fills it "
    "exactly",
    "[apply][cycles][faults]") {
  // companies.ceo -> people, people.team -> teams, teams.company -> companies.
  auto make = [](MigrationFixture& f) {
    f.source.exec(
        "CREATE TABLE companies (id int PRIMARY KEY, ceo_id int);"
        "INSERT INTO companies SELECT g, g * 7 FROM generate_series(1, 300) g;"
        "CREATE TABLE teams (id int PRIMARY KEY, company_id int NOT NULL);"
        "INSERT INTO teams SELECT g, g % 300 + 1 FROM generate_series(1, 900) g;"
        "CREATE TABLE people (id int PRIMARY KEY, team_id int NOT NULL);"
        "INSERT INTO people SELECT g, g % 900 + 1 FROM generate_series(1, 30000) g;");
    f.target.exec(
        "CREATE TABLE companies (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, ceo uuid);"
        "CREATE TABLE teams (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL,"
        " company uuid NOT NULL REFERENCES companies);"
        "CREATE TABLE people (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL,"
        " team uuid NOT NULL REFERENCES teams);"
        "ALTER TABLE companies ADD FOREIGN KEY (ceo) REFERENCES people;");
    f.write_file("companies.yaml", R"(version: 1
table: companies
source: { table: companies, key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  ceo: { from: ceo_id, lookup: { table: people, deferred: true, on_missing: fail } }
)");
    f.write_file("teams.yaml", R"(version: 1
table: teams
source: { table: teams, key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  company: { from: company_id, lookup: companies }
)");
    f.write_file("people.yaml", R"(version: 1
table: people
source: { table: people, key: id }
target: { legacy_key: legacy_id }
batch_size: 500
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  team: { from: team_id, lookup: teams }
)");
  };
  auto final_state = [](const MigrationFixture& f) {
    return f.target_rows(
               "SELECT c.legacy_id, p.legacy_id FROM companies c LEFT JOIN people p "
               "ON p.id = c.ceo ORDER BY 1") +
           f.target_rows("SELECT id, legacy_id, ceo FROM companies ORDER BY legacy_id") +
           f.target_rows("SELECT count(*), count(DISTINCT team) FROM people");
  };

  MigrationFixture reference;
  make(reference);
  REQUIRE(reference.run("apply --no-progress .").exit_code == 0);
  CHECK(reference.target.scalar("SELECT count(*) FROM companies c JOIN people p ON p.id = c.ceo "
                                "AND p.legacy_id = 7 * c.legacy_id") == "300");

  MigrationFixture f;
  make(f);
  std::string log = f.dir + "/apply.log";
  int pid = f.start("apply --no-progress .", log);
  REQUIRE(pid > 0);
  // Once companies is complete, hold a lock that lets people be written but makes the fill's
  // UPDATE of companies wait; then kill the process while it waits.
  mapengine::pg::Connection blocker(f.target.url(), "test");
  mapengine::pg::Connection admin(mapengine::testing::admin_url(), "test");
  bool locked = false;
  for (int i = 0; i < 3000 && !locked; ++i) {
    auto status = admin.exec(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'UPDATE%pending_refs%'",
        {f.target.name()});
    REQUIRE(status.rows() == 0);  // the fill must not start before the lock is held
    if (f.target.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'mapengine' AND "
                        "tablename = 'mappings'") == "1" &&
        f.target.scalar("SELECT count(*) FROM mapengine.mappings WHERE mapping = 'companies' "
                        "AND status = 'complete'") == "1") {
      blocker.exec("BEGIN");
      blocker.exec("LOCK TABLE companies IN SHARE MODE");
      locked = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  REQUIRE(locked);
  bool waiting = false;
  for (int i = 0; i < 6000 && !waiting; ++i) {
    auto fill = admin.exec(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND "
        "query LIKE 'UPDATE%pending_refs%'",
        {f.target.name()});
    waiting = fill.rows() > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  INFO(read_file(log));
  REQUIRE(waiting);
  kill(pid, SIGKILL);
  wait_for_exit(pid);
  blocker.exec("ROLLBACK");
  // The orphaned fill can never commit: its client is gone.
  for (int i = 0; i < 500; ++i) {
    auto left = admin.exec(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'UPDATE%pending_refs%'",
        {f.target.name()});
    if (left.rows() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(f.target.scalar("SELECT count(ceo) FROM companies") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.pending_refs") == "300");
  CHECK(f.run("validate companies.yaml").exit_code == 1);

  CommandResult resumed = f.run("apply --no-progress .");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find("300 deferred references filled") != std::string::npos);
  CHECK(final_state(f) == final_state(reference));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.pending_refs") == "0");
  CommandResult validated = f.run("validate .");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}
