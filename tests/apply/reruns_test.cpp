// Integration tests of what apply does around a run: which databases it names before writing,
// how it reports errors that retrying cannot fix, reject limits over the life of a mapping,
// registration that fails whole, the preflight checks, and a target whose state was lost.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <string>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::shell_quote;

namespace {

// Legacy parts 1..n; every part whose id is a multiple of 10 has a negative price, which the
// mapping rejects (n / 10 rejects).
void make_parts(MigrationFixture& f, int rows, const std::string& extra_yaml = "") {
  f.source.exec("CREATE TABLE parts (id int PRIMARY KEY, name text, price int);"
                "INSERT INTO parts SELECT g, 'part ' || g, CASE WHEN g % 10 = 0 THEN -g ELSE g "
                "END FROM generate_series(1, " +
                std::to_string(rows) + ") g;");
  f.target.exec("CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
                "name text NOT NULL, price int NOT NULL CHECK (price >= 0));");
  f.write_file("parts.yaml", "version: 1\ntable: public.parts\nsource: { query: \"SELECT id, name, "
                             "price FROM parts\", key: id }\ntarget: { legacy_key: legacy_id }\n"
                             "batch_size: 100\ncolumns:\n  id: { generate: uuid_v5 }\n"
                             "  legacy_id: id\n  name: name\n  price: price\n" +
                                 extra_yaml);
}

// Orders 1..n point at parts 1..20 in turn; the mapping rejects an order whose part was set
// aside (parts 10 and 20), and declares that it accepts those.
void make_orders(MigrationFixture& f, int rows) {
  f.source.exec("CREATE TABLE orders (id int PRIMARY KEY, part_id int);"
                "INSERT INTO orders SELECT g, (g - 1) % 20 + 1 FROM generate_series(1, " +
                std::to_string(rows) + ") g;");
  f.target.exec("CREATE TABLE orders (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
                "part_id uuid NOT NULL REFERENCES parts);");
  f.write_file("orders.yaml",
               "version: 1\ntable: public.orders\nsource: { query: \"SELECT id, part_id FROM "
               "orders\", key: id }\ntarget: { legacy_key: legacy_id }\nmax_rejects: \"10%\"\n"
               "columns:\n  id: { generate: uuid }\n  legacy_id: id\n"
               "  part_id: { from: part_id, lookup: { table: parts, on_missing: reject } }\n");
}

void append(const MigrationFixture& f, const std::string& name, const std::string& text) {
  std::ofstream(f.dir + "/" + name, std::ios::app) << text;
}

}  // namespace

TEST_CASE("apply names the source and target it is about to use, password redacted",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20, "max_rejects: 2\n");
  // A password in the URL must not be printed; the test server trusts local connections.
  std::string env = "MAPENGINE_TARGET_URL=" + shell_quote(f.target.url() + " password=Sekr3tPw");
  CommandResult r = f.run("apply --no-progress parts.yaml", env);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("source: ") != std::string::npos);
  CHECK(r.out.find("target: ") != std::string::npos);
  CHECK(r.out.find(f.target.name()) != std::string::npos);
  CHECK(r.out.find("Sekr3tPw") == std::string::npos);
  // The databases are named before the plan, that is before anything is written.
  CHECK(r.out.find("target: ") < r.out.find("plan:"));
}

TEST_CASE("the apply summary keeps its columns for a 30-character mapping name",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20, "name: parts_with_a_thirty_char_nm\nmax_rejects: 2\n");
  CommandResult r = f.run("apply --no-progress parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // At the start of a line: the log lines name the mapping too.
  size_t header = r.out.find("\nmapping ");
  size_t row = r.out.find("\nparts_with_a_thirty_char_nm ");
  REQUIRE(header != std::string::npos);
  REQUIRE(row != std::string::npos);
  std::string header_line = r.out.substr(header + 1, r.out.find('\n', header + 1) - header - 1);
  std::string row_line = r.out.substr(row + 1, r.out.find('\n', row + 1) - row - 1);
  // The status and the last figure start at the same column in the header and the row.
  CHECK(header_line.find("status") == row_line.find("succeeded"));
  CHECK(header_line.size() == row_line.size());
}

TEST_CASE("an error retrying cannot fix exits 5 and says what to fix instead of resuming",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20, "max_rejects: 2\n");
  SECTION("a missing database (SQLSTATE class 3D)") {
    std::string env = "MAPENGINE_TARGET_URL=" +
                      shell_quote(f.target.url() + " dbname=" + f.target.name() + "_missing");
    CommandResult r = f.run("apply --no-progress parts.yaml", env);
    INFO(r.out);
    CHECK(r.exit_code == 5);
    CHECK(r.out.find("retrying cannot help (SQLSTATE 3D000)") != std::string::npos);
    CHECK(r.out.find("to resume") == std::string::npos);
  }
  SECTION("a source table the role may not read (SQLSTATE 42501)") {
    std::string role = "noread_" + f.source.name();
    f.source.exec("CREATE ROLE " + role + " LOGIN");
    std::string env = "MAPENGINE_SOURCE_URL=" + shell_quote(f.source.url() + " user=" + role);
    CommandResult r = f.run("apply --no-progress parts.yaml", env);
    f.source.exec("DROP ROLE " + role);
    INFO(r.out);
    CHECK(r.exit_code == 5);
    CHECK(r.out.find("permission denied") != std::string::npos);
    CHECK(r.out.find("retrying cannot help (SQLSTATE 42501)") != std::string::npos);
    CHECK(r.out.find("to resume") == std::string::npos);
  }
  SECTION("an unreachable server stays exit 4 with the resume hint") {
    std::string env = "MAPENGINE_TARGET_URL=" +
                      shell_quote("host=127.0.0.1 port=1 dbname=x connect_timeout=2");
    CommandResult r = f.run("apply --no-progress --retries 0 parts.yaml", env);
    INFO(r.out);
    CHECK(r.exit_code == 4);
  }
}

TEST_CASE("a mapping over its declared max_rejects is refused again on every re-run",
          "[apply][reruns]") {
  MigrationFixture f;
  // One batch holds every row: the batch that exceeds the limit is also the last one.
  make_parts(f, 20, "max_rejects: 1\n");
  CommandResult first = f.run("apply --no-progress parts.yaml");
  INFO(first.out);
  REQUIRE(first.exit_code == 1);
  CHECK(first.out.find("max_rejects exceeded: 2 rows rejected of 20 read (limit 1)") !=
        std::string::npos);
  // The reasons, with an example.
  CHECK(first.out.find("constraint price: 2 rows") != std::string::npos);
  CHECK(first.out.find("legacy key 10, value '-10'") != std::string::npos);

  CommandResult again = f.run("apply --no-progress parts.yaml");
  INFO(again.out);
  CHECK(again.exit_code == 1);
  CHECK(again.out.find("max_rejects exceeded: 2 rows rejected of 20 read") != std::string::npos);
  // The reasons of the rows it holds, although this run rejected none of them itself.
  CHECK(again.out.find("parts: 2 rejected rows, by rule and column:") != std::string::npos);
  CHECK(again.out.find("succeeded") == std::string::npos);
  CHECK(f.target.scalar("SELECT status FROM mapengine.mappings") != "complete");
  CHECK(f.target.scalar("SELECT status FROM mapengine.runs ORDER BY run_id DESC LIMIT 1") ==
        "failed");

  CommandResult validated = f.run("validate parts.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 1);
  CHECK(validated.out.find("over max_rejects 1") != std::string::npos);
  CommandResult report = f.run("report parts.yaml");
  INFO(report.out);
  CHECK(report.out.find("**NOT DONE**") != std::string::npos);
  CHECK(report.out.find("parts: 2 rows rejected, over its max_rejects 1") != std::string::npos);

  SECTION("raising the limit and continuing completes it") {
    std::string text = mapengine::testing::read_file(f.dir + "/parts.yaml");
    text.replace(text.find("max_rejects: 1"), 14, "max_rejects: 2");
    f.write_file("parts.yaml", text);
    CommandResult raised = f.run("apply --no-progress --allow-changed parts.yaml");
    INFO(raised.out);
    CHECK(raised.exit_code == 0);
    CHECK(f.target.scalar("SELECT status FROM mapengine.mappings") == "complete");
    CHECK(f.target.scalar("SELECT count(*) FROM parts") == "18");
  }
}

TEST_CASE("without max_rejects a table with rejects finishes, its dependents run, and every "
          "later run exits 1 until the rejects are accepted",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20);
  make_orders(f, 40);
  CommandResult r = f.run("apply --no-progress .");
  INFO(r.out);
  REQUIRE(r.exit_code == 1);
  // parts finished: all its good rows are in, the rejects are set aside.
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "18");
  CHECK(f.target.scalar("SELECT status FROM mapengine.mappings WHERE mapping = 'parts'") ==
        "complete");
  // Its dependent ran; the orders of the two set-aside parts are rejected in turn (declared).
  CHECK(f.target.scalar("SELECT count(*) FROM orders") == "36");
  CHECK(std::regex_search(r.out, std::regex("\nparts +rejects ")));
  CHECK(std::regex_search(r.out, std::regex("\norders +succeeded ")));
  CHECK(r.out.find("constraint price: 2 rows") != std::string::npos);
  CHECK(r.out.find("legacy key 10, value '-10'") != std::string::npos);
  CHECK(r.out.find("2 of 20 rows rejected and no max_rejects declared") != std::string::npos);
  CHECK(f.target.scalar("SELECT status FROM mapengine.runs") == "rejects");

  CommandResult again = f.run("apply --no-progress .");
  INFO(again.out);
  CHECK(again.exit_code == 1);
  CHECK(std::regex_search(again.out, std::regex("\nparts +rejects ")));
  CHECK(std::regex_search(again.out, std::regex("\norders +up-to-date ")));

  CommandResult validated = f.run("validate .");
  INFO(validated.out);
  CHECK(validated.exit_code == 1);
  CHECK(validated.out.find("2 row(s) rejected and no max_rejects declared") != std::string::npos);
  CommandResult report = f.run("report .");
  INFO(report.out);
  CHECK(report.out.find("**NOT DONE**") != std::string::npos);
  CHECK(report.out.find("parts: 2 rows rejected and no max_rejects declared") !=
        std::string::npos);

  // Accepting them is a change of the file: adopted without re-running a row.
  append(f, "parts.yaml", "max_rejects: 2\n");
  CHECK(f.run("apply --no-progress .").exit_code == 3);
  CommandResult accepted = f.run("apply --no-progress --allow-changed .");
  INFO(accepted.out);
  CHECK(accepted.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "18");
  CommandResult clean = f.run("validate .");
  INFO(clean.out);
  CHECK(clean.exit_code == 0);
}

TEST_CASE("a mapping whose target table does not exist fails before registering, an unrelated "
          "mapping applies meanwhile, and the fixed mapping applies",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20, "max_rejects: 2\n");
  f.source.exec("CREATE TABLE techs (id int PRIMARY KEY, name text);"
                "INSERT INTO techs SELECT g, 't' || g FROM generate_series(1, 30) g;");
  f.target.exec("CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
                "name text);");
  // A typo in `table:`: public.technician.
  std::string techs = "version: 1\ntable: public.technician\nsource: { query: \"SELECT id, name "
                      "FROM techs\", key: id }\ntarget: { legacy_key: legacy_id }\ncolumns:\n"
                      "  id: { generate: uuid }\n  legacy_id: id\n  name: name\n";
  f.write_file("technicians.yaml", techs);
  CommandResult typo = f.run("apply --no-progress technicians.yaml");
  INFO(typo.out);
  CHECK(typo.exit_code == 1);
  CHECK(typo.out.find("technicians.yaml:2:8: error: target table public.technician does not "
                      "exist on the target database; did you mean `technicians`?") !=
        std::string::npos);
  CHECK(typo.out.find("nothing was written") != std::string::npos);
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");

  CommandResult unrelated = f.run("apply --no-progress parts.yaml");
  INFO(unrelated.out);
  CHECK(unrelated.exit_code == 0);

  techs.replace(techs.find("technician\n"), 11, "technicians\n");
  f.write_file("technicians.yaml", techs);
  CommandResult fixed = f.run("apply --no-progress technicians.yaml");
  INFO(fixed.out);
  CHECK(fixed.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM technicians") == "30");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_maps") == "48");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.mappings WHERE status <> 'complete' "
                        "OR lease_owner IS NOT NULL") == "0");
}

TEST_CASE("a mapping registered for a table that no longer exists does not stop other applies",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20, "max_rejects: 2\n");
  f.source.exec("CREATE TABLE techs (id int PRIMARY KEY, name text);"
                "INSERT INTO techs SELECT g, 't' || g FROM generate_series(1, 30) g;");
  f.target.exec("CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
                "name text);");
  f.write_file("technicians.yaml",
               "version: 1\ntable: public.technicians\nsource: { query: \"SELECT id, name FROM "
               "techs\", key: id }\ntarget: { legacy_key: legacy_id }\ncolumns:\n"
               "  id: { generate: uuid }\n  legacy_id: id\n  name: name\n");
  REQUIRE(f.run("apply --no-progress technicians.yaml").exit_code == 0);
  // The table of a registered mapping goes away (dropped by hand, or registered half by an
  // older mapengine): rebuilding the id map view must not fail every later apply. (The view
  // reads the table, so dropping it takes CASCADE, which drops the view too.)
  f.target.exec("DROP TABLE technicians CASCADE");
  CommandResult r = f.run("apply --no-progress parts.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_maps") == "18");
}

TEST_CASE("apply runs lint --db's checks first and stops at a finding with its location",
          "[apply][reruns]") {
  MigrationFixture f;
  make_parts(f, 20, "max_rejects: 2\n");
  SECTION("a source column that does not exist") {
    std::string text = mapengine::testing::read_file(f.dir + "/parts.yaml");
    text.replace(text.find("  name: name\n"), 13, "  name: nmae\n");
    f.write_file("parts.yaml", text);
    CommandResult r = f.run("apply --no-progress parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("parts.yaml:9:9: error:") != std::string::npos);
    CHECK(r.out.find("nmae") != std::string::npos);
  }
  SECTION("a target column that does not exist") {
    f.target.exec("ALTER TABLE parts RENAME COLUMN price TO unit_price");
    CommandResult r = f.run("apply --no-progress parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("parts.yaml:10:3: error: `price` is not a column of public.parts") !=
          std::string::npos);
  }
  // Nothing written, no state touched.
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
}

TEST_CASE("a mapping whose state was lost is not inserted again into its loaded table",
          "[apply][reruns]") {
  MigrationFixture f;
  // No legacy-key column: nothing in the table refuses a second copy of a row.
  f.source.exec("CREATE TABLE notes (id int PRIMARY KEY, body text);"
                "INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 50) g;");
  f.target.exec("CREATE TABLE notes (id uuid PRIMARY KEY, body text NOT NULL);");
  f.write_file("notes.yaml", "version: 1\ntable: public.notes\nsource: { query: \"SELECT id, body "
                             "FROM notes\", key: id }\ncolumns:\n  id: { generate: uuid }\n"
                             "  body: body\n");
  REQUIRE(f.run("apply --no-progress notes.yaml").exit_code == 0);
  f.target.exec("DROP SCHEMA mapengine CASCADE");

  CommandResult r = f.run("apply --no-progress notes.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("public.notes already holds rows, but this target has no record of mapping "
                   "notes") != std::string::npos);
  CHECK(r.out.find("--allow-existing-rows") != std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM notes") == "50");
  // Nothing half-registered: the refused mapping holds no lease and no state row.
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.mappings") == "0");

  SECTION("--restart cannot find the lost rows either, and is refused the same way") {
    CommandResult restart = f.run("apply --no-progress --restart notes.yaml");
    INFO(restart.out);
    CHECK(restart.exit_code == 3);
    CHECK(restart.out.find("already holds rows") != std::string::npos);
    CHECK(f.target.scalar("SELECT count(*) FROM notes") == "50");
  }
  SECTION("emptied, it applies again") {
    f.target.exec("TRUNCATE notes");
    CommandResult again = f.run("apply --no-progress notes.yaml");
    INFO(again.out);
    CHECK(again.exit_code == 0);
    CHECK(f.target.scalar("SELECT count(*) FROM notes") == "50");
  }
  SECTION("--allow-existing-rows starts it anyway") {
    CommandResult forced = f.run("apply --no-progress --allow-existing-rows notes.yaml");
    INFO(forced.out);
    CHECK(forced.exit_code == 0);
    CHECK(f.target.scalar("SELECT count(*) FROM notes") == "100");
  }
}
