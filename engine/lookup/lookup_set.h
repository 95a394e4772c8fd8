// LookupSet: the lookups one mapping needs, each either loaded whole into memory or, when the
// loaded tables would exceed the memory budget, answered batch by batch (BatchedLookup).
//
// Thread-safety: immutable once built; shared by the mapping's range workers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/lookup/batched_lookup.h"
#include "engine/lookup/lookup_table.h"
#include "engine/pg/connection.h"

namespace mapengine {

struct LookupSet {
  std::map<std::string, LookupTable> tables;     // by LookupTarget::select_sql(): loaded whole
  std::map<std::string, BatchedLookup> batched;  // by LookupTarget::select_sql(): per batch
};

// Measures every target, then loads the smallest ones whole while their estimated total stays
// within `budget_bytes`; the rest are batched. Logs the decision for each lookup of `mapping`.
LookupSet load_lookups(pg::Connection& target, const std::vector<LookupTarget>& targets,
                       long long budget_bytes, const std::string& mapping);

}  // namespace mapengine
