// Integration tests of the commands around apply: `mapengine status`, `mapengine rejects` and
// `apply --retry-rejects`, against the real server.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::wait_for_exit;

namespace {

// 20 makers; `parts` parts, every 100th of which names maker 99, which does not exist.
void make_catalog(MigrationFixture& f, int parts = 1000) {
  f.source.exec(
      "CREATE TABLE makers (id int PRIMARY KEY, name text);"
      "INSERT INTO makers SELECT g, 'maker ' || g FROM generate_series(1, 20) g;"
      "CREATE TABLE parts (id int PRIMARY KEY, maker_id int, label text);"
      "INSERT INTO parts SELECT g, CASE WHEN g % 100 = 0 THEN 99 ELSE g % 20 + 1 END, "
      "'part, \"' || g || '\"' FROM generate_series(1, " + std::to_string(parts) + ") g;");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text);"
      "CREATE TABLE parts (id uuid PRIMARY KEY, maker_id uuid NOT NULL REFERENCES makers,"
      " label text);");
  f.write_file("makers.yaml", R"(version: 1
table: makers
source: { query: "SELECT id, name FROM makers", key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  name: name
)");
  f.write_file("parts.yaml", R"(version: 1
table: parts
source: { query: "SELECT id, maker_id, label FROM parts", key: id }
batch_size: 300
max_rejects: 100000
columns:
  id: { generate: uuid_v5 }
  maker_id: { from: maker_id, lookup: makers }
  label: label
)");
}

nlohmann::json status_json(const MigrationFixture& f, const std::string& args) {
  CommandResult r = f.run("status --format json " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // The target line goes to standard error, before the JSON.
  return nlohmann::json::parse(r.out.substr(r.out.find('[')));
}

const nlohmann::json& entry(const nlohmann::json& status, const std::string& mapping) {
  for (const auto& item : status) {
    if (item["mapping"] == mapping) return item;
  }
  FAIL("no status for " << mapping);
  return status;
}

// A minimal RFC 4180 reader: rows of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r') {
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  (void)was_quoted;
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace

TEST_CASE("status shows each mapping before, during, after an interrupted run and at the end",
          "[status]") {
  MigrationFixture f;
  make_catalog(f, 100000);

  CommandResult none = f.run("status makers.yaml parts.yaml");
  INFO(none.out);
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("nothing has run on this target yet") != std::string::npos);
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
  nlohmann::json before = status_json(f, "makers.yaml parts.yaml");
  CHECK(entry(before, "parts")["state"] == "not applied");

  REQUIRE(f.run("apply --no-progress makers.yaml").exit_code == 0);
  std::string log = f.dir + "/apply.log";
  int pid = f.start("apply --no-progress --batch-size 100 parts.yaml", log);
  REQUIRE(pid > 0);
  REQUIRE(f.wait_for_batches(4, std::chrono::seconds(30)));
  nlohmann::json during = status_json(f, "parts.yaml");
  CHECK(entry(during, "parts")["state"] == "running");
  CHECK(!entry(during, "parts")["lease"]["owner"].get<std::string>().empty());
  kill(pid, SIGINT);
  wait_for_exit(pid);
  INFO(read_file(log));

  nlohmann::json stopped = status_json(f, "");
  const nlohmann::json& parts = entry(stopped, "parts");
  CHECK(parts["state"] == "interrupted");
  CHECK(parts["lease"].is_null());
  CHECK(parts["ranges"]["done"] == 0);
  CHECK(parts["ranges"]["total"] == 1);
  CHECK(parts["rows"]["written"].get<long long>() > 0);
  CHECK(parts["last_run"]["outcome"] == "interrupted");
  CHECK(parts["last_run"]["command"] == "apply");
  CHECK(entry(stopped, "makers")["state"] == "complete");

  REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);
  nlohmann::json after = status_json(f, "makers.yaml parts.yaml");
  CHECK(entry(after, "parts")["state"] == "complete");
  CHECK(entry(after, "parts")["rows"]["read"] == 100000);
  CHECK(entry(after, "parts")["rows"]["rejected"] == 1000);
  CHECK(entry(after, "parts")["rejects_now"] == 1000);
  CHECK(entry(after, "parts")["ranges"]["done"] == 1);
  CHECK(entry(after, "parts")["file_changed"] == false);
  CommandResult text = f.run("status makers.yaml parts.yaml");
  INFO(text.out);
  CHECK(text.out.find("complete") != std::string::npos);
  // The table fits an 80-column terminal: figures grouped, the last run on a line of its own.
  CHECK(text.out.find("parts    complete  100,000   99,000     1,000        0     1/1\n"
                      "  last run ") != std::string::npos);
  std::istringstream lines(text.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("target:", 0) == 0 || line.rfind("source:", 0) == 0) continue;  // the URLs
    CHECK(line.size() <= 80);
  }
  // A live holder elsewhere shows as running, with its lease.
  f.target.exec("UPDATE mapengine.mappings SET status = 'running', lease_owner = "
                "'builder-7:4242:99', lease_until = now() + interval '5 minutes' "
                "WHERE mapping = 'makers'");
  CHECK(entry(status_json(f, ""), "makers")["state"] == "running");
  CHECK(f.run("status").out.find("builder-7:4242:99 until") != std::string::npos);
}

TEST_CASE("rejects export parses as CSV and JSON with the right rows", "[rejects]") {
  MigrationFixture f;
  make_catalog(f);
  f.target.exec("ALTER TABLE parts ADD CONSTRAINT no_seven CHECK (label <> 'part, \"7\"')");
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  std::set<std::string> expected = {"7"};
  for (int k = 100; k <= 1000; k += 100) expected.insert(std::to_string(k));

  CommandResult csv = f.run("rejects parts.yaml -o rejects.csv");
  INFO(csv.out);
  REQUIRE(csv.exit_code == 0);
  auto rows = parse_csv(read_file(f.dir + "/rejects.csv"));
  REQUIRE(rows.size() == 12);
  CHECK(rows[0] == std::vector<std::string>{"mapping", "legacy_key", "column", "value", "rule",
                                            "reason", "run_id", "created_at"});
  std::set<std::string> keys;
  for (size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == 8);
    keys.insert(rows[i][1]);
    if (rows[i][1] == "7") {
      CHECK(rows[i][2] == "label");
      CHECK(rows[i][3] == "part, \"7\"");
      CHECK(rows[i][4] == "constraint");
    } else {
      CHECK(rows[i][2] == "maker_id");
      CHECK(rows[i][3] == "99");
      CHECK(rows[i][4] == "lookup");
    }
  }
  CHECK(keys == expected);

  CommandResult json = f.run("rejects --format json parts.yaml");
  INFO(json.out);
  REQUIRE(json.exit_code == 0);
  nlohmann::json items = nlohmann::json::parse(json.out.substr(json.out.find('[')));
  REQUIRE(items.size() == 11);
  keys.clear();
  for (const auto& item : items) {
    keys.insert(item["legacy_key"].get<std::string>());
    CHECK(item["mapping"] == "parts");
    CHECK(item["run_id"] == 1);
    CHECK(!item["reason"].get<std::string>().empty());
  }
  CHECK(keys == expected);

  CommandResult text = f.run("rejects --format text makers.yaml parts.yaml");
  INFO(text.out);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("parts 500: maker_id = '99' lookup: ") != std::string::npos);
}

TEST_CASE("retry-rejects after fixing the source data writes exactly the formerly rejected rows",
          "[retry]") {
  MigrationFixture reference;
  make_catalog(reference);
  reference.source.exec("UPDATE parts SET maker_id = 5 WHERE maker_id = 99");
  REQUIRE(reference.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);

  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "990");

  // Retrying before anything is fixed: the same rows fail again, one reject each.
  CommandResult same = f.run("apply --no-progress --retry-rejects parts.yaml");
  INFO(same.out);
  REQUIRE(same.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "10");
  CHECK(f.target.scalar("SELECT count(DISTINCT run_id) FROM mapengine.rejects") == "1");
  CHECK(f.target.scalar("SELECT min(run_id) FROM mapengine.rejects") == "2");

  // Half fixed.
  f.source.exec("UPDATE parts SET maker_id = 5 WHERE maker_id = 99 AND id <= 500");
  CommandResult half = f.run("apply --no-progress --retry-rejects parts.yaml");
  INFO(half.out);
  REQUIRE(half.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "995");
  CHECK(f.target_rows("SELECT legacy_key FROM mapengine.rejects ORDER BY legacy_key::int") ==
        "600\n700\n800\n900\n1000\n");
  CHECK(f.target.scalar("SELECT sum(rows_written) || '/' || sum(rows_rejected) FROM "
                        "mapengine.checkpoints WHERE mapping = 'parts'") == "995/5");

  f.source.exec("UPDATE parts SET maker_id = 5 WHERE maker_id = 99");
  CommandResult rest = f.run("apply --no-progress --retry-rejects parts.yaml");
  INFO(rest.out);
  REQUIRE(rest.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
  CHECK(f.target_rows("SELECT id, maker_id, label FROM parts ORDER BY id") ==
        reference.target_rows("SELECT id, maker_id, label FROM parts ORDER BY id"));
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.id_map") == "1000");
  CHECK(f.target.scalar("SELECT status FROM mapengine.mappings WHERE mapping = 'parts'") ==
        "complete");
  CommandResult validated = f.run("validate makers.yaml parts.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
  // A plain apply has nothing left to do.
  CHECK(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "1000");
}

TEST_CASE("retry-rejects accepts a fixed mapping file for the rejected rows only and needs a "
          "completed mapping",
          "[retry]") {
  MigrationFixture f;
  make_catalog(f);
  REQUIRE(f.run("apply --no-progress makers.yaml parts.yaml").exit_code == 0);
  // The fix is in the mapping: unknown makers go to maker 1.
  std::string text = read_file(f.dir + "/parts.yaml");
  text.replace(text.find("lookup: makers }"), 16,
               "transform: [{ map: { \"99\": \"1\" }, on_unmapped: keep }], lookup: makers }");
  f.write_file("parts.yaml", text);
  CommandResult changed = f.run("apply --no-progress parts.yaml");
  CHECK(changed.exit_code == 3);

  CommandResult retried = f.run("apply --no-progress --retry-rejects parts.yaml");
  INFO(retried.out);
  REQUIRE(retried.exit_code == 0);
  CHECK(retried.out.find("applies to the retried rows only") != std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "1000");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM parts p JOIN makers m ON m.id = p.maker_id "
                        "WHERE m.legacy_id = 1") == "50");
  // The changed file is now the one applied.
  CHECK(f.run("apply --no-progress parts.yaml").exit_code == 0);

  f.target.exec("UPDATE mapengine.mappings SET status = 'running' WHERE mapping = 'parts'");
  CommandResult refused = f.run("apply --no-progress --retry-rejects parts.yaml");
  INFO(refused.out);
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("--retry-rejects re-processes the rejected rows of a completed mapping") !=
        std::string::npos);
  CHECK(f.run("apply --no-progress --retry-rejects --restart parts.yaml").exit_code == 2);
}
