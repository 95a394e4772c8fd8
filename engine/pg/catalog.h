// Catalog facts that apply and validate rely on, read from the system catalogs without changing
// anything. `lint --db` proves them before a run; validate checks them again before it joins
// on them.
//
// Thread-safety: pure functions over the connection they are given.
#pragma once

#include <optional>
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

// The type of `table`'s column as format_type() prints it: with its modifier
// ("character varying(20)", for casts that keep it) or without ("character varying", to compare
// type names). Empty when the table has no such column.
enum class TypeModifier { kWith, kWithout };
std::optional<std::string> column_type(Connection& connection, const QualifiedName& table,
                                       const std::string& column, TypeModifier modifier);

}  // namespace mapengine::pg
