// SQL identifier quoting, the one place identifiers from mapping files become SQL text.
//
// Connections always run with client_encoding=UTF8, for which libpq's PQescapeIdentifier is
// exactly: wrap in double quotes, double every embedded double quote. This pure version lets SQL
// be composed (and shown by `explain`) without a connection. Values never go through here: they
// travel as parameters or COPY data, or through Connection::quote_literal.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace mapengine::pg {

// "name" with embedded quotes doubled. Throws Error(kSpec) on a NUL byte or an empty name.
std::string quote_identifier(std::string_view name);

// A possibly schema-qualified table name as written in a mapping ("public.t", "t", "\"My.T\"").
struct QualifiedName {
  std::string schema;  // "public" when not written
  std::string name;

  std::string quoted() const;   // "schema"."name"
  std::string display() const;  // schema.name, unquoted, for messages
  bool operator==(const QualifiedName&) const = default;
};

// Parses `text`; a part in double quotes keeps dots and case. Unquoted parts are taken verbatim
// (mapengine does not fold case: write names as they are in the catalog).
QualifiedName parse_qualified_name(std::string_view text);

}  // namespace mapengine::pg
