// BatchedLookup: a lookup too large for the memory budget, answered per batch instead of loaded
// whole. Before a batch is transformed, the distinct legacy values its rows need are fetched from
// the target in one statement (`match = ANY($1)`, which uses the match column's index) into a
// small LookupTable that lives for that batch only.
//
// Results equal those of a fully loaded LookupTable: the server returns candidate rows compared in
// the match column's type, and the caller then looks values up by exact text, as it does in a
// loaded table. A value that is not even valid for the column's type ("abc" for an integer) cannot
// match; the statement refusing it is retried on halves of the value set, so one such value costs
// a few extra statements and never an error.
//
// Thread-safety: immutable after prepare(); fetch() may run concurrently on distinct connections.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/lookup/lookup_table.h"
#include "engine/pg/connection.h"

namespace mapengine {

class BatchedLookup {
 public:
  // Resolves the match column's type on `target`. Throws Error(kDatabase) when the table or
  // column does not exist.
  static BatchedLookup prepare(pg::Connection& target, const LookupTarget& where);

  // Replaces the contents of `into` with the pairs whose legacy value is one of `values`.
  // REQUIRES: `values` holds no duplicates (duplicates only cost work).
  void fetch(pg::Connection& target, const std::vector<std::string_view>& values,
             LookupTable& into) const;

  const LookupTarget& target() const { return target_; }

 private:
  void fetch_range(pg::Connection& target, const std::vector<std::string_view>& values,
                   size_t begin, size_t end, LookupTable& into) const;

  LookupTarget target_;
  std::string sql_;  // $1: text[] of legacy values (plus $2: the mapping, for the id map)
};

// What loading `where` whole would cost in memory, measured on the target without loading it.
struct LookupSize {
  long long entries = 0;
  long long bytes = 0;  // estimated resident bytes of the loaded LookupTable
};
LookupSize estimate_lookup_size(pg::Connection& target, const LookupTarget& where);

}  // namespace mapengine
