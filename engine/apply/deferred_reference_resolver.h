// Filling of deferred lookups (`lookup: { ..., deferred: true }`), the way a foreign-key cycle
// between tables is broken. Apply writes such a column NULL and parks the legacy reference in
// mapengine.pending_refs in the row's batch transaction, as for self-references; the lookup adds
// no dependency, so the looked-up mapping may run later. Once it is complete (a migrated table
// always is), one set-based UPDATE per column fills the column from the parked references and
// deletes them, in one transaction: a crash leaves all of a column's references parked or none,
// and the next apply fills them. References that find no row follow on_missing: null leaves
// NULL (counted), fail stops with examples.
//
// REQUIRES: `mapping` is complete on the target (every row written).
// Thread-safety: uses one connection; one thread.
#pragma once

#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

struct DeferredOutcome {
  long long filled = 0;
  long long unresolved = 0;              // found no row; left NULL under on_missing: null
  long long waiting = 0;                 // parked for mappings that are not complete yet
  std::vector<std::string> waiting_for;  // those mappings
};

// Whether `mapping` has a deferred lookup (other than into its own table).
bool has_deferred_lookups(const spec::MappingSpec& mapping);

// Fills the deferred columns of `mapping` whose looked-up mapping is complete; counts the rest.
// Throws Error(kData) for a reference that finds no row under on_missing: fail.
DeferredOutcome fill_deferred_references(pg::Connection& target, const spec::MappingSpec& mapping,
                                         const spec::Project& project);

}  // namespace mapengine
