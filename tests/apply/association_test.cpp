// Association tables: a target whose primary key is two looked-up uuids (case_tags(case_id,
// tag_id)), with no id and no legacy-key column of its own. `target.id_column: [case_id, tag_id]`
// makes the pair the row's identity; these tests prove the id map, resume, upsert and
// skip_existing, the reject of duplicate pairs, validate and report on such a table.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

CommandResult run_ok(MigrationFixture& f, const std::string& args) {
  CommandResult r = f.run(args);
  INFO(args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return r;
}

// Legacy cases 1..`cases` and tags t1..t40, migrated with their legacy keys kept; the legacy
// link table is `links_sql` (it needs columns case_id, tag_code, added).
void make_cases_and_tags(MigrationFixture& f, int cases) {
  f.source.exec("CREATE TABLE cases (id int PRIMARY KEY, title text);"
                "INSERT INTO cases SELECT g, 'case ' || g FROM generate_series(1, " +
                std::to_string(cases) +
                ") g;"
                "CREATE TABLE tags (code text PRIMARY KEY);"
                "INSERT INTO tags SELECT 't' || g FROM generate_series(1, 40) g;");
  f.target.exec(
      "CREATE TABLE cases (id uuid PRIMARY KEY, legacy_case_id int UNIQUE NOT NULL, title text);"
      "CREATE TABLE tags (id uuid PRIMARY KEY, legacy_code text UNIQUE NOT NULL);"
      "CREATE TABLE case_tags (case_id uuid NOT NULL REFERENCES cases, tag_id uuid NOT NULL "
      "  REFERENCES tags, added_at date, PRIMARY KEY (case_id, tag_id));");
  f.write_file("cases.yaml", R"(version: 1
table: public.cases
source: { table: cases, key: id }
target: { legacy_key: legacy_case_id }
batch_size: 5000
columns:
  id: { generate: uuid_v5 }
  legacy_case_id: { from: id }
  title: { from: title }
)");
  f.write_file("tags.yaml", R"(version: 1
table: public.tags
source: { table: tags, key: code }
target: { legacy_key: legacy_code }
columns:
  id: { generate: uuid_v5 }
  legacy_code: { from: code }
)");
}

// Each case has the tags (c * k) % 40 + 1 for k in 1, 7, 13 (fewer when two coincide).
std::string links_insert(const std::string& table, int cases) {
  return "INSERT INTO " + table +
         " SELECT DISTINCT c, 't' || ((c * k) % 40 + 1), date '2024-01-01' + c "
         "FROM generate_series(1, " +
         std::to_string(cases) + ") c, (VALUES (1), (7), (13)) v(k);";
}

std::string case_tags_mapping(const std::string& source, const std::string& key,
                              const std::string& mode = "insert", int batch_size = 50) {
  return R"(version: 1
table: public.case_tags
source:
  query: )" + source +
         R"(
  key: )" + key +
         R"(
target:
  id_column: [case_id, tag_id]
  mode: )" + mode +
         R"(
batch_size: )" + std::to_string(batch_size) +
         R"(
max_rejects: 2  # the first test's duplicate pair and missing case, on purpose
columns:
  case_id: { from: case_id, lookup: cases }
  tag_id: { from: tag_code, transform: [lower], lookup: tags }
  added_at: { from: added }
)";
}

}  // namespace

TEST_CASE("an association table keyed by two looked-up uuids migrates, validates and reports",
          "[apply][association]") {
  MigrationFixture f;
  make_cases_and_tags(f, 300);
  // The legacy table has its own composite key. Case 999 does not exist (a lookup reject);
  // (5, 'T6') lower-cases to tag t6, which case 5 already has (a duplicate pair).
  f.source.exec("CREATE TABLE case_tags (case_id int, tag_code text, added date, "
                "PRIMARY KEY (case_id, tag_code));" +
                links_insert("case_tags", 300) +
                "INSERT INTO case_tags VALUES (999, 't1', '2024-01-01'), (5, 'T6', '2024-02-02');");
  long long pairs = std::stoll(f.source.scalar("SELECT count(*) - 2 FROM case_tags"));
  f.write_file("case_tags.yaml",
               case_tags_mapping("SELECT case_id, tag_code, added FROM case_tags",
                                 "[case_id, tag_code]"));
  CommandResult lint = f.run("lint .");
  INFO(lint.out);
  CHECK(lint.exit_code == 0);
  run_ok(f, "apply --no-progress .");

  CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == std::to_string(pairs));
  // The id map keeps each legacy pair -> the new pair, as the canonical key text.
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_map WHERE mapping = 'case_tags'") ==
        std::to_string(pairs));
  CHECK(f.target.scalar(
            "SELECT m.new_id = json_build_array(ct.case_id::text, ct.tag_id::text)::text "
            "FROM mapengine.id_map m JOIN cases c ON c.legacy_case_id = 7 "
            "JOIN tags t ON t.legacy_code = 't8' "
            "JOIN case_tags ct ON ct.case_id = c.id AND ct.tag_id = t.id "
            "WHERE m.mapping = 'case_tags' AND m.legacy_key = '[\"7\", \"t8\"]'") == "t");
  // The duplicate pair is rejected with the server's reason; the missing case by its lookup.
  CHECK(f.target_rows("SELECT rule, reason LIKE 'duplicate key value%' FROM mapengine.rejects "
                      "WHERE mapping = 'case_tags' ORDER BY rule") ==
        "constraint|t\nlookup|f\n");

  CommandResult v = f.run("validate .");
  INFO(v.out);
  CHECK(v.exit_code == 0);
  CHECK(contains(v.out, "PASS counts: source " + std::to_string(pairs + 2)));
  CHECK(contains(v.out, "the target holds " + std::to_string(pairs)));
  CHECK(contains(v.out, "PASS content: "));
  CHECK(contains(v.out, "PASS references: 2 lookup column(s), no orphaned reference"));

  // A changed pair is named by its legacy key.
  f.target.exec("UPDATE case_tags SET added_at = '1999-01-01' WHERE added_at = '2024-01-11'");
  CommandResult changed = f.run("validate case_tags.yaml");
  INFO(changed.out);
  CHECK(changed.exit_code == 1);
  CHECK(contains(changed.out, "FAIL content"));
  CHECK(contains(changed.out, "[\"10\", \"t11\"]"));
  f.target.exec("UPDATE case_tags SET added_at = '2024-01-11' WHERE added_at = '1999-01-01'");

  run_ok(f, "validate .");
  CommandResult report = run_ok(f, "report .");
  CHECK(contains(report.out, "## case_tags -> public.case_tags\n"));
  CHECK(contains(report.out, "| case_tags | public.case_tags | complete | " +
                                 std::to_string(pairs + 2) + " | " + std::to_string(pairs) +
                                 " | 2 | 0 |"));
}

TEST_CASE("an association table whose legacy source has no key of its own: upsert and "
          "skip_existing keep the pairs already there",
          "[apply][association]") {
  MigrationFixture f;
  make_cases_and_tags(f, 200);
  // No primary key in the legacy table: the key is declared in the mapping.
  f.source.exec("CREATE TABLE links (case_id int, tag_code text, added date);" +
                links_insert("links", 200));
  run_ok(f, "apply --no-progress cases.yaml tags.yaml");
  // Pairs already in the target (migrated before), dated 1999.
  f.target.exec("INSERT INTO case_tags SELECT c.id, t.id, '1999-01-01' FROM cases c, tags t "
                "WHERE c.legacy_case_id <= 20 AND t.legacy_code = 't' || (c.legacy_case_id + 1)");
  long long pairs = std::stoll(f.source.scalar("SELECT count(*) FROM links"));

  SECTION("skip_existing") {
    f.write_file("case_tags.yaml",
                 case_tags_mapping("SELECT case_id, tag_code, added FROM links",
                                   "[case_id, tag_code]", "skip_existing"));
    run_ok(f, "apply --no-progress case_tags.yaml");
    CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == std::to_string(pairs));
    CHECK(f.target.scalar("SELECT count(*) FROM case_tags WHERE added_at = '1999-01-01'") == "20");
    CHECK(f.target.scalar("SELECT rows_skipped FROM mapengine.checkpoints WHERE mapping = "
                          "'case_tags'") == "20");
    CommandResult v = f.run("validate case_tags.yaml");
    INFO(v.out);
    CHECK(v.exit_code == 0);
    CHECK(contains(v.out, "PASS references"));
  }
  SECTION("upsert") {
    f.write_file("case_tags.yaml",
                 case_tags_mapping("SELECT case_id, tag_code, added FROM links",
                                   "[case_id, tag_code]", "upsert"));
    run_ok(f, "apply --no-progress case_tags.yaml");
    CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == std::to_string(pairs));
    CHECK(f.target.scalar("SELECT count(*) FROM case_tags WHERE added_at = '1999-01-01'") == "0");
    CommandResult v = f.run("validate case_tags.yaml");
    INFO(v.out);
    CHECK(v.exit_code == 0);
    CHECK(contains(v.out, "PASS content"));
  }
  SECTION("upsert of two legacy rows that meet on one pair in the same batch") {
    // 'T2' lower-cases onto (1, t2), which the same batch writes: the second row updates the
    // first instead of failing the whole batch.
    f.source.exec("INSERT INTO links VALUES (1, 'T2', '2030-01-01')");
    f.write_file("case_tags.yaml",
                 case_tags_mapping("SELECT case_id, tag_code, added FROM links",
                                   "[case_id, tag_code]", "upsert", 1000));
    run_ok(f, "apply --no-progress case_tags.yaml");
    CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == std::to_string(pairs));
  }
}

TEST_CASE("an association table resumes after kill -9 with every pair once", "[apply][association]") {
  MigrationFixture f;
  const int cases = 20000;
  make_cases_and_tags(f, cases);
  f.source.exec("CREATE TABLE case_tags (case_id int, tag_code text, added date, "
                "PRIMARY KEY (case_id, tag_code));" +
                links_insert("case_tags", cases));
  f.write_file("case_tags.yaml",
               case_tags_mapping("SELECT case_id, tag_code, added FROM case_tags",
                                 "[case_id, tag_code]", "insert", 500));
  run_ok(f, "apply --no-progress cases.yaml tags.yaml");
  long long pairs = std::stoll(f.source.scalar("SELECT count(*) FROM case_tags"));
  int kills = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    long long before = f.committed_batches();
    int pid = f.start("apply --no-progress case_tags.yaml", "/dev/null");
    REQUIRE(pid > 0);
    f.wait_for_batches(before + 3 + attempt * 5, std::chrono::seconds(20));
    if (kill(pid, SIGKILL) == 0) ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(kills > 0);
  run_ok(f, "apply --no-progress case_tags.yaml");
  CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == std::to_string(pairs));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_map WHERE mapping = 'case_tags'") ==
        std::to_string(pairs));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
  CommandResult v = f.run("validate case_tags.yaml");
  INFO(v.out);
  CHECK(v.exit_code == 0);
}

TEST_CASE("validate refuses an id column that is not unique instead of multiplying rows",
          "[validate][association]") {
  MigrationFixture f;
  make_cases_and_tags(f, 100);
  f.source.exec("CREATE TABLE case_tags (case_id int, tag_code text, added date, "
                "PRIMARY KEY (case_id, tag_code));" +
                links_insert("case_tags", 100));
  // Applied with the pair as the identity (apply's checks refuse the file below, like lint --db).
  f.write_file("case_tags.yaml",
               case_tags_mapping("SELECT case_id, tag_code, added FROM case_tags",
                                 "[case_id, tag_code]"));
  run_ok(f, "apply --no-progress .");
  // Then the old escape, naming one of the two key columns as the id: validate is the last guard.
  f.write_file("case_tags.yaml", R"(version: 1
table: public.case_tags
source: { query: "SELECT case_id, tag_code, added FROM case_tags", key: [case_id, tag_code] }
target: { id_column: case_id }
columns:
  case_id: { from: case_id, lookup: cases }
  tag_id: { from: tag_code, lookup: tags }
  added_at: { from: added }
)");
  CommandResult v = f.run("validate case_tags.yaml");
  INFO(v.out);
  CHECK(v.exit_code == 1);
  CHECK(contains(v.out, "FAIL identity: target.id_column case_id of public.case_tags is not "
                        "proven unique"));
  CHECK(contains(v.out, "`target.id_column: [a_id, b_id]`"));
  CHECK_FALSE(contains(v.out, "PASS counts"));
  CHECK_FALSE(contains(v.out, "FAIL counts"));
}

TEST_CASE("reset and apply --restart find an association table's rows by its key columns",
          "[reset][association]") {
  MigrationFixture f;
  make_cases_and_tags(f, 100);
  f.source.exec("CREATE TABLE case_tags (case_id int, tag_code text, added date, "
                "PRIMARY KEY (case_id, tag_code));" +
                links_insert("case_tags", 100));
  f.write_file("case_tags.yaml",
               case_tags_mapping("SELECT case_id, tag_code, added FROM case_tags",
                                 "[case_id, tag_code]"));
  run_ok(f, "apply --no-progress .");
  const std::string pairs = f.source.scalar("SELECT count(*) FROM case_tags");
  // A pair no mapping wrote stays.
  f.target.exec("INSERT INTO case_tags SELECT c.id, t.id, '1999-01-01' FROM cases c, tags t "
                "WHERE c.legacy_case_id = 1 AND t.legacy_code = 't40'");

  // mapping, table, rows, id map, rejects, pending, checkpoints
  std::string dry = run_ok(f, "reset --dry-run case_tags.yaml").out;
  auto two_spaces = [](char a, char b) { return a == ' ' && b == ' '; };
  dry.erase(std::unique(dry.begin(), dry.end(), two_spaces), dry.end());
  CHECK(contains(dry, "\ncase_tags public.case_tags " + pairs + " " + pairs + " 0 0 1\n"));

  run_ok(f, "apply --no-progress --restart case_tags.yaml");
  CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == std::to_string(std::stoll(pairs) + 1));
  CHECK(f.target.scalar("SELECT count(*) FROM case_tags WHERE added_at = '1999-01-01'") == "1");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_map WHERE mapping = 'case_tags'") ==
        pairs);

  run_ok(f, "reset case_tags.yaml");
  CHECK(f.target.scalar("SELECT count(*) FROM case_tags") == "1");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_map WHERE mapping = 'case_tags'") ==
        "0");
}

TEST_CASE("apply refuses a lookup through an association table's id map, which holds key text",
          "[apply][association]") {
  MigrationFixture f;
  make_cases_and_tags(f, 10);
  f.source.exec("CREATE TABLE case_tags (case_id int, tag_code text, added date, "
                "PRIMARY KEY (case_id, tag_code));" +
                links_insert("case_tags", 10) +
                "CREATE TABLE notes (id int PRIMARY KEY, case_id int, tag_code text);"
                "INSERT INTO notes VALUES (1, 1, 't2');");
  f.target.exec("CREATE TABLE notes (id uuid PRIMARY KEY, legacy_id int UNIQUE, tag_id text)");
  f.write_file("case_tags.yaml",
               case_tags_mapping("SELECT case_id, tag_code, added FROM case_tags",
                                 "[case_id, tag_code]"));
  f.write_file("notes.yaml", R"(version: 1
table: public.notes
source:
  query: SELECT id, json_build_array(case_id::text, tag_code)::text AS link FROM notes
  key: id
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid }
  legacy_id: { from: id }
  tag_id: { from: link, lookup: { mapping: case_tags, return: tag_id } }
)");
  CommandResult r = f.run("apply --no-progress .");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "lookup through the id map of case_tags, an association table"));
  CHECK(f.target.scalar("SELECT count(*) FROM notes") == "0");
}

TEST_CASE("validate refuses a legacy-key column filled by a lookup instead of calling every row "
          "missing and extra",
          "[validate][association]") {
  MigrationFixture f;
  make_cases_and_tags(f, 20);
  f.source.exec("CREATE TABLE case_tags (case_id int, tag_code text, added date, "
                "PRIMARY KEY (case_id, tag_code));" +
                links_insert("case_tags", 20));
  f.target.exec("CREATE TABLE taggings (id uuid PRIMARY KEY, case_id uuid NOT NULL, tag_id uuid "
                "NOT NULL, added_at date, UNIQUE (case_id, tag_id))");
  const std::string columns = R"(columns:
  id: { generate: uuid }
  case_id: { from: case_id, lookup: cases }
  tag_id: { from: tag_code, lookup: tags }
  added_at: { from: added }
)";
  const std::string head = R"(version: 1
table: public.taggings
source: { query: "SELECT case_id, tag_code, added FROM case_tags", key: [case_id, tag_code] }
)";
  // Applied with its id map in mapengine.id_map (apply's checks refuse the file below, as
  // lint --db does).
  f.write_file("taggings.yaml", head + columns);
  run_ok(f, "apply --no-progress .");
  // Then the legacy key declared on the looked-up columns, which hold the new uuids: validate
  // is the last guard.
  f.write_file("taggings.yaml", head + "target: { legacy_key: [case_id, tag_id] }\n" + columns);
  CommandResult v = f.run("validate taggings.yaml");
  INFO(v.out);
  CHECK(v.exit_code == 1);
  CHECK(contains(v.out, "FAIL identity: target.legacy_key column `case_id` is filled by a lookup"));
  CHECK(contains(v.out, "[legacy-key-from-source]"));
  CHECK_FALSE(contains(v.out, "FAIL counts"));
  CHECK_FALSE(contains(v.out, "missing"));
}
