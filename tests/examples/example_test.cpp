// The example in examples/ and mappings/ stays what examples/README.md says it is: setup.sh
// loads both sides, the documented dirty rows (and no others) are what the mappings should
// reject, and mappings/ loads cleanly and plans into the documented levels.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <string>

#include "engine/plan/dependency_plan.h"
#include "engine/spec/spec_loader.h"
#include "tests/support/migration_fixture.h"

namespace mapengine::testing {
namespace {

// Runs a shell command in the repository root.
CommandResult run_in_repository(const std::string& command) {
  return run_shell("cd " + shell_quote(MAPENGINE_SOURCE_DIR) + " && " + command);
}

}  // namespace

TEST_CASE("example data: setup.sh loads both sides and exactly the documented rows are dirty",
          "[examples][pg]") {
  MigrationFixture fixture;
  CommandResult setup = run_in_repository(fixture.env() + " examples/setup.sh 0.2");
  INFO(setup.out);
  REQUIRE(setup.exit_code == 0);

  CommandResult legacy = run_in_repository(fmt::format(
      "psql {} -X -q -v ON_ERROR_STOP=1 -v scale=0.2 -f examples/check_legacy.sql",
      shell_quote(fixture.source.url())));
  INFO(legacy.out);
  CHECK(legacy.exit_code == 0);
  CHECK(legacy.out.find("check_legacy: all checks hold") != std::string::npos);

  CommandResult target = run_in_repository(fmt::format(
      "psql {} -X -q -v ON_ERROR_STOP=1 -f examples/check_target.sql",
      shell_quote(fixture.target.url())));
  INFO(target.out);
  CHECK(target.exit_code == 0);
  CHECK(target.out.find("every server-side reject hits its constraint") != std::string::npos);

  // The earlier migration left soft-deleted users, orders and files behind (scale 0.2).
  CHECK(fixture.target_rows("SELECT count(*) FROM profiles") == "992\n");
  CHECK(fixture.target_rows("SELECT count(*) FROM orders") == "2994\n");
  CHECK(fixture.target_rows("SELECT count(*) FROM files") == "3996\n");
  CHECK(fixture.target_rows("SELECT count(*) FROM technicians") == "0\n");
}

TEST_CASE("example mappings: load without diagnostics and plan into the documented levels",
          "[examples]") {
  Diagnostics diagnostics;
  spec::Project project =
      spec::load_project({std::string(MAPENGINE_SOURCE_DIR) + "/mappings"}, diagnostics);
  plan::Plan plan = plan::make_plan(project, diagnostics);
  std::string problems;
  for (const auto& d : diagnostics.items()) problems += d.to_string() + "\n";
  INFO(problems);
  CHECK(diagnostics.items().empty());
  CHECK(project.migrated.size() == 5);

  std::map<std::string, int> levels;
  for (const auto& step : plan.steps) levels[step.mapping->name] = step.level;
  const std::map<std::string, int> expected{
      {"technicians", 0},      {"brackets", 0},         {"order_cases", 0},
      {"message_attachments", 0}, {"template_view_groups", 0}, {"technician_roles", 1},
      {"purchases", 1},        {"treatment_discussions", 1}, {"template_view_roles", 1}};
  CHECK(levels == expected);
}

}  // namespace mapengine::testing
