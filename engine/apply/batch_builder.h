// Turning a block of source rows (COPY text) into a Batch ready for the writer: decode each row,
// run the RowProgram, and sort the results into rows to write, rejects and pending
// self-references. Batched lookups are fetched first, one statement per lookup for the block.
//
// Thread-safety: one BatchBuilder per range worker.
#pragma once

#include <string>
#include <vector>

#include "engine/apply/row_program.h"
#include "engine/pg/connection.h"
#include "engine/sink/batch_writer.h"

namespace mapengine {

// A block of source rows: exactly one batch worth (or fewer, at the end of a range).
struct RowBlock {
  std::string data;
  std::vector<size_t> ends;  // end offset of each row in `data`
  bool last = false;         // no rows follow in this range
};

class BatchBuilder {
 public:
  explicit BatchBuilder(const RowProgram& program) : program_(program) {
    scratch_.batch_tables.resize(program.batched().size());
  }

  // Fills `batch` from `block`. `lookups` answers batched lookups (unused when there are none).
  // Throws Error(kData) on a malformed source row or a lookup with on_missing: fail.
  void build(const RowBlock& block, pg::Connection* lookups, Batch& batch);

 private:
  void decode(std::string_view row);
  void fetch_batched_lookups(const RowBlock& block, pg::Connection& lookups);

  const RowProgram& program_;
  RowScratch scratch_;
  std::vector<Value> fields_;
};

}  // namespace mapengine
