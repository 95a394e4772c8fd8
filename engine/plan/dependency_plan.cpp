#include "engine/plan/dependency_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace mapengine::plan {

std::vector<std::string> dependencies_of(const spec::MappingSpec& mapping,
                                         const spec::Project& project) {
  std::set<std::string> out;
  auto add = [&](const std::string& name) {
    if (project.find_migrated(name) != nullptr && project.find_mapping(name) == nullptr) return;
    const spec::MappingSpec* producer = project.find_mapping(name);
    if (producer == nullptr || producer->name == mapping.name) return;
    out.insert(producer->name);
  };
  for (const auto& name : mapping.depends_on) add(name);
  for (const auto& column : mapping.columns) {
    if (!column.lookup) continue;
    add(column.lookup->table.empty() ? column.lookup->mapping : column.lookup->table);
  }
  return {out.begin(), out.end()};
}

Plan make_plan(const spec::Project& project, Diagnostics& diagnostics) {
  std::map<std::string, const spec::MappingSpec*> all;
  for (const auto* list : {&project.context, &project.mappings}) {
    for (const auto& m : *list) all[m.name] = &m;
  }
  std::map<std::string, std::vector<std::string>> edges;
  for (const auto& [name, mapping] : all) edges[name] = dependencies_of(*mapping, project);

  // Depth-first search for levels and cycles over every known mapping.
  std::map<std::string, int> level;
  std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<int(const std::string&)> visit = [&](const std::string& name) -> int {
    if (state[name] == 2) return level[name];
    if (state[name] == 1) {
      auto start = std::find(stack.begin(), stack.end(), name);
      std::vector<std::string> cycle(start, stack.end());
      cycle.push_back(name);
      std::string key = fmt::format("{}", fmt::join(cycle, " -> "));
      const spec::MappingSpec* at = all[name];
      if (reported.insert(name).second) {
        diagnostics.error(at->at("depends_on").line ? at->at("depends_on") : at->where,
                          "dependency-cycle", fmt::format("dependency cycle: {}", key));
      }
      return 0;
    }
    state[name] = 1;
    stack.push_back(name);
    int mine = 0;
    for (const auto& dep : edges[name]) mine = std::max(mine, visit(dep) + 1);
    stack.pop_back();
    state[name] = 2;
    level[name] = mine;
    return mine;
  };
  for (const auto& [name, mapping] : all) visit(name);

  Plan plan;
  for (const auto& m : project.mappings) {
    PlannedMapping step;
    step.mapping = &m;
    step.depends_on = edges[m.name];
    step.level = level[m.name];
    plan.steps.push_back(std::move(step));
  }
  std::stable_sort(plan.steps.begin(), plan.steps.end(),
                   [](const PlannedMapping& a, const PlannedMapping& b) {
                     return a.level != b.level ? a.level < b.level
                                               : a.mapping->name < b.mapping->name;
                   });
  return plan;
}

}  // namespace mapengine::plan
