// Data-driven lint cases: every folder tests/data/lint/<rule-id>/ holds
//   fail.yaml      a mapping that breaks the rule,
//   expected.txt   the exact diagnostics lint reports for it, one `file:line:col: ...` per line,
//   pass.yaml      the same mapping, fixed: lint reports nothing at all for it,
//   context/       optional sibling files (other mappings, migrated tables) for cross-file rules,
// and optionally further variants of one rule: fail-<variant>.yaml with expected-<variant>.txt,
// and pass-<variant>.yaml (clean too).
// Each case is linted alone in a fresh folder with the context files next to it, so a new case is
// a new folder (or a new variant). MAPENGINE_UPDATE_EXPECTED=1 rewrites the expected files from
// the actual output (review the diff before committing).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/lint/semantic_rules.h"
#include "engine/spec/spec_loader.h"
#include "tests/support/test_database.h"

namespace fs = std::filesystem;
using mapengine::Diagnostics;

namespace {

const fs::path kLintData = fs::path(MAPENGINE_TEST_DATA) / "lint";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

struct CaseResult {
  std::vector<std::string> lines;  // diagnostics, folder prefix removed
  std::set<std::string> rules;
};

// Lints `case_file` of `rule_dir` in a fresh folder holding it and the rule's context files.
CaseResult lint_case(const fs::path& rule_dir, const std::string& case_file) {
  fs::path dir = mapengine::testing::scratch_dir("lint-" + rule_dir.filename().string());
  fs::copy_file(rule_dir / case_file, fs::path(dir) / case_file);
  if (fs::is_directory(rule_dir / "context")) {
    for (const auto& entry : fs::directory_iterator(rule_dir / "context")) {
      fs::copy_file(entry.path(), dir / entry.path().filename());
    }
  }
  Diagnostics diagnostics;
  auto project = mapengine::spec::load_project({(dir / case_file).string()}, diagnostics);
  mapengine::lint::check_project(project, diagnostics);
  diagnostics.sort();
  CaseResult result;
  std::string prefix = dir.string() + "/";
  for (const auto& d : diagnostics.items()) {
    std::string line = d.to_string();
    for (size_t at; (at = line.find(prefix)) != std::string::npos;) line.erase(at, prefix.size());
    result.lines.push_back(line);
    result.rules.insert(d.rule);
  }
  return result;
}

std::vector<fs::path> rule_dirs() {
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kLintData)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace

TEST_CASE("lint fixtures: each fail.yaml reports exactly expected.txt, each pass.yaml is clean",
          "[lint]") {
  // Cases must not depend on the caller's environment (env-unset uses this variable).
  unsetenv("MAPENGINE_LINT_TEST_UNSET");
  bool update = std::getenv("MAPENGINE_UPDATE_EXPECTED") != nullptr;
  auto dirs = rule_dirs();
  REQUIRE(dirs.size() >= 20);
  for (const auto& dir : dirs) {
    std::string rule = dir.filename().string();
    SECTION(rule) {
      INFO("rule folder: " << dir.string());
      CHECK(mapengine::lint::find_lint_rule(rule) != nullptr);
      REQUIRE(fs::exists(dir / "fail.yaml"));
      REQUIRE(fs::exists(dir / "pass.yaml"));

      for (const auto& entry : fs::directory_iterator(dir)) {
        std::string file = entry.path().filename().string();
        if (!entry.is_regular_file() || file.size() < 5 ||
            file.compare(file.size() - 5, 5, ".yaml") != 0) {
          continue;
        }
        std::string stem = file.substr(0, file.size() - 5);
        INFO("case: " << file);
        if (stem == "fail" || stem.rfind("fail-", 0) == 0) {
          fs::path expected_file = dir / ("expected" + stem.substr(4) + ".txt");
          CaseResult fail = lint_case(dir, file);
          if (update)
            std::ofstream(expected_file) << [&] {
              std::string text;
              for (const auto& line : fail.lines) text += line + "\n";
              return text;
            }();
          std::vector<std::string> expected = lines_of(read_text(expected_file));
          CHECK(fail.lines == expected);
          CHECK(fail.rules.count(rule) == 1);
        } else if (stem == "pass" || stem.rfind("pass-", 0) == 0) {
          CaseResult pass = lint_case(dir, file);
          CHECK(pass.lines == std::vector<std::string>{});
        }
      }
    }
  }
}

TEST_CASE("lint: every rule lint can report is documented in docs/mapping-spec.md", "[lint]") {
  std::string docs = read_text(fs::path(MAPENGINE_SOURCE_DIR) / "docs" / "mapping-spec.md");
  size_t section = docs.find("## Lint rules");
  REQUIRE(section != std::string::npos);
  std::string rules_section = docs.substr(section);
  for (const auto& rule : mapengine::lint::lint_rules()) {
    INFO(rule.id);
    CHECK(rules_section.find("`" + std::string(rule.id) + "`") != std::string::npos);
  }
}

TEST_CASE("lint: every offline rule has a fixture folder", "[lint]") {
  // Rules that need a database, a file system condition or a huge input are tested in C++.
  const std::set<std::string> tested_elsewhere = {"io",
                                                  "file-too-large",
                                                  "db-source-query",
                                                  "db-source-column",
                                                  "db-target-table",
                                                  "db-target-column",
                                                  "db-not-null",
                                                  "db-lookup-column",
                                                  "db-deferred-not-null",
                                                  "db-cycle-not-null",
                                                  "db-id-column",
                                                  "db-key-not-unique",
                                                  "db-legacy-key-type",
                                                  "db-padded-char-lookup",
                                                  "db-bulk-target",
                                                  "schema"};
  for (const auto& rule : mapengine::lint::lint_rules()) {
    std::string id(rule.id);
    if (tested_elsewhere.count(id) > 0) continue;
    INFO(id);
    CHECK(fs::is_directory(kLintData / id));
  }
}
