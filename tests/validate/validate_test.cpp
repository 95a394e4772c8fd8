// Integration tests of `mapengine validate` against the real server: each test migrates a small
// legacy database with `mapengine apply`, then tampers with the target (or not) and checks that
// validate names exactly what is wrong.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Legacy users 1..100 have profiles; technicians point at users 1..110, so those whose user is
// 101..110 miss their lookup and are rejected. No foreign key in the target, so a test can
// orphan a reference.
void make_technicians(MigrationFixture& f, int rows, const std::string& checks = "") {
  f.source.exec(
      "CREATE TABLE techs (id int PRIMARY KEY, user_id int, name text, email text, status "
      "char(1), rate text, active text, hired text);"
      "INSERT INTO techs SELECT g, (g % 110) + 1, '  Tech ' || g || '  ', "
      "CASE WHEN g % 7 = 0 THEN NULL ELSE ' T' || g || '@Lab.example ' END, "
      "CASE WHEN g % 3 = 0 THEN 'I' ELSE 'A' END, (g % 50) || '.5', "
      "CASE WHEN g % 2 = 0 THEN 'true' ELSE 'false' END, "
      "'2024-01-' || lpad(((g % 28) + 1)::text, 2, '0') || ' 10:30:00' "
      "FROM generate_series(1, " +
      std::to_string(rows) + ") g;");
  f.target.exec(
      "CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_user_id int "
      "UNIQUE);"
      "INSERT INTO profiles (legacy_user_id) SELECT g FROM generate_series(1, 100) g;"
      "CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_technician_id int UNIQUE NOT NULL,"
      " profile_id uuid NOT NULL, name text NOT NULL, email text, status text NOT NULL,"
      " rate numeric(10,2), active boolean, hired timestamptz);");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n"
               "  - { table: public.profiles, legacy_key: legacy_user_id }\n");
  f.write_file("technicians.yaml", R"(version: 1
table: public.technicians
source:
  query: SELECT id, user_id, name, email, status, rate, active, hired FROM techs
  key: id
target:
  legacy_key: legacy_technician_id
batch_size: 500
max_rejects: "10%"  # ~9.1% lookup misses, on purpose
columns:
  id: { generate: uuid_v5 }
  legacy_technician_id: { from: id }
  profile_id: { from: user_id, lookup: { table: profiles, on_missing: reject } }
  name: { from: name, transform: [trim] }
  email: { from: email, transform: [trim, lower] }
  status: { from: status, transform: [{ map: { A: active, I: inactive } }] }
  rate: rate
  active: active
  hired: hired
)" + checks);
}

long long lookup_misses(int rows) {
  long long misses = 0;
  for (int g = 1; g <= rows; ++g) misses += ((g % 110) + 1) > 100 ? 1 : 0;
  return misses;
}

// The JSON document printed on stdout (logs on stderr come first: stdout is flushed at exit).
nlohmann::json json_output(const std::string& out) {
  size_t start = out.find("{\n");
  REQUIRE(start != std::string::npos);
  return nlohmann::json::parse(out.substr(start));
}

// --allow-existing-rows: some fixtures hold rows from before the migration.
CommandResult apply_ok(MigrationFixture& f, const std::string& files) {
  CommandResult r = f.run("apply --no-progress --allow-existing-rows " + files);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("a clean migration validates: counts, content, references all pass", "[validate]") {
  MigrationFixture f;
  const int rows = 2600;
  make_technicians(f, rows);
  apply_ok(f, "technicians.yaml");

  // Small chunks: the comparison crosses many chunk boundaries.
  CommandResult r = f.run("validate --chunk-rows 100 technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  long long written = rows - lookup_misses(rows);
  CHECK(contains(r.out, "PASS counts: source 2,600 = " + std::to_string(written / 1000) + "," +
                            std::to_string(written % 1000) + " written + " +
                            std::to_string(lookup_misses(rows)) + " rejected"));
  CHECK(contains(r.out, "PASS content: "));
  CHECK(contains(r.out, "rejected row(s) excluded"));
  CHECK(contains(r.out, "PASS references: 1 lookup column(s), no orphaned reference"));
  CHECK(contains(r.out, "validate: 1 of 1 mapping(s) hold"));
  // The result is recorded.
  CHECK(f.target.scalar("SELECT ok FROM mapengine.validations WHERE mapping = 'technicians'") ==
        "t");
  CHECK(f.target.scalar("SELECT result->'checks'->1->'figures'->>'compared' FROM "
                        "mapengine.validations") == std::to_string(written));
  CHECK(f.target.scalar("SELECT command || ' ' || status FROM mapengine.runs ORDER BY run_id "
                        "DESC LIMIT 1") == "validate succeeded");
}

TEST_CASE("validate names a changed value, a deleted row and an extra row by legacy key",
          "[validate]") {
  MigrationFixture f;
  make_technicians(f, 1200);
  apply_ok(f, "technicians.yaml");
  f.target.exec(
      "UPDATE technicians SET email = 'someone@else.example' WHERE legacy_technician_id = 12;"
      "UPDATE technicians SET rate = 99.99 WHERE legacy_technician_id = 700;"
      "DELETE FROM technicians WHERE legacy_technician_id = 345;"
      "INSERT INTO technicians (id, legacy_technician_id, profile_id, name, status) "
      "SELECT gen_random_uuid(), 5000, id, 'Nobody', 'active' FROM profiles LIMIT 1;");

  CommandResult r = f.run("validate --chunk-rows 250 technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "FAIL content: 4 row(s) differ: 1 missing, 1 extra, 2 changed"));
  CHECK(contains(r.out,
                 "changed: legacy key 12, column email: expected 't12@lab.example', "
                 "actual 'someone@else.example'"));
  CHECK(contains(r.out, "changed: legacy key 700, column rate: expected '0.50', actual '99.99'"));
  CHECK(contains(r.out, "missing: legacy key 345 is not in the target"));
  CHECK(contains(r.out,
                 "extra: legacy key 5000 is in the target (the source does not produce "
                 "this legacy key)"));
  // The counts explain the difference too.
  CHECK(contains(r.out, "FAIL counts"));
  CHECK(contains(r.out, "1 missing and 1 extra row(s), named by the content check"));
  CHECK(f.target.scalar("SELECT ok FROM mapengine.validations") == "f");
  CHECK(f.target.scalar("SELECT status FROM mapengine.runs ORDER BY run_id DESC LIMIT 1") ==
        "failed");
}

TEST_CASE("a row present although apply rejected it is an extra row", "[validate]") {
  MigrationFixture f;
  make_technicians(f, 300);
  apply_ok(f, "technicians.yaml");
  // Technician 100 (user 101) was rejected: no profile. Someone inserts it by hand.
  REQUIRE(f.target.scalar("SELECT count(*) FROM mapengine.rejects WHERE legacy_key = '100'") ==
          "1");
  f.target.exec(
      "INSERT INTO technicians (id, legacy_technician_id, profile_id, name, status) "
      "SELECT gen_random_uuid(), 100, id, 'Tech 100', 'active' FROM profiles LIMIT 1;");
  CommandResult r = f.run("validate technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out,
                 "extra: legacy key 100 is in the target (rejected by apply: lookup "
                 "profile_id: no public.profiles row with legacy_user_id = 101; yet "
                 "present)"));
}

TEST_CASE("an orphaned reference is named with its legacy key and column", "[validate]") {
  MigrationFixture f;
  make_technicians(f, 300);
  apply_ok(f, "technicians.yaml");
  // Technician 4 points at user 5; the profile disappears.
  f.target.exec("DELETE FROM profiles WHERE legacy_user_id = 5");
  CommandResult r = f.run("validate technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "FAIL references: 3 orphaned reference(s)"));
  CHECK(contains(r.out, "profile_id: 3 orphaned value(s) (no row in public.profiles.id)"));
  CHECK(contains(r.out, "legacy key 4: profile_id = '"));
  // The mapping itself now rejects those rows, so content names them as well.
  CHECK(contains(r.out,
                 "changed: legacy key 4 (the target holds the row but the mapping now "
                 "rejects it: lookup profile_id: no public.profiles row with "
                 "legacy_user_id = 5)"));
}

TEST_CASE("declared checks pass and fail as declared", "[validate]") {
  MigrationFixture f;
  make_technicians(f, 300, R"yaml(checks:
  - not_null: [profile_id, name]
  - not_null: [email]
  - unique: [profile_id]
  - unique: [legacy_technician_id]
  - accepted_values: { column: status, values: [active, inactive] }
  - accepted_values: { column: active, values: [true] }
  - row_count: { min: 1, max: 1000 }
  - row_count: { min: 500 }
  - name: no future hires
    sql: "SELECT id FROM public.technicians WHERE hired > now()"
  - sql: "SELECT legacy_technician_id FROM public.technicians WHERE status = 'inactive' ORDER BY 1;"
)yaml");
  apply_ok(f, "technicians.yaml");
  CommandResult r = f.run("validate technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "PASS not_null [profile_id, name]: no NULL"));
  CHECK(contains(r.out, "FAIL not_null [email]: 39 NULL value(s)"));
  CHECK(contains(r.out, "email: 39 NULL(s), e.g. legacy key "));
  CHECK(contains(r.out, "FAIL unique [profile_id]: 100 duplicated value(s) over 280 rows"));
  CHECK(contains(r.out, "PASS unique [legacy_technician_id]: no duplicate"));
  CHECK(contains(r.out, "PASS accepted_values status in [active, inactive]"));
  CHECK(contains(r.out,
                 "FAIL accepted_values active in [true]: 140 row(s) hold 1 value(s) not "
                 "accepted"));
  CHECK(contains(r.out, "'f' in 140 row(s), e.g. legacy key"));
  CHECK(contains(r.out, "PASS row_count 1..1000: 280 row(s)"));
  CHECK(contains(r.out, "FAIL row_count 500..: 280 row(s), fewer than 500"));
  CHECK(contains(r.out,
                 "PASS no future hires (sql SELECT id FROM public.technicians WHERE hired "
                 "> now()): returns no row"));
  CHECK(contains(r.out,
                 "FAIL sql SELECT legacy_technician_id FROM public.technicians WHERE "
                 "status = 'i…: returns 93 row(s)"));
  CHECK(contains(r.out, "legacy_technician_id='3'"));
}

TEST_CASE("a declared check that cannot run fails with the server's reason", "[validate]") {
  MigrationFixture f;
  make_technicians(f, 50, "checks:\n  - not_null: [no_such_column]\n  - sql: SELECT nonsense\n");
  apply_ok(f, "technicians.yaml");
  CommandResult r = f.run("validate technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out,
                 "FAIL not_null [no_such_column]: could not run: target: column "
                 "no_such_column does not exist in public.technicians"));
  CHECK(contains(r.out, "FAIL sql SELECT nonsense: could not run:"));
  CHECK(contains(r.out, "PASS content"));
}

TEST_CASE("validate --format json parses and carries every check and difference", "[validate]") {
  MigrationFixture f;
  make_technicians(f, 400);
  apply_ok(f, "technicians.yaml");
  f.target.exec("UPDATE technicians SET name = 'Renamed' WHERE legacy_technician_id = 3");
  CommandResult r = f.run("validate --format json technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  auto json = json_output(r.out);
  CHECK(json["ok"] == false);
  REQUIRE(json["mappings"].size() == 1);
  const auto& mapping = json["mappings"][0];
  CHECK(mapping["mapping"] == "technicians");
  std::vector<std::string> names;
  for (const auto& c : mapping["checks"]) names.push_back(c["check"]);
  CHECK(names == std::vector<std::string>{"counts", "content", "references"});
  const auto& content = mapping["checks"][1];
  CHECK(content["ok"] == false);
  CHECK(content["figures"]["changed"] == 1);
  REQUIRE(content["differences"].size() == 1);
  CHECK(content["differences"][0]["legacy_key"] == "3");
  CHECK(content["differences"][0]["column"] == "name");
  CHECK(content["differences"][0]["expected"] == "Tech 3");
  CHECK(content["differences"][0]["actual"] == "Renamed");
}

TEST_CASE("values compare as the target's types print them, in the session's time zone",
          "[validate]") {
  MigrationFixture f;
  // rate '12.5' lands as numeric 12.50, active 'true' as boolean t, hired without offset as a
  // timestamptz in the server's zone: none of these is a difference.
  make_technicians(f, 200);
  f.target.exec("ALTER DATABASE " + f.target.name() + " SET TimeZone = 'America/Chicago'");
  apply_ok(f, "technicians.yaml");
  CHECK(f.target.scalar("SELECT rate::text || ' ' || active::text FROM technicians WHERE "
                        "legacy_technician_id = 2") == "2.50 true");
  CommandResult r = f.run("validate technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  // A timestamp moved by an hour is seen.
  f.target.exec(
      "UPDATE technicians SET hired = hired + interval '1 hour' WHERE "
      "legacy_technician_id = 9");
  r = f.run("validate technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out,
                 "changed: legacy key 9, column hired: expected '2024-01-10 10:30:00-06', "
                 "actual '2024-01-10 11:30:00-06'"));
}

TEST_CASE("a mapping without legacy column is compared through the id map", "[validate]") {
  MigrationFixture f;
  f.source.exec(
      "CREATE TABLE roles (tech_id int, role text, since date, PRIMARY KEY (tech_id, "
      "role));"
      "INSERT INTO roles SELECT g / 3, 'role' || (g % 3), DATE '2020-01-01' + g "
      "FROM generate_series(3, 902) g;");
  f.target.exec("CREATE TABLE roles (id uuid PRIMARY KEY, role text, since date);");
  f.write_file("roles.yaml", R"(version: 1
table: roles
source: { query: "SELECT tech_id, role, since FROM roles", key: [tech_id, role] }
columns:
  id: { generate: uuid }
  role: role
  since: since
)");
  apply_ok(f, "roles.yaml");
  CommandResult r = f.run("validate --chunk-rows 100 roles.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "id: random uuid, checked for presence only"));

  f.target.exec(
      "DELETE FROM roles WHERE id = (SELECT new_id::uuid FROM mapengine.id_map WHERE "
      "legacy_key = '[\"5\", \"role1\"]');"
      "UPDATE roles SET since = DATE '1999-01-01' WHERE id = (SELECT new_id::uuid FROM "
      "mapengine.id_map WHERE legacy_key = '[\"7\", \"role2\"]');"
      "INSERT INTO roles VALUES (gen_random_uuid(), 'stranger', NULL);");
  r = f.run("validate roles.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "missing: legacy key [\"5\", \"role1\"] is not in the target"));
  CHECK(contains(r.out,
                 "changed: legacy key [\"7\", \"role2\"], column since: expected "
                 "'2020-01-24', actual '1999-01-01'"));
  CHECK(contains(r.out, "1 id map entr(ies) point at no row of the target"));
  CHECK(contains(r.out, "note: 1 row(s) of public.roles are not in this mapping's id map"));
}

TEST_CASE("self-references are compared through the row they point at", "[validate]") {
  MigrationFixture f;
  f.source.exec(
      "CREATE TABLE groups (id int PRIMARY KEY, parent_id int, name text);"
      "INSERT INTO groups SELECT g, CASE WHEN g = 1 THEN NULL WHEN g % 2 = 0 THEN g + 1"
      " ELSE g - 2 END, 'g' || g FROM generate_series(1, 301) g;"
      "UPDATE groups SET parent_id = 5000 WHERE id = 50;");
  f.target.exec(
      "CREATE TABLE groups (id uuid PRIMARY KEY, legacy_group_id int UNIQUE NOT NULL,"
      " parent_id uuid, name text);");
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
  apply_ok(f, "groups.yaml");
  CommandResult r = f.run("validate groups.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "parent_id: self-reference, compared through the row it points at"));

  // Group 10 now points at group 1 instead of 11.
  f.target.exec(
      "UPDATE groups SET parent_id = (SELECT id FROM groups WHERE legacy_group_id = 1) "
      "WHERE legacy_group_id = 10");
  r = f.run("validate groups.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out,
                 "changed: legacy key 10, column parent_id: expected '11', actual '1' (a "
                 "self-reference: the legacy_group_id of the row it points at)"));
}

TEST_CASE("validate of a mapping never applied fails its counts and names the missing rows",
          "[validate]") {
  MigrationFixture f;
  make_technicians(f, 30);
  CommandResult r = f.run("validate --max-differences 3 technicians.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "FAIL counts: never applied to this target"));
  CHECK(contains(r.out, "FAIL content: 30 row(s) differ: 30 missing"));
  CHECK(contains(r.out, "showing up to 3 examples of each kind"));
}

TEST_CASE("write modes: upsert keeps ids, skip_existing keeps rows as found", "[validate]") {
  MigrationFixture f;
  f.source.exec(
      "CREATE TABLE items (id int PRIMARY KEY, name text);"
      "INSERT INTO items SELECT g, 'new ' || g FROM generate_series(1, 10) g;");
  f.target.exec(
      "CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
      " legacy_id int UNIQUE NOT NULL, name text);"
      "INSERT INTO items (legacy_id, name) VALUES (1, 'old 1'), (2, 'old 2');");
  auto mapping = [&](const std::string& mode) {
    f.write_file("items.yaml",
                 "version: 1\ntable: items\nsource: { query: SELECT * FROM items, "
                 "key: id }\ntarget: { legacy_key: legacy_id, mode: " +
                     mode +
                     " }\nmax_rejects: 2\ncolumns:\n  id: { generate: uuid_v5 }\n"
                     "  legacy_id: id\n  name: name\n");
  };
  SECTION("upsert: the id of a row that existed is not compared") {
    mapping("upsert");
    apply_ok(f, "items.yaml");
    CommandResult r = f.run("validate items.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out,
                   "id: not compared (an upsert keeps the id of a row that existed "
                   "before)"));
  }
  SECTION("skip_existing: the kept rows may differ, up to the rows skipped") {
    mapping("skip_existing");
    apply_ok(f, "items.yaml");
    CommandResult r = f.run("validate items.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "PASS counts: source 10 = 8 written + 0 rejected + 2 skipped"));
    CHECK(contains(r.out,
                   "mode skip_existing kept 2 existing row(s) as found: 2 changed row(s) "
                   "are expected"));
    f.target.exec("UPDATE items SET name = 'edited' WHERE legacy_id = 7");
    r = f.run("validate items.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out, "changed: legacy key 7, column name: expected 'new 7', actual 'edited'"));
  }
  SECTION("insert: rows rejected as duplicates yet present are extra rows") {
    mapping("insert");
    apply_ok(f, "items.yaml");
    CommandResult r = f.run("validate items.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out, "extra: legacy key 1 is in the target (rejected by apply: constraint"));
  }
}
