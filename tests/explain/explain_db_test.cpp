// `mapengine explain --db` against the real server: the figures only the databases know (the
// planner's row estimate, lookup sizes, legacy and target column types), read without changing
// anything.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;

namespace {

void make_fixture(MigrationFixture& f) {
  f.source.exec(
      "CREATE TABLE techs (id int PRIMARY KEY, user_id int, name varchar(80));"
      "INSERT INTO techs SELECT g, (g % 110) + 1, 'Tech ' || g FROM generate_series(1, 3000) g;"
      "ANALYZE techs;");
  f.target.exec(
      "CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_user_id int "
      "UNIQUE);"
      "INSERT INTO profiles (legacy_user_id) SELECT g FROM generate_series(1, 100) g;"
      "CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_technician_id int UNIQUE,"
      " profile_id uuid NOT NULL REFERENCES profiles, name text NOT NULL);");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n"
               "  - { table: public.profiles, legacy_key: legacy_user_id }\n");
  f.write_file("technicians.yaml", R"(version: 1
table: public.technicians
source: { query: "SELECT id, user_id, name FROM techs", key: id }
target: { legacy_key: legacy_technician_id }
columns:
  id: { generate: uuid_v5 }
  legacy_technician_id: { from: id }
  profile_id: { from: user_id, lookup: { table: profiles } }
  name: { from: name, transform: [trim] }
)");
}

}  // namespace

TEST_CASE("explain --db adds row estimates, lookup sizes and column types, read-only",
          "[explain]") {
  MigrationFixture f;
  make_fixture(f);
  std::string before =
      f.target_rows("SELECT count(*) FROM pg_tables WHERE schemaname = 'mapengine'");

  CommandResult text = f.run("explain --db technicians.yaml");
  INFO(text.out);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("  estimated rows: 3000 (the planner's estimate)\n") != std::string::npos);
  CHECK(text.out.find("    entries: 100\n") != std::string::npos);
  CHECK(text.out.find("  profile_id <- from user_id (integer)\n") != std::string::npos);
  CHECK(text.out.find("  name <- from name (character varying(80))\n") != std::string::npos);
  CHECK(text.out.find("    writes any into text\n") != std::string::npos);
  CHECK(text.out.find("    writes uuid into uuid\n") != std::string::npos);
  CHECK(text.out.find("    passes the value through as read into integer\n") != std::string::npos);

  CommandResult json = f.run("explain --db --format json technicians.yaml");
  REQUIRE(json.exit_code == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j["database"] == true);
  CHECK(j["source"]["estimated_rows"] == 3000);
  CHECK(j["lookups"][0]["entries"] == 100);
  CHECK(j["columns"][2]["source_types"][0] == "integer");
  CHECK(j["columns"][2]["target_type"] == "uuid");

  // Nothing was created or written: no state schema, no rows.
  CHECK(f.target_rows("SELECT count(*) FROM pg_tables WHERE schemaname = 'mapengine'") == before);
  CHECK(f.target.scalar("SELECT count(*) FROM technicians") == "0");
}

TEST_CASE("explain --db reports a lookup it cannot size instead of failing", "[explain]") {
  MigrationFixture f;
  make_fixture(f);
  f.target.exec("DROP TABLE technicians; DROP TABLE profiles;");
  CommandResult r = f.run("explain --db technicians.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("    entries: unknown (relation \"public.profiles\" does not exist)\n") !=
        std::string::npos);
}

TEST_CASE("explain --db without a database configured is a usage error", "[explain]") {
  MigrationFixture f;
  make_fixture(f);
  CommandResult r = mapengine::testing::run_mapengine(
      "explain --db technicians.yaml", "MAPENGINE_SOURCE_URL= MAPENGINE_TARGET_URL=", f.dir);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("no source database") != std::string::npos);
}
