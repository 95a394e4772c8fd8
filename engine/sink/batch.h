// The unit the sink writes: a batch of encoded target rows with what was set aside on the way
// (rejects, pending references) and where reading stopped. Built by apply/ (BatchBuilder,
// RowProgram), written by BatchWriter in one transaction.
//
// Thread-safety: plain values; a Batch belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/state/batch_record.h"  // RejectRecord, PendingRef

namespace mapengine {

struct BatchRow {
  std::string legacy_key;
  std::string id;             // for the id map (empty when the target keeps the legacy key itself)
  size_t begin = 0, end = 0;  // the encoded row in Batch::encoded
};

struct Batch {
  std::string encoded;  // COPY text of every candidate row
  // The same rows in COPY's binary format (tuples only, see sink/copy_binary_encoder.h), or
  // empty: the batch is then sent as text.
  std::string binary;
  std::vector<BatchRow> rows;
  std::vector<RejectRecord> rejects;  // set aside before writing (transforms, lookups)
  std::vector<PendingRef> pending;
  std::vector<std::string> last_key;  // key parts of the last row read in this batch
  long rows_read = 0;

  void clear();
};

}  // namespace mapengine
