// Resolution of self-references (a row pointing at another row of the same table): rows are
// written with NULL in such columns and the legacy reference is parked in
// mapengine.pending_refs in the same batch transaction; once every range of the mapping is
// written, one set-based UPDATE per column fills them in. References that find no row follow the
// column's on_missing policy: null leaves NULL (counted), fail stops with examples.
//
// Resume-safe: pending rows are committed with their batch, and resolution is idempotent.
#pragma once

#include <string>

#include "engine/apply/row_program.h"
#include "engine/pg/connection.h"

namespace mapengine {

struct SelfReferenceOutcome {
  long long resolved = 0;
  long long unresolved = 0;  // left NULL under on_missing: null
};

SelfReferenceOutcome resolve_self_references(pg::Connection& target, const RowProgram& program);

// The SQL type of a target column (format_type), for casting the texts parked in pending_refs.
// Throws Error(kSpec) when the column does not exist.
std::string target_column_type(pg::Connection& target, const pg::QualifiedName& table,
                               const std::string& column);

}  // namespace mapengine
