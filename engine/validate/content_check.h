// The content check: for every row a mapping wrote, the values the mapping produces from the
// source today equal what the target holds.
//
// Both sides are streamed once, sorted the same way (the canonical legacy key text, COLLATE
// "C", a byte order the client shares), and merged by key with flat memory:
//
//   source  COPY (SELECT * FROM (<query>) q ORDER BY <key text> COLLATE "C")
//           -> the mapping's RowProgram (lookups loaded as apply loads them) -> expected row
//   target  COPY (SELECT <key text>, <mapped columns> FROM <table> t ORDER BY <key text> ...)
//           (a mapping without target.legacy_key is joined to mapengine.id_map on its id)
//   rejects COPY (SELECT DISTINCT legacy keys of mapengine.rejects ... ORDER BY ...)
//
// Every `chunk_rows` keys, a SHA-256 of the expected rows and one of the target rows are
// compared; a chunk whose digests differ is examined row by row and value by value, values
// that differ as text being normalised through the target's type (value_normalizer.h) before
// they count as different. Rejected keys are left out; missing rows, extra rows (keys the source
// no longer produces, rejected keys present anyway, duplicates) and changed values are named.
//
// Columns that cannot be recomputed are handled explicitly: random UUIDs (generate: uuid) are
// checked for presence; self-references are compared through the target's own join (the legacy
// value of the row they point at); upsert's id column is not compared (an upsert keeps the id
// of a row that existed before). A deferred lookup is compared like any lookup (its value as
// resolved now): a column apply has not filled yet is a changed value, never excused.
//
// Thread-safety: check_content() may run concurrently for different mappings.
#pragma once

#include <atomic>
#include <string>

#include "engine/spec/mapping_spec.h"
#include "engine/validate/validation_result.h"

namespace mapengine::validate {

struct ContentOptions {
  long chunk_rows = 10000;          // keys per compared chunk
  size_t max_examples = 10;         // differences named per kind (missing, extra, changed)
  long long tolerated_changes = 0;  // skip_existing: rows kept as found (changed values allowed)
  const std::atomic<bool>* interrupted = nullptr;
};

// The figures the counts check builds on.
struct ContentFigures {
  long long source_rows = 0;  // rows the source query produces now
  long long target_rows = 0;  // target rows carrying a legacy key of this mapping
  long long compared = 0;     // rows on both sides, compared value by value
  long long rejected = 0;     // source rows with a recorded reject and no target row
  long long missing = 0;
  long long extra = 0;
  long long changed = 0;
  long long stale_rejects = 0;  // recorded rejects of keys the source no longer produces
  long long chunks = 0;
  long long chunks_differing = 0;
};

struct ContentOutcome {
  CheckResult check;
  ContentFigures figures;
};

// Runs the content check of `mapping`. Throws Error for what prevents the check (unreachable
// database, a source query or target table that does not exist, an interruption).
ContentOutcome check_content(const spec::MappingSpec& mapping, const spec::Project& project,
                             const std::string& source_url, const std::string& target_url,
                             const ContentOptions& options);

}  // namespace mapengine::validate
