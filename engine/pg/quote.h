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

// Parses `text` as PostgreSQL resolves a name: unquoted parts fold to lower case (ASCII letters,
// as the server does under UTF-8), so `PUBLIC.Stores` is public.stores; a part in double quotes
// keeps dots and case (`"Stores"`).
QualifiedName parse_qualified_name(std::string_view text);

// Whether `written` (a name in a mapping file: "stores", "PUBLIC.STORES", "\"Odd\".t") names
// `table`, each part resolved as parse_qualified_name does. A name without schema matches the
// table in any schema.
bool names_table(std::string_view written, const QualifiedName& table);

// One identifier part as a mapping file writes it so that parse_qualified_name gives it back:
// as is, or double-quoted when it holds a dot, a quote or an upper-case letter ("Stores").
std::string written_name_part(std::string_view part);

}  // namespace mapengine::pg
