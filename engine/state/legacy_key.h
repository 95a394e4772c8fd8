// The canonical text of a legacy key, used in the id map, the rejects and RowContext:
//  - a single-column key: the column's text as PostgreSQL prints it (e.g. "42");
//  - a composite key: a JSON array of the texts, as PostgreSQL's
//    json_build_array(a::text, b::text)::text prints it: ["1", "x"].
// The same text is produced in SQL by legacy_key_sql(), so views and joins agree with the engine.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/transform/value.h"

namespace mapengine {

// Appends `text` as a JSON string literal, escaped exactly like PostgreSQL's escape_json.
void append_json_string(std::string& out, std::string_view text);

// The canonical key text for the key fields of one row (NULL parts are written as null).
std::string legacy_key_text(std::span<const Value> parts);

// SQL expression producing the canonical key text from already-quoted column expressions.
std::string legacy_key_sql(const std::vector<std::string>& quoted_columns);

// Splits a canonical key text back into its parts (inverse of legacy_key_text for `arity` parts).
std::vector<std::string> legacy_key_parts(std::string_view text, size_t arity);

}  // namespace mapengine
