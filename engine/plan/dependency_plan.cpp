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
    if (!column.lookup || column.lookup->deferred) continue;
    add(column.lookup->table.empty() ? column.lookup->mapping : column.lookup->table);
  }
  return {out.begin(), out.end()};
}

namespace {

// Why `from` waits for the mapping `to`.
CycleEdge edge_between(const spec::MappingSpec& from, const std::string& to,
                       const spec::Project& project) {
  CycleEdge edge;
  edge.from = &from;
  edge.to = to;
  auto names = [&](const std::string& name) {
    const spec::MappingSpec* producer = project.find_mapping(name);
    return producer != nullptr && producer->name == to;
  };
  for (const auto& name : from.depends_on) edge.depends_on = edge.depends_on || names(name);
  for (const auto& column : from.columns) {
    if (!column.lookup || column.lookup->deferred) continue;
    if (names(column.lookup->table.empty() ? column.lookup->mapping : column.lookup->table)) {
      edge.lookup_columns.push_back(column.name);
    }
  }
  return edge;
}

// The way out of a cycle, for its message.
std::string way_out(const std::vector<CycleEdge>& cycle) {
  std::vector<std::string> lookups, depends;
  for (const auto& edge : cycle) {
    for (const auto& column : edge.lookup_columns) {
      lookups.push_back(fmt::format("{}.{} (looks up {})", edge.from->name, column, edge.to));
    }
    if (edge.depends_on)
      depends.push_back(fmt::format("{} (depends_on {})", edge.from->name, edge.to));
  }
  std::string out;
  if (!lookups.empty()) {
    out = fmt::format(
        "; break it by marking the lookup of a nullable column `deferred: true` "
        "(written NULL, filled once the other side is written): {}",
        fmt::join(lookups, ", "));
  }
  if (!depends.empty()) {
    out += fmt::format("{} drop a depends_on: {}", lookups.empty() ? "; break it:" : "; or",
                       fmt::join(depends, ", "));
  }
  return out;
}

}  // namespace

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
  std::vector<std::vector<CycleEdge>> cycles;
  std::function<int(const std::string&)> visit = [&](const std::string& name) -> int {
    if (state[name] == 2) return level[name];
    if (state[name] == 1) {
      auto start = std::find(stack.begin(), stack.end(), name);
      std::vector<std::string> cycle(start, stack.end());
      cycle.push_back(name);
      std::string key = fmt::format("{}", fmt::join(cycle, " -> "));
      const spec::MappingSpec* at = all[name];
      if (reported.insert(name).second) {
        std::vector<CycleEdge> edges_of_cycle;
        for (size_t i = 0; i + 1 < cycle.size(); ++i) {
          edges_of_cycle.push_back(edge_between(*all[cycle[i]], cycle[i + 1], project));
        }
        // Point at the first lookup that could be deferred, else at depends_on.
        const SourceLocation* where =
            at->at("depends_on").line ? &at->at("depends_on") : &at->where;
        for (const auto& edge : edges_of_cycle) {
          if (edge.lookup_columns.empty() || edge.from != at) continue;
          where = &at->at("columns." + edge.lookup_columns.front() + ".lookup");
          break;
        }
        diagnostics.error(*where, "dependency-cycle",
                          fmt::format("dependency cycle: {}{}", key, way_out(edges_of_cycle)));
        cycles.push_back(std::move(edges_of_cycle));
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
  plan.cycles = std::move(cycles);
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
