// The unit the sink writes: a batch of encoded target rows with what was set aside on the way
// (rejects, pending references) and where reading stopped. Built by apply/ (BatchBuilder,
// RowProgram), written by BatchWriter in one transaction.
//
// Thread-safety: plain values; a Batch belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mapengine {

// A row set aside, with everything a person needs to fix it.
struct RejectRecord {
  std::string legacy_key;
  std::string column;  // target column (or empty when the whole row is concerned)
  std::optional<std::string> value;
  std::string rule;  // "transform", "lookup", "constraint", "data", ...
  std::string reason;
};

// A self-reference or deferred lookup waiting for its target row.
struct PendingRef {
  std::string column;
  std::string legacy_key;
  std::string ref;
};

struct BatchRow {
  std::string legacy_key;
  std::string id;             // for the id map (empty when the target keeps the legacy key itself)
  size_t begin = 0, end = 0;  // the encoded row in Batch::encoded
};

struct Batch {
  std::string encoded;  // COPY text of every candidate row
  std::vector<BatchRow> rows;
  std::vector<RejectRecord> rejects;  // set aside before writing (transforms, lookups)
  std::vector<PendingRef> pending;
  std::vector<std::string> last_key;  // key parts of the last row read in this batch
  long rows_read = 0;

  void clear();
};

}  // namespace mapengine
