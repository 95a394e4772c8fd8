// RejectRetry: `apply --retry-rejects` for one mapping: reads again, through the mapping's own
// source query, exactly the source rows whose legacy keys the mapping rejected, runs them through
// the same row program (transforms, lookups) and writes them with BatchWriter::write_retry:
// rows that now pass are written and their rejects deleted in the same transaction; rows that
// fail again keep one reject, the new one. Keys no longer in the source keep their rejects.
//
// REQUIRES: the caller claimed the mapping (lease) with ClaimOptions::retry_rejects.
// Thread-safety: one call per mapping; it uses its own connections.
#pragma once

#include "engine/apply/apply_options.h"
#include "engine/apply/run_context.h"
#include "engine/apply/row_program.h"
#include "engine/pg/connection.h"

namespace mapengine {

struct RetryOutcome {
  long long keys = 0;     // distinct keys rejected before
  long long missing = 0;  // of those, keys the source no longer has
};

// Re-processes the rejected rows; adds to `progress` (read, written, rejected).
RetryOutcome retry_rejected_rows(const RowProgram& program, pg::Connection& target,
                                 pg::Connection& source, const ApplyOptions& options,
                                 const RunContext& run, MappingProgress& progress);

}  // namespace mapengine
