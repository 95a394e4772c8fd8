// Catalog facts that apply and validate rely on, read from the system catalogs without changing
// anything. `lint --db` proves them before a run; validate checks them again before it joins
// on them.
//
// Thread-safety: pure functions over the connection they are given.
#pragma once

#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/quote.h"

namespace mapengine::pg {

// Whether a primary key or a unique constraint (or a unique index without predicate or
// expressions) of `table` covers only columns among `columns`, so that no two rows share the
// values of `columns`. False when the table does not exist.
bool is_unique_key(Connection& connection, const QualifiedName& table,
                   const std::vector<std::string>& columns);

}  // namespace mapengine::pg
