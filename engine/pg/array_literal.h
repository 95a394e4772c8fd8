// PostgreSQL's text form of a one-dimensional array, as array_out writes it and COPY delivers it:
// `{a,b,"c d",NULL,""}`. Elements are separated by commas; an element is quoted ("...", with \"
// and \\ escaped) when it is empty, is NULL in any letter case, or holds a brace, comma, quote,
// backslash or white space; an unquoted NULL is SQL NULL; a backslash escapes the next character
// in quoted and unquoted elements alike; white space around an element is ignored.
//
// Not read: more than one dimension (`{{1,2},{3,4}}`), explicit bounds (`[0:1]={a,b}`) and the
// box type's `;` delimiter; parse_array_literal reports them as errors.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mapengine::pg {

using ArrayElements = std::vector<std::optional<std::string>>;  // nullopt: NULL

// Parses `text` into `out` (cleared first). Returns an error message ("...") or nullopt.
std::optional<std::string> parse_array_literal(std::string_view text, ArrayElements& out);

// Appends the array literal of `elements` to `out`, quoting as array_out does, so that
// parse_array_literal (and the server) read back exactly `elements`.
void append_array_literal(std::string& out, const ArrayElements& elements);
// The array literal of `values` (none NULL): a text[] parameter.
std::string text_array_literal(const std::vector<std::string>& values);

}  // namespace mapengine::pg
