// lint's output formats, and `mapengine lint` on the command line (exit codes, formats, folders).
#include "engine/lint/lint_output.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/lint/semantic_rules.h"
#include "tests/support/test_database.h"

using mapengine::Diagnostics;
using mapengine::testing::run_mapengine;
using mapengine::testing::shell_quote;
using nlohmann::json;
namespace fs = std::filesystem;
namespace lint = mapengine::lint;

namespace {

Diagnostics sample() {
  Diagnostics d;
  d.error({"mappings/a.yaml", 3, 5}, "schema-unknown-key",
          "unknown field `batchsize`; did you mean `batch_size`?");
  d.warning({"mappings/b, c.yaml", 7, 1}, "batch-size-range",
            "batch_size 50000 is above 20000\nsplit");
  d.error({"mappings/missing.yaml", 0, 0}, "io", "no such file or folder: 100%");
  return d;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A folder holding one copy of a fixture case (fixtures share a folder with their siblings).
std::string fixture_copy(const std::string& rule, const std::string& file) {
  std::string dir = mapengine::testing::scratch_dir("cli-" + rule);
  fs::copy_file(fs::path(MAPENGINE_TEST_DATA) / "lint" / rule / file, fs::path(dir) / file);
  return dir;
}

}  // namespace

TEST_CASE("lint: text output: one line per finding, then the summary, colour only on request",
          "[lint]") {
  Diagnostics d = sample();
  auto lines = lines_of(lint::render_text(d, 3, false));
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] ==
        "mappings/a.yaml:3:5: error: unknown field `batchsize`; did you mean `batch_size`? "
        "[schema-unknown-key]");
  CHECK(lines[1] == "mappings/b, c.yaml:7:1: warning: batch_size 50000 is above 20000");
  CHECK(lines[2] == "    split [batch-size-range]");  // a message's next lines are indented
  CHECK(lines[4] == "2 errors, 1 warning in 3 files");
  CHECK(lint::render_text(d, 3, false).find('\x1b') == std::string::npos);
  CHECK(lint::render_text(d, 3, true).find("\x1b[1;31merror") != std::string::npos);
  CHECK(lint::summary_line(Diagnostics(), 1) == "0 errors, 0 warnings in 1 file");
}

TEST_CASE("lint: json output is an array of objects with file, line, column, severity, rule",
          "[lint]") {
  json out = json::parse(lint::render_json(sample()));
  REQUIRE(out.is_array());
  REQUIRE(out.size() == 3);
  CHECK(out[0]["file"] == "mappings/a.yaml");
  CHECK(out[0]["line"] == 3);
  CHECK(out[0]["column"] == 5);
  CHECK(out[0]["severity"] == "error");
  CHECK(out[0]["rule"] == "schema-unknown-key");
  CHECK(out[1]["severity"] == "warning");
  CHECK(json::parse(lint::render_json(Diagnostics())) == json::array());
}

TEST_CASE("lint: github output is one escaped workflow command per finding", "[lint]") {
  auto lines = lines_of(lint::render_github(sample(), 3));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        "::error file=mappings/a.yaml,line=3,col=5,title=schema-unknown-key::unknown field "
        "`batchsize`; did you mean `batch_size`?");
  CHECK(lines[1] ==
        "::warning file=mappings/b%2C c.yaml,line=7,col=1,title=batch-size-range::batch_size "
        "50000 is above 20000%0Asplit");
  CHECK(lines[2] == "::error file=mappings/missing.yaml,title=io::no such file or folder: 100%25");
}

TEST_CASE("lint: sarif output is SARIF 2.1.0 with the rule catalog and located results", "[lint]") {
  json log = json::parse(lint::render_sarif(sample()));
  CHECK(log["version"] == "2.1.0");
  REQUIRE(log["runs"].size() == 1);
  const json& run = log["runs"][0];
  CHECK(run["tool"]["driver"]["name"] == "mapengine");
  const json& rules = run["tool"]["driver"]["rules"];
  CHECK(rules.size() == lint::lint_rules().size());
  const json& results = run["results"];
  REQUIRE(results.size() == 3);
  CHECK(results[0]["ruleId"] == "schema-unknown-key");
  CHECK(rules[results[0]["ruleIndex"].get<size_t>()]["id"] == "schema-unknown-key");
  CHECK(results[0]["level"] == "error");
  const json& location = results[0]["locations"][0]["physicalLocation"];
  CHECK(location["artifactLocation"]["uri"] == "mappings/a.yaml");
  CHECK(location["region"]["startLine"] == 3);
  CHECK(location["region"]["startColumn"] == 5);
  CHECK(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] ==
        "mappings/b%2C%20c.yaml");
  CHECK(!results[2]["locations"][0]["physicalLocation"].contains("region"));
}

TEST_CASE("mapengine lint without paths or with an unknown format is a usage error (2)", "[lint]") {
  CHECK(run_mapengine("lint").exit_code == 2);
  auto dir = fixture_copy("schema-type", "pass.yaml");
  CHECK(run_mapengine("lint --format xml " + shell_quote(dir)).exit_code == 2);
}

TEST_CASE("mapengine lint exits 0 when clean, 0 with warnings only, 1 with errors", "[lint]") {
  auto clean = run_mapengine("lint " + shell_quote(fixture_copy("schema-type", "pass.yaml")));
  INFO(clean.out);
  CHECK(clean.exit_code == 0);
  CHECK(clean.out == "0 errors, 0 warnings in 1 file\n");

  auto warned = run_mapengine("lint " + shell_quote(fixture_copy("batch-size-range", "fail.yaml")));
  INFO(warned.out);
  CHECK(warned.exit_code == 0);
  CHECK(warned.out.find("warning: batch_size 50000") != std::string::npos);
  CHECK(warned.out.find("0 errors, 1 warning in 1 file") != std::string::npos);

  std::string dir = fixture_copy("schema-unknown-key", "fail.yaml");
  auto failed = run_mapengine("lint " + shell_quote(dir + "/fail.yaml"));
  INFO(failed.out);
  CHECK(failed.exit_code == 1);
  CHECK(failed.out.find(dir + "/fail.yaml:14:1: error: unknown field `batchsize`; did you mean "
                              "`batch_size`? [schema-unknown-key]") != std::string::npos);
  CHECK(failed.out.find("\x1b") == std::string::npos);  // not a terminal: no colour

  auto missing = run_mapengine("lint " + shell_quote(dir + "/nope.yaml"));
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("no such file or folder [io]") != std::string::npos);
}

TEST_CASE("mapengine lint --format json|github|sarif writes machine-readable output", "[lint]") {
  std::string dir = fixture_copy("schema-unknown-key", "fail.yaml");
  auto as_json = run_mapengine("lint --format json " + shell_quote(dir));
  CHECK(as_json.exit_code == 1);
  json parsed = json::parse(as_json.out);
  REQUIRE(parsed.size() == 1);
  CHECK(parsed[0]["rule"] == "schema-unknown-key");

  auto as_github = run_mapengine("lint --format github " + shell_quote(dir));
  CHECK(as_github.exit_code == 1);
  CHECK(as_github.out.rfind("::error file=" + dir + "/fail.yaml,line=14,col=1,", 0) == 0);

  auto as_sarif = run_mapengine("lint --format sarif " + shell_quote(dir));
  CHECK(as_sarif.exit_code == 1);
  CHECK(json::parse(as_sarif.out)["version"] == "2.1.0");
}

TEST_CASE("mapengine lint mappings/ is clean (the example mappings)", "[lint][examples]") {
  auto result = run_mapengine("lint mappings/");
  INFO(result.out);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("0 errors") != std::string::npos);
}
