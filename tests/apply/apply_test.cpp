// Integration tests of `mapengine apply` against the real server: each test builds a small
// legacy database and target, writes mapping files, runs the binary and inspects the target.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::shell_quote;

namespace {

// Legacy users 1..100 have profiles in the target; technicians point at users 1..110, so ids
// whose user is 101..110 miss their lookup. Every 500th technician has status 'X', which the
// target's CHECK constraint refuses.
void make_technicians(MigrationFixture& f, int rows) {
  f.source.exec(
      "CREATE TABLE techs (id int PRIMARY KEY, user_id int, name text, email text, status "
      "char(1));"
      "INSERT INTO techs SELECT g, (g % 110) + 1, '  Tech ' || g || '  ', "
      "CASE WHEN g % 7 = 0 THEN NULL ELSE ' T' || g || '@Lab.example ' END, "
      "CASE WHEN g % 500 = 0 THEN 'X' WHEN g % 3 = 0 THEN 'I' ELSE 'A' END "
      "FROM generate_series(1, " + std::to_string(rows) + ") g;");
  f.target.exec(
      "CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_user_id int "
      "UNIQUE);"
      "INSERT INTO profiles (legacy_user_id) SELECT g FROM generate_series(1, 100) g;"
      "CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_technician_id int UNIQUE NOT NULL,"
      " profile_id uuid NOT NULL REFERENCES profiles, name text NOT NULL, email text,"
      " status text NOT NULL CHECK (status IN ('active', 'inactive')));");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n"
               "  - { table: public.profiles, legacy_key: legacy_user_id }\n");
  f.write_file("technicians.yaml", R"(version: 1
table: public.technicians
source:
  query: SELECT id, user_id, name, email, status FROM techs
  key: id
target:
  legacy_key: legacy_technician_id
batch_size: 500
max_rejects: "10%"  # ~9.1% lookup misses and ~0.2% CHECK refusals, on purpose
columns:
  id: { generate: uuid_v5 }
  legacy_technician_id: { from: id }
  profile_id: { from: user_id, lookup: { table: profiles, on_missing: reject } }
  name: { from: name, transform: [trim] }
  email: { from: email, transform: [trim, lower] }
  status: { from: status, transform: [{ map: { A: active, I: inactive }, on_unmapped: keep }] }
)");
}

long long expected_lookup_misses(int rows) {
  long long misses = 0;
  for (int g = 1; g <= rows; ++g) misses += ((g % 110) + 1) > 100 ? 1 : 0;
  return misses;
}

long long expected_constraint_rejects(int rows) {
  long long n = 0;
  for (int g = 1; g <= rows; ++g) n += (g % 500 == 0 && ((g % 110) + 1) <= 100) ? 1 : 0;
  return n;
}

std::string dump(const MigrationFixture& f) {
  std::string file = f.dir + "/dump.sql";
  std::string command = "/usr/lib/postgresql/15/bin/pg_dump --no-owner " +
                        shell_quote(f.target.url()) + " > " + shell_quote(file);
  REQUIRE(std::system(command.c_str()) == 0);
  // pg_dump writes a random \restrict key per dump: leave those lines out of the comparison.
  std::ifstream in(file);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

std::string final_state(const MigrationFixture& f) {
  return f.target_rows(
             "SELECT t.id, t.legacy_technician_id, p.legacy_user_id, t.name, t.email, t.status "
             "FROM technicians t JOIN profiles p ON p.id = t.profile_id "
             "ORDER BY legacy_technician_id") +
         f.target_rows(
             // The server's DETAIL repeats the row with its random profile ids: leave it out.
             "SELECT mapping, legacy_key, column_name, value, rule, "
             "regexp_replace(reason, 'Failing row contains .*\\)', '') FROM "
             "mapengine.rejects ORDER BY mapping, legacy_key::int");
}

}  // namespace

TEST_CASE("apply migrates a table with lookups and transforms, rejecting bad rows per row",
          "[apply]") {
  MigrationFixture f;
  const int rows = 2600;
  make_technicians(f, rows);
  CommandResult r = f.run("apply --no-progress technicians.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  long long misses = expected_lookup_misses(rows);
  long long refused = expected_constraint_rejects(rows);
  CHECK(f.target.scalar("SELECT count(*) FROM technicians") ==
        std::to_string(rows - misses - refused));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects WHERE rule = 'lookup'") ==
        std::to_string(misses));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects WHERE rule = 'constraint'") ==
        std::to_string(refused));
  CHECK(f.target.scalar("SELECT reason FROM mapengine.rejects WHERE legacy_key = '104'") ==
        "no public.profiles row with legacy_user_id = 105");
  CHECK(f.target.scalar(
            "SELECT column_name || '=' || value FROM mapengine.rejects WHERE legacy_key = '104'") ==
        "profile_id=105");
  // Values went through the transforms; NULL stayed NULL.
  CHECK(f.target_rows("SELECT name, email, status FROM technicians WHERE legacy_technician_id "
                      "IN (1, 3, 7) ORDER BY 1") ==
        "Tech 1|t1@lab.example|active\nTech 3|t3@lab.example|inactive\nTech 7|NULL|active\n");
  // Checkpoint and run records.
  CHECK(f.target.scalar("SELECT status FROM mapengine.mappings") == "complete");
  CHECK(f.target.scalar("SELECT rows_read FROM mapengine.checkpoints") == std::to_string(rows));
  CHECK(f.target.scalar("SELECT status FROM mapengine.runs") == "succeeded");
  // The id map view presents the legacy column uniformly.
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_maps WHERE mapping = 'technicians'") ==
        f.target.scalar("SELECT count(*) FROM technicians"));

  SECTION("a second apply with the same file is a no-op") {
    std::string before = final_state(f);
    CommandResult again = f.run("apply --no-progress technicians.yaml");
    INFO(again.out);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("up-to-date") != std::string::npos);
    CHECK(final_state(f) == before);
  }
  SECTION("a changed file after completion needs --restart") {
    std::ofstream(f.dir + "/technicians.yaml", std::ios::app) << "# changed\n";
    CommandResult changed = f.run("apply --no-progress technicians.yaml");
    CHECK(changed.exit_code == 3);
    CHECK(changed.out.find("changed since it was applied") != std::string::npos);
  }
}

TEST_CASE("a dry run reads and transforms everything but leaves the target unchanged",
          "[apply]") {
  MigrationFixture f;
  make_technicians(f, 1200);
  std::string before = dump(f);
  CommandResult r = f.run("apply --no-progress --dry-run technicians.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("dry run: nothing was written") != std::string::npos);
  CHECK(r.out.find("sample of transformed rows") != std::string::npos);
  CHECK(dump(f) == before);
}

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

// The kill -9 soak: short by default; MAPENGINE_SOAK_ROWS and MAPENGINE_SOAK_KILLS make it longer.
TEST_CASE("resume after kill -9 mid-run loses no row and duplicates none", "[apply][resume]") {
  const int rows = env_int("MAPENGINE_SOAK_ROWS", 200000);
  const int kill_rounds = env_int("MAPENGINE_SOAK_KILLS", 5);
  MigrationFixture reference;
  make_technicians(reference, rows);
  CommandResult r = reference.run("apply --no-progress technicians.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);

  MigrationFixture f;
  make_technicians(f, rows);
  int kills = 0;
  for (int attempt = 0; attempt < kill_rounds; ++attempt) {
    int pid = f.start("apply --no-progress technicians.yaml", "/dev/null");
    REQUIRE(pid > 0);
    // Wait until a random number of further batches is committed, then kill without warning.
    long long start_batches = f.committed_batches();
    long long more = 2 + (attempt * 7919) % 9;
    for (int wait = 0; wait < 1000; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (f.committed_batches() >= start_batches + more) break;
    }
    if (kill(pid, SIGKILL) == 0) ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(kills > 0);
  CommandResult resumed = f.run("apply --no-progress technicians.yaml");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK(final_state(f) == final_state(reference));
  CHECK(f.target.scalar("SELECT rows_read FROM mapengine.checkpoints") == std::to_string(rows));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_maps") ==
        reference.target.scalar("SELECT count(*) FROM mapengine.id_maps"));
  // The killed runs are marked when their lease is found dead, not left "running" for ever.
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.runs WHERE status = 'running'") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.runs WHERE status = 'abandoned' AND "
                        "message LIKE 'ended without recording its outcome%'") ==
        std::to_string(kills));
}

TEST_CASE("a mapping changed between attempts is refused unless --allow-changed", "[apply]") {
  MigrationFixture f;
  make_technicians(f, 3000);
  // max_rejects stops the first attempt early, leaving committed progress behind.
  {
    std::ifstream in(f.dir + "/technicians.yaml");
    std::string text(std::istreambuf_iterator<char>(in), {});
    text.replace(text.find("max_rejects: \"10%\""), 18, "max_rejects: 3");
    f.write_file("technicians.yaml", text);
  }
  CommandResult first = f.run("apply --no-progress technicians.yaml");
  INFO(first.out);
  REQUIRE(first.exit_code == 1);
  CHECK(first.out.find("max_rejects exceeded") != std::string::npos);
  CHECK(f.target.scalar("SELECT status FROM mapengine.runs") == "failed");

  std::ofstream(f.dir + "/technicians.yaml", std::ios::app) << "# edited\n";
  CommandResult refused = f.run("apply --no-progress technicians.yaml");
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("changed since the interrupted attempt") != std::string::npos);

  // Raise the limit (another change) and continue explicitly.
  std::string text;
  {
    std::ifstream in(f.dir + "/technicians.yaml");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("max_rejects: 3"), 14, "max_rejects: 1000");
  f.write_file("technicians.yaml", text);
  CommandResult resumed = f.run("apply --no-progress --allow-changed technicians.yaml");
  INFO(resumed.out);
  CHECK(resumed.exit_code == 0);
  CHECK(f.target.scalar("SELECT rows_read FROM mapengine.checkpoints") == "3000");
}

TEST_CASE("lookup miss policies: null, default and fail", "[apply]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE parts (id int PRIMARY KEY, maker_id int);"
                "INSERT INTO parts VALUES (1, 1), (2, 99), (3, NULL);");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_id int UNIQUE);"
      "INSERT INTO makers (id, legacy_id) VALUES ('00000000-0000-0000-0000-000000000001', 1),"
      " ('00000000-0000-0000-0000-00000000000d', 13);"
      "CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE, maker_id uuid);");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables: [{ table: makers, legacy_key: legacy_id }]\n");
  auto mapping = [&](const std::string& policy) {
    f.write_file("parts.yaml", "version: 1\ntable: parts\nsource: { query: SELECT * FROM parts, "
                               "key: id }\ntarget: { legacy_key: legacy_id }\ncolumns:\n"
                               "  id: { generate: uuid_v5 }\n  legacy_id: id\n"
                               "  maker_id: { from: maker_id, lookup: { table: makers, " +
                                   policy + " } }\n");
  };
  SECTION("null") {
    mapping("on_missing: null");
    REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);
    CHECK(f.target_rows("SELECT legacy_id, maker_id FROM parts ORDER BY 1") ==
          "1|00000000-0000-0000-0000-000000000001\n2|NULL\n3|NULL\n");
  }
  SECTION("default") {
    mapping("on_missing: default, default: 00000000-0000-0000-0000-00000000000d");
    REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);
    CHECK(f.target_rows("SELECT legacy_id, maker_id FROM parts ORDER BY 1") ==
          "1|00000000-0000-0000-0000-000000000001\n2|00000000-0000-0000-0000-00000000000d\n"
          "3|NULL\n");
  }
  SECTION("fail") {
    mapping("on_missing: fail");
    CommandResult r = f.run("apply --no-progress parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("legacy key 2: column maker_id: value 99") != std::string::npos);
    CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
  }
}

TEST_CASE("a source row with a NULL legacy key stops apply before anything is written",
          "[apply]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE parts (id int, name text);"
                "INSERT INTO parts SELECT g, 'p' || g FROM generate_series(1, 20) g;"
                "INSERT INTO parts VALUES (NULL, 'orphan');");
  f.target.exec("CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE, name text);");
  f.write_file("parts.yaml", "version: 1\ntable: parts\nsource: { query: SELECT * FROM parts, "
                             "key: id }\ntarget: { legacy_key: legacy_id }\ncolumns:\n"
                             "  id: { generate: uuid_v5 }\n  legacy_id: id\n  name: name\n");
  CommandResult r = f.run("apply --no-progress parts.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("source rows have a NULL legacy key (id), for example "
                   "{\"id\":null,\"name\":\"orphan\"}") != std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
}

TEST_CASE("a self-referencing table resolves forward and backward references", "[apply]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE groups (id int PRIMARY KEY, parent_id int, name text);"
                "INSERT INTO groups SELECT g, CASE WHEN g = 1 THEN NULL WHEN g % 2 = 0 THEN g + 1"
                " ELSE g - 2 END, 'g' || g FROM generate_series(1, 1001) g;"
                "UPDATE groups SET parent_id = 5000 WHERE id = 500;");
  f.target.exec("CREATE TABLE groups (id uuid PRIMARY KEY, legacy_group_id int UNIQUE NOT NULL,"
                " parent_id uuid REFERENCES groups, name text);");
  f.write_file("groups.yaml", R"(version: 1
table: groups
source: { query: "SELECT id, parent_id, name FROM groups", key: id }
target: { legacy_key: legacy_group_id }
batch_size: 100
columns:
  id: { generate: uuid }
  legacy_group_id: id
  parent_id: { from: parent_id, lookup: { table: groups, on_missing: null } }
  name: name
)");
  CommandResult r = f.run("apply --no-progress groups.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // Every child points at the row whose legacy id is its legacy parent id.
  CHECK(f.target.scalar("SELECT count(*) FROM groups c JOIN groups p ON p.id = c.parent_id") ==
        "999");
  CHECK(f.target.scalar("SELECT count(*) FROM groups c JOIN groups p ON p.id = c.parent_id "
                        "WHERE p.legacy_group_id <> (SELECT CASE WHEN c.legacy_group_id % 2 = 0 "
                        "THEN c.legacy_group_id + 1 ELSE c.legacy_group_id - 2 END)") == "0");
  CHECK(f.target.scalar("SELECT parent_id IS NULL FROM groups WHERE legacy_group_id = 500") ==
        "t");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.pending_refs") == "0");
}

TEST_CASE("composite keys keep their id map in mapengine.id_map", "[apply]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE roles (tech_id int, role text, since date, PRIMARY KEY (tech_id, "
                "role));"
                "INSERT INTO roles VALUES (1, 'lead', '2020-01-01'), (1, 'qa', NULL),"
                " (2, 'lead', '2021-05-06');");
  f.target.exec("CREATE TABLE roles (id uuid PRIMARY KEY, role text, since date);");
  f.write_file("roles.yaml", R"(version: 1
table: roles
source: { query: "SELECT tech_id, role, since FROM roles", key: [tech_id, role] }
columns:
  id: { generate: uuid_v5 }
  role: role
  since: since
)");
  CommandResult r = f.run("apply --no-progress roles.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(f.target_rows("SELECT m.legacy_key, r.role FROM mapengine.id_maps m JOIN roles r ON "
                      "r.id::text = m.new_id ORDER BY 1") ==
        "[\"1\", \"lead\"]|lead\n[\"1\", \"qa\"]|qa\n[\"2\", \"lead\"]|lead\n");
}

TEST_CASE("NULLs, unicode and COPY special characters survive end to end", "[apply]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE notes (id int PRIMARY KEY, body text);"
                "INSERT INTO notes VALUES (1, E'tab\\there\\nnew line \\\\ back'),"
                " (2, NULL), (3, 'émoji 🦷 ça e\u0301'), (4, ''), (5, '\\N');");
  f.target.exec("CREATE TABLE notes (id uuid PRIMARY KEY, legacy_id int UNIQUE, body text);");
  f.write_file("notes.yaml", "version: 1\ntable: notes\nsource: { query: SELECT * FROM notes, "
                             "key: id }\ntarget: { legacy_key: legacy_id }\ncolumns:\n"
                             "  id: { generate: uuid }\n  legacy_id: id\n  body: body\n");
  REQUIRE(f.run("apply --no-progress notes.yaml").exit_code == 0);
  CHECK(f.source.scalar("SELECT string_agg(coalesce(body, '<null>'), '|' ORDER BY id) FROM notes") ==
        f.target.scalar(
            "SELECT string_agg(coalesce(body, '<null>'), '|' ORDER BY legacy_id) FROM notes"));
  CHECK(f.target.scalar("SELECT body IS NULL FROM notes WHERE legacy_id = 2") == "t");
  CHECK(f.target.scalar("SELECT body = '' FROM notes WHERE legacy_id = 4") == "t");
}

TEST_CASE("upsert updates existing rows and skip_existing leaves them", "[apply]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE items (id int PRIMARY KEY, name text);"
                "INSERT INTO items SELECT g, 'new ' || g FROM generate_series(1, 10) g;");
  f.target.exec("CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                " legacy_id int UNIQUE NOT NULL, name text);"
                "INSERT INTO items (legacy_id, name) VALUES (1, 'old 1'), (2, 'old 2');");
  auto mapping = [&](const std::string& mode) {
    f.write_file("items.yaml", "version: 1\ntable: items\nsource: { query: SELECT * FROM items, "
                               "key: id }\ntarget: { legacy_key: legacy_id, mode: " +
                                   mode + " }\nmax_rejects: 2\ncolumns:\n  legacy_id: id\n"
                               "  name: name\n");
  };
  SECTION("upsert") {
    mapping("upsert");
    CommandResult r = f.run("apply --no-progress items.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(f.target.scalar("SELECT count(*) FROM items") == "10");
    CHECK(f.target.scalar("SELECT name FROM items WHERE legacy_id = 1") == "new 1");
  }
  SECTION("skip_existing") {
    mapping("skip_existing");
    CommandResult r = f.run("apply --no-progress items.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(f.target.scalar("SELECT count(*) FROM items") == "10");
    CHECK(f.target.scalar("SELECT name FROM items WHERE legacy_id = 1") == "old 1");
    CHECK(f.target.scalar("SELECT rows_skipped FROM mapengine.checkpoints") == "2");
  }
  SECTION("upsert takes out a row the server refuses and writes the rest of its batch") {
    // The refusal comes from the INSERT out of the staging table (no COPY line to go by): the
    // batch is rolled back, written again under a savepoint, and bisected down to the row.
    f.target.exec("ALTER TABLE items ADD CONSTRAINT no_seven CHECK (name <> 'new 7')");
    mapping("upsert");
    CommandResult r = f.run("apply --no-progress items.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(f.target.scalar("SELECT count(*) FROM items") == "9");
    CHECK(f.target.scalar("SELECT name FROM items WHERE legacy_id = 2") == "new 2");
    CHECK(f.target_rows("SELECT legacy_key, column_name, rule FROM mapengine.rejects") ==
          "7|name|constraint\n");
    CHECK(f.target.scalar("SELECT rows_written FROM mapengine.checkpoints") == "9");
  }
  SECTION("insert rejects the duplicates with the server's reason") {
    mapping("insert");
    // The two rows there before are not this mapping's: without the flag, apply refuses to
    // insert into a table with rows it has no record of.
    CommandResult r = f.run("apply --no-progress --allow-existing-rows items.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects WHERE rule = 'constraint'") ==
          "2");
    CHECK(f.target.scalar("SELECT reason LIKE 'duplicate key value%' FROM mapengine.rejects "
                          "LIMIT 1") == "t");
  }
}

TEST_CASE("rows a deferred constraint refuses at COMMIT are set aside with their reason",
          "[apply][rejects]") {
  MigrationFixture f;
  f.source.exec(
      "CREATE TABLE techs (id int PRIMARY KEY, email text, team_id int);"
      "INSERT INTO techs SELECT g, 'tech' || g || '@example.org', g % 3 + 1"
      "  FROM generate_series(1, 1000) g;"
      "UPDATE techs SET email = 'tech10@example.org' WHERE id = 500;"  // a duplicate
      "UPDATE techs SET team_id = 99 WHERE id = 700;");                // no such team
  f.target.exec(
      "CREATE TABLE teams (id int PRIMARY KEY); INSERT INTO teams VALUES (1), (2), (3);"
      "CREATE TABLE techs (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, email text,"
      "  team_id int,"
      "  CONSTRAINT techs_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED,"
      "  CONSTRAINT techs_team_fkey FOREIGN KEY (team_id) REFERENCES teams"
      "    DEFERRABLE INITIALLY DEFERRED);");
  f.write_file("techs.yaml", R"(version: 1
table: techs
source: { query: "SELECT id, email, team_id FROM techs", key: id }
target: { legacy_key: legacy_id }
batch_size: 1000
max_rejects: 2
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  email: email
  team_id: team_id
)");
  CommandResult r = f.run("apply --no-progress techs.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM techs") == "998");
  CHECK(f.target_rows("SELECT legacy_key, column_name, rule FROM mapengine.rejects "
                      "ORDER BY legacy_key::int") == "500|email|constraint\n700|team_id|constraint\n");
  CHECK(f.target.scalar("SELECT string_agg(reason, ' / ' ORDER BY legacy_key::int) FROM "
                        "mapengine.rejects") ==
        "duplicate key value violates unique constraint \"techs_email_key\" (Key "
        "(email)=(tech10@example.org) already exists.) [SQLSTATE 23505] / insert or update on "
        "table \"techs\" violates foreign key constraint \"techs_team_fkey\" (Key (team_id)=(99) "
        "is not present in table \"teams\".) [SQLSTATE 23503]");
  CHECK(f.target.scalar("SELECT rows_written FROM mapengine.checkpoints") == "998");
}

TEST_CASE("a char(n) legacy key kept in a text column is found by lookups, resume and validate "
          "with its padding",
          "[apply][validate]") {
  MigrationFixture f;
  f.source.exec(
      "CREATE TABLE codes (code char(5) PRIMARY KEY, name text);"
      "INSERT INTO codes VALUES ('AB', 'short'), ('ABCDE', 'full');"
      "CREATE TABLE items (id int PRIMARY KEY, code char(5));"
      "INSERT INTO items VALUES (1, 'AB'), (2, 'ABCDE');");
  f.target.exec(
      "CREATE TABLE codes (id uuid PRIMARY KEY, legacy_code text UNIQUE NOT NULL, name text);"
      "CREATE TABLE items (id uuid PRIMARY KEY, legacy_id int UNIQUE, code_id uuid NOT NULL "
      "  REFERENCES codes)");
  f.write_file("codes.yaml", R"(version: 1
table: public.codes
source: { table: codes, key: code }
target: { legacy_key: legacy_code }
columns:
  id: { generate: uuid_v5 }
  legacy_code: { from: code }
  name: { from: name }
)");
  f.write_file("items.yaml", R"(version: 1
table: public.items
source: { table: items, key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid_v5 }
  legacy_id: { from: id }
  code_id: { from: code, lookup: codes }
)");
  CommandResult lint = f.run("lint --db .");
  INFO(lint.out);
  CHECK(lint.exit_code == 0);
  CommandResult applied = f.run("apply --no-progress .");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
  CHECK(f.target.scalar("SELECT string_agg(legacy_code || '|', '' ORDER BY name) FROM codes") ==
        "ABCDE|AB   |");
  CommandResult validated = f.run("validate .");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}
