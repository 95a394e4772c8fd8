// `mapengine lint --db` against real source and target databases on the test server.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/test_database.h"

using mapengine::testing::run_mapengine;
using mapengine::testing::scratch_dir;
using mapengine::testing::shell_quote;
using mapengine::testing::TestDatabase;

namespace {

struct Databases {
  TestDatabase source{"lint_src"};
  TestDatabase target{"lint_tgt"};

  Databases() {
    source.exec(
        "CREATE TABLE technicians (id int PRIMARY KEY, first_name text, email text, "
        "user_id int);"
        "CREATE TABLE users (id int PRIMARY KEY, email text);");
    target.exec(
        "CREATE TABLE profiles (id uuid PRIMARY KEY, legacy_user_id int UNIQUE);"
        "CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_technician_id int UNIQUE, "
        "  first_name text, email text NOT NULL, profile_id uuid, "
        "  created_at timestamptz NOT NULL DEFAULT now(), "
        "  status text NOT NULL, "
        "  email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED);");
  }

  std::string flags() const {
    return "--source " + shell_quote(source.url()) + " --target " + shell_quote(target.url());
  }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Checks that lint's output `out` holds `line`, a diagnostic for a file in `dir`.
void expect_diagnostic(const std::string& out, const std::string& dir, const std::string& line) {
  INFO("expected: " << line);
  CHECK(out.find(dir + "/" + line) != std::string::npos);
}

const char* kMigrated = R"(version: 1
kind: migrated
tables:
  - { table: public.profiles, legacy_key: legacy_user_id }
)";

const char* kGood = R"(version: 1
table: public.technicians
source:
  query: SELECT id, first_name, email, user_id FROM technicians
  key: id
target:
  legacy_key: legacy_technician_id
columns:
  id: { generate: uuid }
  legacy_technician_id: { from: id }
  first_name: { from: first_name }
  email: { from: email }
  status: { value: active }
  profile_id: { from: user_id, lookup: { table: profiles, on_missing: null } }
)";

}  // namespace

TEST_CASE("lint --db passes a mapping that matches both databases", "[lint][db]") {
  Databases db;
  std::string dir = scratch_dir("lint-db-good");
  write(dir + "/profiles.yaml", kMigrated);
  write(dir + "/technicians.yaml", kGood);
  auto result = run_mapengine("lint --db " + db.flags() + " " + shell_quote(dir));
  INFO(result.out);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "0 errors, 0 warnings in 2 files\n");
}

TEST_CASE("lint --db finds missing source columns, target columns, NOT NULL gaps and lookups",
          "[lint][db]") {
  Databases db;
  std::string dir = scratch_dir("lint-db-bad");
  write(dir + "/profiles.yaml", R"(version: 1
kind: migrated
tables:
  - { table: public.profiles, legacy_key: legacy_user_id }
  - { table: public.orders, legacy_key: legacy_order_id }
)");
  write(dir + "/technicians.yaml", R"(version: 1
table: public.technicians
source:
  query: SELECT id, first_name, email, user_id AS uid FROM technicians
  key: id
target:
  legacy_key: legacy_technician_id
columns:
  id: { generate: uuid }
  legacy_technician_id: { from: id }
  first_name: { from: firstname }
  email: { from: email }
  nickname: { from: first_name }
  email_domain: { value: x }
  profile_id: { from: uid, lookup: { table: profiles, match: legacy_id, on_missing: null } }
)");
  write(dir + "/broken.yaml", R"(version: 1
table: public.technician
source:
  query: SELECT id FROM technicianz
  key: id
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid }
  legacy_id: { from: id }
)");
  auto result = run_mapengine("lint --db " + db.flags() + " " + shell_quote(dir));
  INFO(result.out);
  CHECK(result.exit_code == 1);
  auto expect = [&](const std::string& line) { expect_diagnostic(result.out, dir, line); };
  expect(
      "broken.yaml:2:8: error: target table public.technician does not exist on the target "
      "database; did you mean `technicians`? [db-target-table]");
  expect(
      "broken.yaml:4:10: error: source query does not compile on the source database: "
      "relation \"technicianz\" does not exist [db-source-query]");
  expect(
      "profiles.yaml:5:5: error: migrated table public.orders does not exist on the target "
      "database [db-target-table]");
  expect(
      "technicians.yaml:8:1: error: public.technicians has NOT NULL column(s) without a default "
      "that are not mapped: status; every row would be rejected [db-not-null]");
  expect(
      "technicians.yaml:11:23: error: source column `firstname` is not a column of the source "
      "query (it returns id, first_name, email, uid); did you mean `first_name`? "
      "[db-source-column]");
  expect(
      "technicians.yaml:13:3: error: `nickname` is not a column of public.technicians "
      "[db-target-column]");
  expect(
      "technicians.yaml:14:3: error: `email_domain` is a generated column of "
      "public.technicians: it cannot be written [db-target-column]");
  expect(
      "technicians.yaml:15:62: error: column `profile_id`: lookup match column `legacy_id` is "
      "not a column of public.profiles [db-lookup-column]");
}

TEST_CASE("lint --db reads connections from the environment and from .env", "[lint][db]") {
  Databases db;
  std::string dir = scratch_dir("lint-db-env");
  write(dir + "/profiles.yaml", kMigrated);
  write(dir + "/technicians.yaml", kGood);
  write(dir + "/.env", "MAPENGINE_TARGET_URL=" + shell_quote(db.target.url()) + "\n");
  auto result =
      run_mapengine("lint --db .", "MAPENGINE_SOURCE_URL=" + shell_quote(db.source.url()), dir);
  INFO(result.out);
  CHECK(result.exit_code == 0);

  auto missing = run_mapengine(
      "lint --db .", "MAPENGINE_SOURCE_URL= MAPENGINE_TARGET_URL=", scratch_dir("lint-db-none"));
  CHECK(missing.exit_code == 2);
}

TEST_CASE("lint --db exits 4 when a database cannot be reached, after printing findings",
          "[lint][db]") {
  std::string dir = scratch_dir("lint-db-down");
  write(dir + "/technicians.yaml", kGood);
  auto result = run_mapengine(
      "lint --db --source 'host=/nonexistent-socket-dir dbname=x' --target 'host=/nonexistent "
      "dbname=y' " +
      shell_quote(dir));
  INFO(result.out);
  CHECK(result.exit_code == 4);
  CHECK(result.out.find("unknown-lookup-table") != std::string::npos);
}

TEST_CASE("lint --db passes the example mappings against the example schemas",
          "[lint][db][examples]") {
  auto read = [](const std::string& path) {
    std::ifstream in(std::string(MAPENGINE_SOURCE_DIR) + "/" + path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  TestDatabase source("lint_ex_src");
  TestDatabase target("lint_ex_tgt");
  source.exec("SET client_min_messages = warning;" + read("examples/legacy_schema.sql"));
  target.exec("SET client_min_messages = warning;" + read("examples/target_schema.sql"));
  auto result = run_mapengine("lint --db --source " + shell_quote(source.url()) + " --target " +
                              shell_quote(target.url()) + " mappings/");
  INFO(result.out);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("0 errors, 0 warnings") != std::string::npos);
}

TEST_CASE("lint --db proves the keys apply and validate rely on, and warns of padded char(n) "
          "lookups",
          "[lint][db]") {
  TestDatabase source("lint_keys_src");
  TestDatabase target("lint_keys_tgt");
  source.exec(
      "CREATE TABLE keyless (legacy int PRIMARY KEY, name text);"
      "CREATE TABLE cases (id int PRIMARY KEY);"
      "CREATE TABLE case_tags (case_id int, tag_code text);"
      "CREATE TABLE codes (code int PRIMARY KEY);"
      "CREATE TABLE notes (id int PRIMARY KEY, code char(5), other char(5));");
  target.exec(
      "CREATE TABLE keyless (legacy_id int, name text);"
      "CREATE TABLE cases (id uuid PRIMARY KEY, legacy_case_id int UNIQUE);"
      "CREATE TABLE case_tags (case_id uuid NOT NULL, tag_code text NOT NULL,"
      "  PRIMARY KEY (case_id, tag_code));"
      "CREATE TABLE codes (id uuid PRIMARY KEY, legacy_code text UNIQUE);"
      "CREATE TABLE notes (id uuid PRIMARY KEY, legacy_note_id int UNIQUE, code_id uuid,"
      "  other_id uuid);");
  std::string dir = scratch_dir("lint-db-keys");
  write(dir + "/cases.yaml",
        "version: 1\nkind: migrated\ntables:\n"
        "  - { table: public.cases, legacy_key: legacy_case_id }\n");
  write(dir + "/keyless.yaml", R"(version: 1
table: public.keyless
source: { table: keyless, key: legacy }
target:
  legacy_key: legacy_id
columns:
  legacy_id: { from: legacy }
  name: { from: name }
)");
  write(dir + "/case_tags.yaml", R"(version: 1
table: public.case_tags
source: { query: "SELECT case_id, tag_code FROM case_tags", key: [case_id, tag_code] }
target:
  id_column: case_id
columns:
  case_id: { from: case_id, lookup: cases }
  tag_code: { from: tag_code }
)");
  write(dir + "/codes.yaml", R"(version: 1
table: public.codes
source: { table: codes, key: code }
target:
  legacy_key: legacy_code
columns:
  id: { generate: uuid }
  legacy_code: { from: code }
)");
  write(dir + "/notes.yaml", R"(version: 1
table: public.notes
source: { table: notes, key: id }
target: { legacy_key: legacy_note_id }
columns:
  id: { generate: uuid }
  legacy_note_id: { from: id }
  code_id: { from: code, lookup: { table: codes, on_missing: null } }
  other_id: { from: other, transform: [rtrim], lookup: { table: codes, on_missing: null } }
)");
  auto result = run_mapengine("lint --db --source " + shell_quote(source.url()) + " --target " +
                              shell_quote(target.url()) + " " + shell_quote(dir));
  INFO(result.out);
  CHECK(result.exit_code == 1);
  auto expect = [&](const std::string& line) { expect_diagnostic(result.out, dir, line); };
  expect(
      "keyless.yaml:5:15: error: public.keyless has no column `id`, the default of "
      "target.id_column: lookups into it and mapengine.id_maps return that column; set "
      "target.id_column to its key column [db-id-column]");
  expect(
      "keyless.yaml:5:15: error: target.legacy_key (legacy_id) of public.keyless is not covered "
      "by a primary key or unique constraint: apply's id map and validate need it to name "
      "exactly one row; add UNIQUE (legacy_id) [db-key-not-unique]");
  expect(
      "case_tags.yaml:5:14: error: target.id_column (case_id) of public.case_tags is not covered "
      "by a primary key or unique constraint: apply's id map and validate need it to name "
      "exactly one row; for an association table list every key column (`target.id_column: "
      "[a_id, b_id]`), or add a unique constraint [db-key-not-unique]");
  expect(
      "codes.yaml:5:15: error: target.legacy_key column `legacy_code` is text but source.key "
      "column `code` is integer: the id map, resume and validate compare their texts, which "
      "would differ; give `legacy_code` the source's type [db-legacy-key-type]");
  expect(
      "notes.yaml:8:20: warning: column `code_id`: source column `code` is character(5), so its "
      "values arrive blank-padded ('AB  '), but the lookup matches public.codes.legacy_code "
      "(text), which holds them unpadded: every padded value would miss; add `transform: "
      "[rtrim]` (or trim) [db-padded-char-lookup]");
  CHECK(result.out.find("other_id") == std::string::npos);
  CHECK(result.out.find("4 errors, 1 warning") != std::string::npos);
}

TEST_CASE("lint --db compares a legacy key's types by the text they print: precision and scale",
          "[lint][db]") {
  TestDatabase source("lint_ktypes_src");
  TestDatabase target("lint_ktypes_tgt");
  source.exec(
      "CREATE TABLE readings (at3 timestamp(3), at timestamptz, amount numeric(10,2), "
      "  code varchar(8), PRIMARY KEY (at3, at, amount, code));");
  target.exec(
      "CREATE TABLE wide (id uuid PRIMARY KEY, at3 timestamp, at timestamptz(6), "
      "  amount numeric(12,2), code text, UNIQUE (at3, at, amount, code));"
      "CREATE TABLE narrow (id uuid PRIMARY KEY, at3 timestamp(0), at timestamptz(3), "
      "  amount numeric(10,3), code varchar(4), UNIQUE (at3, at, amount, code));");
  std::string dir = scratch_dir("lint-db-key-types");
  for (const std::string table : {"wide", "narrow"}) {
    write(dir + "/" + table + ".yaml", "version: 1\ntable: public." + table + R"(
source: { table: readings, key: [at3, at, amount, code] }
target:
  legacy_key: [at3, at, amount, code]
columns:
  id: { generate: uuid }
  at3: { from: at3 }
  at: { from: at }
  amount: { from: amount }
  code: { from: code }
)");
  }
  auto result = run_mapengine("lint --db --source " + shell_quote(source.url()) + " --target " +
                              shell_quote(target.url()) + " " + shell_quote(dir));
  INFO(result.out);
  CHECK(result.exit_code == 1);
  // Wider fractional seconds, a larger precision with the same scale, text for varchar: alike.
  CHECK(result.out.find("wide.yaml") == std::string::npos);
  auto expect = [&](const std::string& line) { expect_diagnostic(result.out, dir, line); };
  expect("narrow.yaml:5:16: error: target.legacy_key column `at3` is timestamp(0) without time "
         "zone but source.key column `at3` is timestamp(3) without time zone");
  expect("narrow.yaml:5:21: error: target.legacy_key column `at` is timestamp(3) with time zone "
         "but source.key column `at` is timestamp with time zone");
  expect("narrow.yaml:5:25: error: target.legacy_key column `amount` is numeric(10,3) but "
         "source.key column `amount` is numeric(10,2)");
  CHECK(result.out.find("`code`") == std::string::npos);
  CHECK(result.out.find("3 errors, 0 warnings") != std::string::npos);
}

TEST_CASE("lint --db: a char(n) legacy key needs a column that gives its padded text back, and "
          "lookups into it are padded alike",
          "[lint][db]") {
  TestDatabase source("lint_char_src");
  TestDatabase target("lint_char_tgt");
  source.exec(
      "CREATE TABLE codes (code char(5) PRIMARY KEY);"
      "CREATE TABLE items (id int PRIMARY KEY, code char(5));");
  target.exec(
      "CREATE TABLE padded (id uuid PRIMARY KEY, legacy_code text UNIQUE);"
      "CREATE TABLE fixed (id uuid PRIMARY KEY, legacy_code char(5) UNIQUE);"
      "CREATE TABLE items (id uuid PRIMARY KEY, legacy_id int UNIQUE, padded_id uuid,"
      "  fixed_id uuid);");
  std::string dir = scratch_dir("lint-db-char-keys");
  for (const std::string table : {"padded", "fixed"}) {
    write(dir + "/" + table + ".yaml", "version: 1\ntable: public." + table + R"(
source: { table: codes, key: code }
target: { legacy_key: legacy_code }
columns:
  id: { generate: uuid }
  legacy_code: { from: code }
)");
  }
  write(dir + "/items.yaml", R"(version: 1
table: public.items
source: { table: items, key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid }
  legacy_id: { from: id }
  padded_id: { from: code, lookup: padded }
  fixed_id: { from: code, lookup: fixed }
)");
  auto result = run_mapengine("lint --db --source " + shell_quote(source.url()) + " --target " +
                              shell_quote(target.url()) + " " + shell_quote(dir));
  INFO(result.out);
  CHECK(result.exit_code == 1);
  auto expect = [&](const std::string& line) { expect_diagnostic(result.out, dir, line); };
  expect(
      "fixed.yaml:4:23: error: target.legacy_key column `legacy_code` is character(5) but "
      "source.key column `code` is character(5): `code` arrives blank-padded ('AB   ') and the id "
      "map keeps it so, but `legacy_code` would give it back without the padding: resume and "
      "validate would not find the rows; select the key as text in the query (`code::text AS "
      "code` drops the padding), or make `legacy_code` text to keep it [db-legacy-key-type]");
  expect(
      "items.yaml:9:21: warning: column `fixed_id`: source column `code` is character(5), so its "
      "values arrive blank-padded ('AB  '), but the lookup matches public.fixed.legacy_code "
      "(character(5)), whose text drops the padding: every padded value would miss; add "
      "`transform: [rtrim]` (or trim) [db-padded-char-lookup]");
  CHECK(result.out.find("padded.yaml") == std::string::npos);
  CHECK(result.out.find("`padded_id`") == std::string::npos);
  CHECK(result.out.find("1 error, 1 warning") != std::string::npos);
}

TEST_CASE("lint --db names a follow.on_delete mark column the table lacks or cannot mark",
          "[lint][db][on_delete]") {
  Databases db;
  std::string dir = scratch_dir("lint-db-mark");
  write(dir + "/profiles.yaml", kMigrated);
  auto lint_with = [&](const std::string& policy) {
    write(dir + "/technicians.yaml", std::string(kGood) + "follow:\n  on_delete: " + policy + "\n");
    return run_mapengine("lint --db " + db.flags() + " " + shell_quote(dir));
  };
  auto missing = lint_with("{ mark: deleted }");
  INFO(missing.out);
  CHECK(missing.exit_code == 1);
  expect_diagnostic(missing.out, dir,
                    "technicians.yaml:16:22: error: follow.on_delete marks `deleted`, which is "
                    "not a column of public.technicians [db-target-column]");
  auto typed = lint_with("{ mark: email }");
  INFO(typed.out);
  CHECK(typed.exit_code == 1);
  expect_diagnostic(typed.out, dir,
                    "technicians.yaml:16:22: error: follow.on_delete marks `email`, which is "
                    "text: mark a boolean (set true), timestamp, timestamptz or date (set to the "
                    "time) column [db-target-column]");
  // A timestamptz column, and keep, pass.
  CHECK(lint_with("{ mark: created_at }").exit_code == 0);
  CHECK(lint_with("keep").exit_code == 0);
  // A policy that is none of them is a schema finding.
  auto unknown = lint_with("archive");
  INFO(unknown.out);
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.out.find("technicians.yaml:16:") != std::string::npos);
}
