// The canonical text of a legacy key, used in the id map, the rejects and RowContext:
//  - a single-column key: the column's text as PostgreSQL prints it (e.g. "42");
//  - a composite key: a JSON array of the texts, as PostgreSQL's
//    json_build_array(a::text, b::text)::text prints it: ["1", "x"].
// The same text is produced in SQL by legacy_key_sql(), so views and joins agree with the engine.
// Key parts stored as jsonb (the checkpoints' last, lower and upper keys) are a JSON array of the
// texts written by the same codec, key_parts_json().
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/value.h"

namespace mapengine {

// Appends `text` as a JSON string literal, escaped exactly like PostgreSQL's escape_json.
void append_json_string(std::string& out, std::string_view text);

// The canonical key text for the key fields of one row (NULL parts are written as null).
std::string legacy_key_text(std::span<const Value> parts);

// SQL expression producing the canonical key text from already-quoted column expressions.
std::string legacy_key_sql(const std::vector<std::string>& quoted_columns);

// Splits a canonical key text back into its parts (inverse of legacy_key_text for `arity` parts).
std::vector<std::string> legacy_key_parts(std::string_view text, size_t arity);

// Key parts as a JSON array of strings: ["1","x"].
std::string key_parts_json(std::span<const std::string> parts);
// The inverse: nullopt for text that is not a JSON array; an item that is not a string reads "".
std::optional<std::vector<std::string>> key_parts_from_json(std::string_view json);

}  // namespace mapengine
