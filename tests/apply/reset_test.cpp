// Integration tests of starting over: `mapengine reset` and `apply --restart`, against the real
// server. Makers keep their legacy key in the target; parts keep theirs only in the engine's id
// map and reference makers through a foreign key.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::shell_quote;

namespace {

// 20 makers, 1000 parts; every 100th part names maker 99, which does not exist (a reject).
void make_catalog(MigrationFixture& f) {
  f.source.exec(
      "CREATE TABLE makers (id int PRIMARY KEY, name text);"
      "INSERT INTO makers SELECT g, 'maker ' || g FROM generate_series(1, 20) g;"
      "CREATE TABLE parts (id int PRIMARY KEY, maker_id int, label text);"
      "INSERT INTO parts SELECT g, CASE WHEN g % 100 = 0 THEN 99 ELSE g % 20 + 1 END, "
      "'part ' || g FROM generate_series(1, 1000) g;");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text);"
      "CREATE TABLE parts (id uuid PRIMARY KEY, maker_id uuid NOT NULL REFERENCES makers,"
      " label text);");
  f.write_file("makers.yaml", R"(version: 1
table: makers
source: { query: "SELECT id, name FROM makers", key: id }
target: { legacy_key: legacy_id }
max_rejects: 1000
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  name: name
)");
  f.write_file("parts.yaml", R"(version: 1
table: parts
source: { query: "SELECT id, maker_id, label FROM parts", key: id }
batch_size: 300
max_rejects: 1000
columns:
  id: { generate: uuid_v5 }
  maker_id: { from: maker_id, lookup: makers }
  label: label
)");
}

std::string tables(const MigrationFixture& f) {
  return f.target_rows("SELECT id, legacy_id, name FROM makers ORDER BY legacy_id") +
         f.target_rows("SELECT p.id, m.legacy_id, p.label FROM parts p JOIN makers m ON m.id = "
                       "p.maker_id ORDER BY p.label") +
         f.target_rows("SELECT mapping, legacy_key, new_id FROM mapengine.id_maps "
                       "ORDER BY mapping, legacy_key") +
         f.target_rows("SELECT mapping, legacy_key, column_name, value, rule FROM "
                       "mapengine.rejects ORDER BY mapping, legacy_key");
}

std::string dump(const MigrationFixture& f) {
  std::string file = f.dir + "/dump.sql";
  std::string command = "/usr/lib/postgresql/15/bin/pg_dump --no-owner " +
                        shell_quote(f.target.url()) + " > " + shell_quote(file);
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(file);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

// The line of `out` that starts with `prefix`, its runs of spaces collapsed to one.
std::string line_of(const std::string& out, const std::string& prefix) {
  size_t at = out.find("\n" + prefix);
  if (at == std::string::npos) return "";
  std::string line = out.substr(at + 1, out.find('\n', at + 1) - at - 1);
  std::string collapsed;
  for (char c : line) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += c;
  }
  return collapsed;
}

}  // namespace

TEST_CASE("apply --restart of a loaded mapping with a legacy-key column ends with exactly the source's "
          "rows",
          "[reset]") {
  MigrationFixture reference;
  make_catalog(reference);
  REQUIRE(reference.run("apply --no-progress makers.yaml").exit_code == 0);

  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  CommandResult again = f.run("apply --no-progress --restart makers.yaml");
  INFO(again.out);
  REQUIRE(again.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM makers") == "20");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
  CHECK(f.target.scalar("SELECT rows_written FROM mapengine.checkpoints") == "20");
  CHECK(tables(f) == tables(reference));
}

TEST_CASE("apply --restart of a completed mapping without a legacy-key column ends with exactly the "
          "source's rows",
          "[reset]") {
  MigrationFixture reference;
  make_catalog(reference);
  REQUIRE(reference.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);

  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  CommandResult again = f.run("apply --no-progress --restart parts.yaml");
  INFO(again.out);
  REQUIRE(again.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "990");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_map") == "990");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "10");
  CHECK(tables(f) == tables(reference));
  // Plain apply and validate work afterwards.
  CHECK(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  CommandResult validated = f.run("validate makers.yaml parts.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}

TEST_CASE("apply --restart of a mapping whose rows another mapping references is refused, naming it",
          "[reset]") {
  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  std::string before = tables(f);
  CommandResult refused = f.run("apply --no-progress --restart makers.yaml");
  INFO(refused.out);
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("990 rows of public.parts reference its rows (constraint "
                         "parts_maker_id_fkey; written by mapping parts") != std::string::npos);
  CHECK(tables(f) == before);
  // Both together: reset in reverse order, applied in order.
  CommandResult both = f.run("apply --no-progress --restart makers.yaml parts.yaml");
  INFO(both.out);
  CHECK(both.exit_code == 0);
  CHECK(tables(f) == before);
}

TEST_CASE("reset refuses while other mappings' rows reference its rows, and --cascade resets them "
          "first",
          "[reset]") {
  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  std::string before = tables(f);

  CommandResult refused = f.run("reset makers.yaml");
  INFO(refused.out);
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("makers: 990 rows of public.parts reference its rows (constraint "
                         "parts_maker_id_fkey; written by mapping parts: reset it first, name it "
                         "too, or pass --cascade)") != std::string::npos);
  CHECK(tables(f) == before);

  // A row no mapping wrote refuses even with --cascade.
  f.target.exec("INSERT INTO parts SELECT gen_random_uuid(), id, 'by hand' FROM makers "
                "WHERE legacy_id = 3");
  CommandResult by_hand = f.run("reset --cascade makers.yaml");
  INFO(by_hand.out);
  CHECK(by_hand.exit_code == 3);
  CHECK(by_hand.out.find("1 rows of public.parts reference its rows (constraint "
                         "parts_maker_id_fkey; rows no mapping wrote") != std::string::npos);
  f.target.exec("DELETE FROM parts WHERE label = 'by hand'");

  CommandResult cascade = f.run("reset --cascade makers.yaml");
  INFO(cascade.out);
  REQUIRE(cascade.exit_code == 0);
  CHECK(cascade.out.find("parts (cascade)") != std::string::npos);
  CHECK(cascade.out.find("password") == std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM makers") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_maps") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.checkpoints") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.mappings") == "0");
  // Recorded as a run; parts went first.
  CHECK(f.target_rows("SELECT rm.mapping, rm.status FROM mapengine.run_mappings rm JOIN "
                      "mapengine.runs r USING (run_id) WHERE r.command = 'reset' "
                      "ORDER BY rm.started_at") ==
        "parts|reset\nmakers|reset\n");

  // Reset then apply gives the same tables as the first apply.
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  CHECK(tables(f) == before);
}

TEST_CASE("reset of several mappings runs in reverse dependency order and leaves other rows",
          "[reset]") {
  MigrationFixture f;
  make_catalog(f);
  // Rows that were there before mapengine: never deleted.
  f.target.exec("INSERT INTO makers VALUES ('00000000-0000-0000-0000-000000000001', 1, 'old');");
  REQUIRE(f.run("apply --no-progress --allow-existing-rows makers.yaml parts.yaml").exit_code ==
          0);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects WHERE mapping = 'makers'") ==
        "1");
  CommandResult r = f.run("reset makers.yaml parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(f.target_rows("SELECT legacy_id, name FROM makers") == "1|old\n");
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
}

TEST_CASE("reset --dry-run shows the counts and changes nothing", "[reset]") {
  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  std::string before = dump(f);
  CommandResult r = f.run("reset --dry-run --cascade makers.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // mapping, table, rows, id map, rejects, pending, checkpoints
  CHECK(line_of(r.out, "parts (cascade)") == "parts (cascade) public.parts 990 990 10 0 1");
  CHECK(line_of(r.out, "makers") == "makers public.makers 20 0 0 0 1");
  CHECK(r.out.find("dry run: nothing was changed") != std::string::npos);
  CHECK(dump(f) == before);
}

TEST_CASE("reset is refused while another live process holds the mapping", "[reset]") {
  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  f.target.exec("UPDATE mapengine.mappings SET status = 'running', lease_owner = "
                "'builder-7:4242:99', lease_until = now() + interval '5 minutes'");
  CommandResult r = f.run("reset makers.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("host builder-7, pid 4242, run 99") != std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM makers") == "20");
  // An expired lease does not hold it.
  f.target.exec("UPDATE mapengine.mappings SET lease_until = now() - interval '1 second'");
  CHECK(f.run("reset makers.yaml").exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM makers") == "0");
}

TEST_CASE("reset on a target where nothing has run says so and creates nothing", "[reset]") {
  MigrationFixture f;
  make_catalog(f);
  CommandResult r = f.run("reset makers.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("nothing has been applied to this target") != std::string::npos);
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
}
