// Integration tests of `mapengine report`: a two-table migration with a dependency, a failed and
// a resumed run, rejects of two kinds, validation, then the report in markdown and JSON.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "engine/report/markdown_table.h"
#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Makers M0..M19 exist; parts point at M0..M22 (M20..M22 miss their lookup), part 5 at
// 'ghost|maker'; every 97th part has a negative price, refused by the target's CHECK.
void make_catalog(MigrationFixture& f) {
  f.source.exec(
      "CREATE TABLE makers (code text PRIMARY KEY, name text);"
      "INSERT INTO makers SELECT 'M' || g, 'Maker ' || g FROM generate_series(0, 19) g;"
      "CREATE TABLE parts (id int PRIMARY KEY, maker_code text, price numeric);"
      "INSERT INTO parts SELECT g, 'M' || (g % 23), CASE WHEN g % 97 = 0 THEN -1 ELSE g END "
      "FROM generate_series(1, 500) g;"
      "UPDATE parts SET maker_code = 'ghost|maker' WHERE id = 5;");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY, legacy_code text UNIQUE NOT NULL, name text);"
      "CREATE TABLE parts (id uuid PRIMARY KEY, legacy_part_id int UNIQUE NOT NULL,"
      " maker_id uuid NOT NULL, price numeric CHECK (price >= 0));");
  f.write_file("makers.yaml", R"(version: 1
table: makers
source: { query: "SELECT code, name FROM makers", key: code }
target: { legacy_key: legacy_code }
columns:
  id: { generate: uuid_v5 }
  legacy_code: code
  name: name
checks:
  - unique: [name]
)");
  f.write_file("parts.yaml", R"(version: 1
table: parts
source: { query: "SELECT id, maker_code, price FROM parts", key: id }
target: { legacy_key: legacy_part_id }
batch_size: 50
max_rejects: 3
columns:
  id: { generate: uuid_v5 }
  legacy_part_id: id
  maker_id: { from: maker_code, lookup: { table: makers, on_missing: reject } }
  price: price
checks:
  - not_null: [maker_id]
)");
}

// Applies the catalog: parts fails on its reject limit first, then resumes with a higher one.
void migrate_catalog(MigrationFixture& f) {
  make_catalog(f);
  CommandResult first = f.run("apply --no-progress .");
  INFO(first.out);
  REQUIRE(first.exit_code == 1);
  std::string text;
  {
    std::ifstream in(f.dir + "/parts.yaml");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("max_rejects: 3"), 14, "max_rejects: 500");
  f.write_file("parts.yaml", text);
  CommandResult second = f.run("apply --no-progress --allow-changed .");
  INFO(second.out);
  REQUIRE(second.exit_code == 0);
}

// The JSON document printed on stdout (logs on stderr come first: stdout is flushed at exit).
nlohmann::json json_output(const std::string& out) {
  size_t start = out.find("{\n");
  REQUIRE(start != std::string::npos);
  return nlohmann::json::parse(out.substr(start));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("the report of a two-table migration matches the recorded figures", "[report]") {
  MigrationFixture f;
  migrate_catalog(f);
  CommandResult validated = f.run("validate .");
  INFO(validated.out);
  REQUIRE(validated.exit_code == 0);

  CommandResult r = f.run("report .");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string& md = r.out;
  for (const char* heading :
       {"# Migration report\n", "## Verdict\n", "## Tables\n", "## Dependency order\n",
        "## Mapping files\n", "## Runs\n", "## makers -> public.makers\n",
        "## parts -> public.parts\n", "### Run history\n", "### Top reject reasons\n",
        "### Latest validation\n"}) {
    INFO(heading);
    CHECK(contains(md, heading));
  }
  CHECK(contains(md, "**PASS**: All 2 table(s) are complete and validated"));
  CHECK(contains(md, "1. `makers` -> public.makers\n2. `parts` -> public.parts (after makers)"));

  // The figures are those recorded in the checkpoints.
  std::string parts = f.target_rows(
      "SELECT sum(rows_read), sum(rows_written), sum(rows_rejected) FROM mapengine.checkpoints "
      "WHERE mapping = 'parts'");
  std::string read = parts.substr(0, parts.find('|'));
  std::string written =
      parts.substr(read.size() + 1, parts.find('|', read.size() + 1) - read.size() - 1);
  std::string rejected = parts.substr(parts.rfind('|') + 1);
  rejected.pop_back();
  CHECK(read == "500");
  CHECK(contains(md, "| 1 | makers | public.makers | complete | 20 | 20 | 0 | 0 | 1 |"));
  CHECK(contains(md, "| 2 | parts | public.parts | complete | 500 | " + written + " | " + rejected +
                         " | 0 | 2 |"));
  // parts: the failed first run and the resumed one.
  CHECK(contains(md, "| failed |"));
  CHECK(contains(md, "max_rejects exceeded"));
  // Rejects grouped by rule, column and reason, with examples; the pipe is escaped.
  long long lookups = std::stoll(f.target.scalar(
      "SELECT count(*) FROM mapengine.rejects WHERE mapping = 'parts' AND rule = 'lookup'"));
  // A list item each, wrapped but never cut: the group, the whole first reason, examples.
  std::string flat = std::regex_replace(md, std::regex("\n +"), " ");
  CHECK(contains(flat, "- **" + std::to_string(lookups) +
                           " rows**, rule `lookup`, column `maker_id`: no public.makers "
                           "row with legacy_code = … - first: no public.makers row with "
                           "legacy_code = ghost\\|maker - examples (legacy key): 5 ('ghost\\|maker'), "
                           "20 ('M20'),"));
  CHECK(contains(md, "ghost\\|maker"));
  CHECK(contains(flat,
                 "- **4 rows**, rule `constraint`, column `price`: new row for relation "
                 "\"parts\" violates check constraint \"parts_price_check\" (…) [SQLSTATE "
                 "23514] - first: new row for relation \"parts\" violates check constraint "
                 "\"parts_price_check\" ("));
  CHECK(contains(md, "| PASS | not_null [maker_id] | no NULL |"));
  for (const auto& line : lines_of(md)) {
    INFO(line);
    CHECK(mapengine::report::display_width(line) <= 120);
  }

  SECTION("JSON carries the same content") {
    CommandResult j = f.run("report --format json .");
    INFO(j.out);
    REQUIRE(j.exit_code == 0);
    auto json = json_output(j.out);
    CHECK(json["verdict"]["ok"] == true);
    REQUIRE(json["tables"].size() == 2);
    const auto& t = json["tables"][1];
    CHECK(t["mapping"] == "parts");
    CHECK(t["depends_on"] == nlohmann::json::array({"makers"}));
    CHECK(t["status"] == "complete");
    CHECK(t["read"] == 500);
    CHECK(std::to_string(t["written"].get<long long>()) == written);
    CHECK(std::to_string(t["rejected"].get<long long>()) == rejected);
    CHECK(t["runs"].size() == 2);
    CHECK(t["runs"][0]["status"] == "failed");
    CHECK(t["runs"][1]["status"] == "succeeded");
    CHECK(t["validation"]["ok"] == true);
    CHECK(t["top_reject_reasons"].size() == 2);
    CHECK(t["top_reject_reasons"][1]["reason"] ==
          "new row for relation \"parts\" violates check constraint \"parts_price_check\" (…) "
          "[SQLSTATE 23514]");
    CHECK(t["file_state"] == "unchanged");
    CHECK(t["checksum"] == f.target.scalar("SELECT checksum FROM mapengine.mappings WHERE "
                                           "mapping = 'parts'"));
  }
  SECTION("-o writes the file and prints its path") {
    CommandResult o = f.run("report -o final.md .");
    INFO(o.out);
    REQUIRE(o.exit_code == 0);
    CHECK(contains(o.out, "final.md"));
    std::ifstream in(f.dir + "/final.md");
    std::string file((std::istreambuf_iterator<char>(in)), {});
    CHECK(contains(file, "# Migration report"));
  }
}

TEST_CASE("the report's verdict lists what is missing, and --validate validates first",
          "[report]") {
  MigrationFixture f;
  migrate_catalog(f);
  // Without a validation, and without the files (they are found where apply recorded them).
  CommandResult r = f.run("report");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "**NOT DONE**"));
  CHECK(contains(r.out, "- makers: never validated"));
  CHECK(contains(r.out, "dependency plan of the mapping files recorded at apply time"));

  f.target.exec("UPDATE parts SET price = 12345 WHERE legacy_part_id = 1");
  CommandResult v = f.run("report --validate . -o report.md");
  INFO(v.out);
  CHECK(v.exit_code == 1);
  CHECK(contains(v.out, "changed: legacy key 1, column price"));
  std::ifstream in(f.dir + "/report.md");
  std::string md((std::istreambuf_iterator<char>(in)), {});
  CHECK(contains(md, "- parts: the latest validation failed (content)"));
  CHECK(contains(md, "| FAIL | content | 1 row(s) differ: 0 missing, 0 extra, 1 changed"));
  CHECK(contains(md, "- makers: never validated") == false);
}

TEST_CASE("the report does not sign off on tables whose mapping file changed since applied",
          "[report]") {
  MigrationFixture f;
  migrate_catalog(f);
  REQUIRE(f.run("validate .").exit_code == 0);
  CommandResult before = f.run("report . -o before.md");
  INFO(before.out);
  REQUIRE(before.exit_code == 0);
  CHECK(contains(read_file(f.dir + "/before.md"), "**PASS**"));

  // Rows written by one version of parts.yaml, the folder holding another.
  std::string text = read_file(f.dir + "/parts.yaml");
  text.replace(text.find("max_rejects: 500"), 16, "max_rejects: 400");
  f.write_file("parts.yaml", text);
  CommandResult after = f.run("report . -o after.md");
  INFO(after.out);
  REQUIRE(after.exit_code == 0);
  std::string md = read_file(f.dir + "/after.md");
  CHECK(contains(md, "**NOT DONE**"));
  CHECK(contains(md, "1 whose mapping file changed since applied"));
  CHECK(contains(md, "- every mapping file given as it was applied: no"));
  // The to-do line is wrapped at the report's width.
  CHECK(contains(md, "parts.yaml changed since it was applied; apply it again"));
  CHECK(contains(md, "or revert the file"));
  CHECK(contains(md, "- makers:") == false);
}

TEST_CASE("the report of an empty target says nothing was migrated", "[report]") {
  MigrationFixture f;
  CommandResult r = f.run("report --format json");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto json = json_output(r.out);
  CHECK(json["verdict"]["ok"] == false);
  CHECK(json["verdict"]["headline"] == "Nothing has been migrated to this target yet.");
  CHECK(json["tables"].empty());
}

TEST_CASE("the report names the tool and databases, and shows throughput, the graph, the id map "
          "and the tables migrated earlier",
          "[report]") {
  MigrationFixture f;
  f.target.exec("CREATE TABLE vendors (id int PRIMARY KEY, legacy_id int);"
                "INSERT INTO vendors SELECT g, g FROM generate_series(1, 3) g;");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n  - { table: public.vendors, legacy_key: "
               "legacy_id }\n");
  migrate_catalog(f);
  std::string env = "MAPENGINE_TARGET_URL=" +
                    mapengine::testing::shell_quote(f.target.url() + " password=Sekr3tPw");
  CommandResult r = f.run("report .", env);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string& md = r.out;
  CHECK(contains(md, " by mapengine "));
  CHECK(contains(md, "- source: `"));
  CHECK(contains(md, "- target: `"));
  CHECK(contains(md, f.target.name()));
  CHECK_FALSE(contains(md, "Sekr3tPw"));
  CHECK(contains(md, "## Time and throughput\n"));
  CHECK(std::regex_search(md, std::regex("\\d+ apply run\\(s\\) took [0-9.]+ s in all, from "
                                         "\\d{4}-\\d\\d-\\d\\d")));
  CHECK(std::regex_search(md, std::regex("\\| parts \\| 432 \\| [0-9.]+ s \\| [0-9,]+ \\| (█)+ \\|")));
  CHECK(contains(md, "```mermaid\nxychart-beta\n"));
  CHECK(contains(md, "  x-axis [\"makers\", \"parts\"]\n"));
  CHECK(contains(md, "## Dependency graph\n"));
  CHECK(contains(md, "```mermaid\nflowchart LR\n"));
  CHECK(contains(md, "  n_makers --> n_parts\n"));
  CHECK(contains(md, "## Tables migrated earlier\n"));
  CHECK(contains(md, "| public.vendors | vendors | legacy_id | 3 |"));
  CHECK(contains(md, "## Id map\n"));
  CHECK(contains(md, "mapengine.id_maps"));
  CHECK(contains(md, "| makers | public.makers (legacy_code) | id | 20 |"));
  CHECK(contains(md, "| parts | public.parts (legacy_part_id) | id | 432 |"));
  for (const auto& line : lines_of(md)) {
    INFO(line);
    CHECK(mapengine::report::display_width(line) <= 120);
  }

  CommandResult j = f.run("report --format json .", env);
  INFO(j.out);
  REQUIRE(j.exit_code == 0);
  auto json = json_output(j.out);
  CHECK(json["version"].get<std::string>().find("mapengine ") == 0);
  CHECK(json["throughput"]["apply_runs"] == 2);
  CHECK(json["throughput"]["rows_per_second"].get<double>() > 0);
  CHECK(json["migrated_earlier"][0]["rows"] == 3);
  CHECK(json["tables"][1]["id_map"]["entries"] == 432);
  CHECK(json["tables"][1]["top_reject_reasons"][1]["first_reason"].get<std::string>().find(
            "parts_price_check") != std::string::npos);
}

TEST_CASE("the report's file table never cuts a long path", "[report]") {
  MigrationFixture f;
  make_catalog(f);
  std::string folder = f.dir + "/" + std::string(130, 'x');
  REQUIRE(std::system(("mkdir -p " + folder + " && mv " + f.dir + "/*.yaml " + folder).c_str()) ==
          0);
  CommandResult applied = f.run("apply --no-progress " + folder);
  INFO(applied.out);
  REQUIRE(applied.exit_code == 1);  // parts is over its max_rejects: it does not matter here
  CommandResult r = f.run("report " + folder);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "In `" + folder + "/`:"));
  CHECK(contains(r.out, "| makers.yaml |"));
  CHECK(contains(r.out, "| parts.yaml |"));
}

TEST_CASE("the report does not call a mapping whose deferred references wait complete",
          "[report]") {
  MigrationFixture f;
  f.source.exec("CREATE TABLE makers (code text PRIMARY KEY);"
                "INSERT INTO makers SELECT 'M' || g FROM generate_series(1, 3) g;"
                "CREATE TABLE parts (id int PRIMARY KEY, maker_code text);"
                "INSERT INTO parts SELECT g, 'M' || (g % 3 + 1) FROM generate_series(1, 9) g;");
  f.target.exec("CREATE TABLE makers (id uuid PRIMARY KEY, legacy_code text UNIQUE NOT NULL);"
                "CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL,"
                " maker_id uuid);");
  f.write_file("makers.yaml", "version: 1\ntable: makers\nsource: { query: \"SELECT code FROM "
                              "makers\", key: code }\ntarget: { legacy_key: legacy_code }\n"
                              "columns:\n  id: { generate: uuid_v5 }\n  legacy_code: code\n");
  f.write_file("parts.yaml",
               "version: 1\ntable: parts\nsource: { query: \"SELECT id, maker_code FROM parts\", "
               "key: id }\ntarget: { legacy_key: legacy_id }\ncolumns:\n  id: { generate: "
               "uuid_v5 }\n  legacy_id: id\n  maker_id: { from: maker_code, lookup: { table: "
               "makers, deferred: true, on_missing: null } }\n");
  CommandResult applied = f.run("apply --no-progress parts.yaml");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);
  REQUIRE(contains(applied.out, "waiting"));
  CommandResult r = f.run("report .");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "**NOT DONE**"));
  CHECK(contains(r.out, "| 1 | parts | public.parts | waiting |"));
  CHECK_FALSE(contains(r.out, "| parts | public.parts | complete |"));
  CHECK(contains(r.out, "- parts: 9 deferred references wait for a mapping not applied yet"));
  CHECK(contains(r.out, "- all tables complete: no"));
}
