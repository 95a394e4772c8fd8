// Dependency planning: orders mappings so that every mapping runs after the mappings it depends
// on (explicit `depends_on`, plus the producers of the tables its lookups read). Self-references
// and deferred lookups (`deferred: true`, filled after the looked-up mapping has run) are not
// dependencies. Migrated tables are satisfied from the start.
//
// Thread-safety: pure functions over an immutable Project.
#pragma once

#include <string>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::plan {

struct PlannedMapping {
  const spec::MappingSpec* mapping = nullptr;
  std::vector<std::string> depends_on;  // names of the mappings it waits for (resolved)
  int level = 0;                        // 0 = no dependency among the mappings to run
};

// One edge of a dependency cycle: `from` waits for `to` because of these lookup columns of `from`
// (each could be deferred) and/or a `depends_on` entry (which only dropping it removes).
struct CycleEdge {
  const spec::MappingSpec* from = nullptr;
  std::string to;
  std::vector<std::string> lookup_columns;
  bool depends_on = false;
};

struct Plan {
  std::vector<PlannedMapping> steps;  // in a valid execution order (stable by level, then name)
  std::vector<std::vector<CycleEdge>> cycles;  // each cycle found, edge by edge
};

// The mapping names (not migrated tables) that `mapping` depends on, resolved in `project`.
// Unresolvable names are skipped here (semantic rules report them).
std::vector<std::string> dependencies_of(const spec::MappingSpec& mapping,
                                         const spec::Project& project);

// Orders project.mappings (context mappings are assumed already applied or applied separately).
// A dependency cycle is reported as a `dependency-cycle` error naming the cycle.
Plan make_plan(const spec::Project& project, Diagnostics& diagnostics);

}  // namespace mapengine::plan
