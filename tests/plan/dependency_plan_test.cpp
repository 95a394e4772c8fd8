#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/plan/dependency_plan.h"

using mapengine::Diagnostics;
namespace plan = mapengine::plan;
namespace spec = mapengine::spec;

namespace {

spec::MappingSpec mapping(const std::string& name) {
  spec::MappingSpec m;
  m.name = name;
  m.file = name + ".yaml";
  m.table = {"public", name};
  return m;
}

// A column of `m` that looks up the table `table`.
void look_up(spec::MappingSpec& m, const std::string& column, const std::string& table,
             bool deferred = false) {
  spec::ColumnSpec c;
  c.name = column;
  c.lookup.emplace();
  c.lookup->table = table;
  c.lookup->deferred = deferred;
  m.columns.push_back(std::move(c));
}

std::vector<std::string> order(const plan::Plan& p) {
  std::vector<std::string> names;
  for (const auto& step : p.steps) names.push_back(step.mapping->name);
  return names;
}

}  // namespace

TEST_CASE("plan: a mapping runs after the mappings its lookups and depends_on name", "[plan]") {
  spec::Project project;
  project.mappings.push_back(mapping("lines"));
  project.mappings.back().depends_on = {"orders"};
  project.mappings.push_back(mapping("orders"));
  look_up(project.mappings.back(), "customer_id", "customers");
  project.mappings.push_back(mapping("customers"));
  Diagnostics diagnostics;
  plan::Plan p = plan::make_plan(project, diagnostics);
  CHECK_FALSE(diagnostics.has_errors());
  CHECK(order(p) == std::vector<std::string>{"customers", "orders", "lines"});
  CHECK(p.steps[0].level == 0);
  CHECK(p.steps[1].level == 1);
  CHECK(p.steps[2].level == 2);
  CHECK(p.steps[2].depends_on == std::vector<std::string>{"orders"});
}

TEST_CASE("plan: deferred lookups, self-references and migrated tables are not dependencies",
          "[plan]") {
  spec::Project project;
  project.mappings.push_back(mapping("employees"));
  look_up(project.mappings.back(), "manager_id", "employees");            // itself
  look_up(project.mappings.back(), "desk_id", "desks", /*deferred=*/true);  // filled later
  look_up(project.mappings.back(), "region_id", "regions");               // migrated
  project.mappings.push_back(mapping("desks"));
  look_up(project.mappings.back(), "owner_id", "employees");
  spec::MigratedTable regions;
  regions.name = "regions";
  regions.table = {"public", "regions"};
  project.migrated.push_back(regions);
  Diagnostics diagnostics;
  plan::Plan p = plan::make_plan(project, diagnostics);
  CHECK_FALSE(diagnostics.has_errors());
  CHECK(order(p) == std::vector<std::string>{"employees", "desks"});
  CHECK(plan::dependencies_of(project.mappings[0], project).empty());
  CHECK(plan::dependencies_of(project.mappings[1], project) ==
        std::vector<std::string>{"employees"});
}

TEST_CASE("plan: a dependency cycle is an error naming it and the lookups that could break it",
          "[plan]") {
  spec::Project project;
  project.mappings.push_back(mapping("a"));
  look_up(project.mappings.back(), "b_id", "b");
  project.mappings.push_back(mapping("b"));
  look_up(project.mappings.back(), "a_id", "a");
  Diagnostics diagnostics;
  plan::Plan p = plan::make_plan(project, diagnostics);
  REQUIRE(diagnostics.error_count() == 1);
  const auto& error = diagnostics.items().front();
  CHECK(error.rule == "dependency-cycle");
  CHECK_THAT(error.message, Catch::Contains("a -> b -> a"));
  CHECK_THAT(error.message, Catch::Contains("deferred: true"));
  REQUIRE(p.cycles.size() == 1);
  CHECK(p.cycles[0].size() == 2);
  CHECK(p.cycles[0][0].lookup_columns == std::vector<std::string>{"b_id"});
}
