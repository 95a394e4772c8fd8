// Machine-readable output of apply: with --log-format json every line it prints (stdout and
// stderr) is one JSON object, and --summary-json FILE holds the run's result, on success, with
// rejects that need attention, and on failure.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>
#include <string>

#include "tests/support/migration_fixture.h"
#include "tests/support/process.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::shell_quote;

namespace {

// Legacy parts 1..20; parts 10 and 20 have a negative price, which the target refuses.
void make_parts(MigrationFixture& f, const std::string& extra_yaml) {
  f.source.exec("CREATE TABLE parts (id int PRIMARY KEY, name text, price int);"
                "INSERT INTO parts SELECT g, 'part ' || g, CASE WHEN g % 10 = 0 THEN -g ELSE g "
                "END FROM generate_series(1, 20) g;");
  f.target.exec("CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
                "name text NOT NULL, price int NOT NULL CHECK (price >= 0));");
  f.write_file("parts.yaml", "version: 1\ntable: public.parts\nsource: { query: \"SELECT id, name, "
                             "price FROM parts\", key: id }\ntarget: { legacy_key: legacy_id }\n"
                             "columns:\n  id: { generate: uuid_v5 }\n"
                             "  legacy_id: id\n  name: name\n  price: price\n" +
                                 extra_yaml);
}

// Every line of `out` parsed; fails the test on a line that is not one JSON object.
std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> events;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    nlohmann::json event;
    REQUIRE_NOTHROW(event = nlohmann::json::parse(line));
    REQUIRE(event.is_object());
    REQUIRE(event.contains("event"));
    REQUIRE(event.contains("level"));
    REQUIRE(event.contains("msg"));
    events.push_back(std::move(event));
  }
  return events;
}

std::set<std::string> names_of(const std::vector<nlohmann::json>& events) {
  std::set<std::string> names;
  for (const auto& e : events) names.insert(e["event"].get<std::string>());
  return names;
}

}  // namespace

TEST_CASE("with --log-format json every line apply prints is one JSON object",
          "[apply][json]") {
  MigrationFixture f;
  SECTION("a run that finishes with rejects within max_rejects") {
    make_parts(f, "max_rejects: 2\n");
    CommandResult r = f.run("apply --log-format json parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    auto events = json_lines(r.out);
    auto names = names_of(events);
    for (const char* name : {"databases", "plan", "mapping_start", "mapping_done",
                             "apply_summary", "apply_done"}) {
      INFO(name);
      CHECK(names.count(name) == 1);
    }
    for (const auto& e : events) {
      if (e["event"] == "plan") CHECK(e["steps"][0]["mapping"] == "parts");
      if (e["event"] == "databases") CHECK(e["target"].get<std::string>().find(f.target.name()) != std::string::npos);
      if (e["event"] == "apply_summary") CHECK(e["summary"]["status"] == "succeeded");
    }
  }
  SECTION("a password given on the command line: the warning is an event too") {
    make_parts(f, "max_rejects: 2\n");
    CommandResult r = f.run("apply --log-format json --target " +
                            shell_quote(f.target.url() + " password=Sekr3tPw") + " parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Sekr3tPw") == std::string::npos);
    auto names = names_of(json_lines(r.out));
    CHECK(names.count("password_on_command_line") == 1);
  }
  SECTION("a dry run with rejects that need attention") {
    make_parts(f, "");
    CommandResult r = f.run("apply --log-format json --dry-run parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    auto names = names_of(json_lines(r.out));
    for (const char* name : {"dry_run", "rehearsal", "dry_run_done", "rejects"}) {
      INFO(name);
      CHECK(names.count(name) == 1);
    }
  }
  SECTION("a run that fails: the lint --db findings and the final error") {
    make_parts(f, "");
    f.target.exec("ALTER TABLE parts DROP COLUMN name");
    CommandResult r = f.run("apply --log-format json parts.yaml");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    auto events = json_lines(r.out);
    auto names = names_of(events);
    CHECK(names.count("diagnostic") == 1);
    REQUIRE(names.count("error") == 1);
    CHECK(events.back()["event"] == "error");
    CHECK(events.back()["exit_code"] == 1);
  }
  SECTION("a run that fails on a missing database, with what to do") {
    make_parts(f, "");
    std::string env = "MAPENGINE_TARGET_URL=" +
                      shell_quote(f.target.url() + " dbname=" + f.target.name() + "_missing");
    CommandResult r = f.run("apply --log-format json parts.yaml", env);
    INFO(r.out);
    CHECK(r.exit_code == 5);
    auto events = json_lines(r.out);
    REQUIRE(events.back()["event"] == "error");
    CHECK(events.back()["sqlstate"] == "3D000");
    CHECK(events.back()["exit_code"] == 5);
    CHECK(events.back()["advice"].get<std::string>().find("retrying cannot help") !=
          std::string::npos);
  }
}

TEST_CASE("apply --summary-json writes the run's result, also when the run fails",
          "[apply][json]") {
  MigrationFixture f;
  std::string file = f.dir + "/result.json";
  SECTION("a successful run") {
    make_parts(f, "max_rejects: 2\n");
    CommandResult r = f.run("apply --no-progress --summary-json result.json parts.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(read_file(file));
    INFO(doc.dump(2));
    CHECK(doc["version"].get<std::string>().find("mapengine ") == 0);
    CHECK(doc["run_id"].is_number_integer());
    CHECK(doc["dry_run"] == false);
    CHECK(doc["status"] == "succeeded");
    CHECK(doc["exit_code"] == 0);
    CHECK(doc["error"].is_null());
    CHECK(doc["seconds"].get<double>() > 0);
    CHECK(doc["started_at"].get<std::string>() <= doc["finished_at"].get<std::string>());
    REQUIRE(doc["mappings"].size() == 1);
    const auto& m = doc["mappings"][0];
    CHECK(m["name"] == "parts");
    CHECK(m["table"] == "public.parts");
    CHECK(m["status"] == "succeeded");
    CHECK(m["read"] == 20);
    CHECK(m["written"] == 18);
    CHECK(m["rejected"] == 2);
    CHECK(m["seconds"].is_number());
    CHECK(doc["totals"]["written"] == 18);
    CHECK(doc["totals"]["rejected"] == 2);
    CHECK(doc["totals"]["mappings"] == 1);
  }
  SECTION("a run whose rejects need attention") {
    make_parts(f, "");
    CommandResult r = f.run("apply --no-progress --summary-json result.json parts.yaml");
    INFO(r.out);
    REQUIRE(r.exit_code == 1);
    auto doc = nlohmann::json::parse(read_file(file));
    INFO(doc.dump(2));
    CHECK(doc["status"] == "rejects");
    CHECK(doc["exit_code"] == 1);
    const auto& m = doc["mappings"][0];
    CHECK(m["status"] == "rejects");
    CHECK(m["reject_rows_total"] == 2);
    REQUIRE(m["reject_groups"].size() >= 1);
    CHECK(m["reject_groups"][0]["rows"] == 2);
    CHECK(m["reject_groups"][0]["rule"].is_string());
    CHECK(m["reject_groups"][0]["examples"].size() >= 1);
  }
  SECTION("a failed run: the error, its SQLSTATE and the exit code") {
    make_parts(f, "");
    std::string env = "MAPENGINE_TARGET_URL=" +
                      shell_quote(f.target.url() + " dbname=" + f.target.name() + "_missing");
    CommandResult r = f.run("apply --no-progress --summary-json result.json parts.yaml", env);
    INFO(r.out);
    REQUIRE(r.exit_code == 5);
    auto doc = nlohmann::json::parse(read_file(file));
    INFO(doc.dump(2));
    CHECK(doc["status"] == "failed");
    CHECK(doc["exit_code"] == 5);
    CHECK(doc["run_id"].is_null());
    CHECK(doc["error"]["sqlstate"] == "3D000");
    CHECK(doc["error"]["message"].get<std::string>().find("_missing") != std::string::npos);
    REQUIRE(doc["mappings"].size() == 1);
    CHECK(doc["mappings"][0]["status"] == "skipped");
  }
}
