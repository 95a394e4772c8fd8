// TableCatalog: what `mapengine scaffold` needs to know about one table, read from pg_catalog:
// its columns (type, nullability, default, identity), primary key, unique keys, foreign keys and
// the values a column accepts (enum labels, or the literals of a `col IN (...)` CHECK).
//
// The catalog is read once per table; the drafting logic (mapping_draft.h) works on these plain
// values only, so it can be tested without a database.
//
// Thread-safety: read_table / sample_distinct use the given connection (one thread); the structs
// are plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/quote.h"

namespace mapengine::scaffold {

// The families of types scaffold reasons about (casts, lookups, code maps).
enum class TypeFamily {
  kInteger,  // smallint, integer, bigint
  kNumeric,  // numeric / decimal
  kFloat,    // real, double precision
  kText,     // text, varchar, citext, name
  kChar,     // character(n): blank-padded
  kBoolean,
  kDate,
  kTimestamp,    // timestamp without time zone
  kTimestamptz,  // timestamp with time zone
  kUuid,
  kJson,  // json, jsonb
  kEnum,
  kOther,
};

inline bool is_textual(TypeFamily f) { return f == TypeFamily::kText || f == TypeFamily::kChar; }
inline bool is_temporal(TypeFamily f) {
  return f == TypeFamily::kDate || f == TypeFamily::kTimestamp || f == TypeFamily::kTimestamptz;
}
inline bool is_number(TypeFamily f) {
  return f == TypeFamily::kInteger || f == TypeFamily::kNumeric || f == TypeFamily::kFloat;
}

struct ColumnInfo {
  std::string name;
  std::string sql_name;  // as the server quotes it (quote_ident): id, "Order"
  std::string type;      // format_type: "character varying(100)", "numeric(10,2)"
  TypeFamily family = TypeFamily::kOther;
  int length = -1;     // varchar(n) / char(n); -1 when unbounded
  int precision = -1;  // numeric(p, s); -1 when unconstrained
  int scale = -1;
  bool not_null = false;
  std::string default_expr;  // pg_get_expr of the default, empty when none
  bool identity = false;     // GENERATED ... AS IDENTITY
  bool generated = false;    // GENERATED ALWAYS AS (...) STORED: cannot be written
  // Values the column accepts: enum labels, or the literals of a single-column CHECK of the
  // form `col IN ('a', 'b')` / `col = ANY (ARRAY[...])`; empty when unknown.
  std::vector<std::string> accepted;

  // True when the database fills the column when it is left out.
  bool has_default() const { return !default_expr.empty() || identity || generated; }
};

struct ForeignKey {
  std::string name;                  // constraint name
  std::vector<std::string> columns;  // local columns, in key order
  pg::QualifiedName references;      // the referenced table
  std::vector<std::string> referenced_columns;
};

struct TableInfo {
  pg::QualifiedName table;
  std::string sql_name;  // quote_ident(schema).quote_ident(name); schema left out for public
  std::vector<ColumnInfo> columns;                    // in attnum order
  std::vector<std::string> primary_key;               // in key order; empty when none
  std::vector<std::vector<std::string>> unique_keys;  // UNIQUE constraints/indexes (plain columns)
  std::vector<ForeignKey> foreign_keys;               // ordered by constraint name

  const ColumnInfo* find(std::string_view column) const;
  // The single-column foreign key on `column`, or nullptr.
  const ForeignKey* foreign_key_on(std::string_view column) const;
  // True when `columns` (any order) are exactly the columns of the primary key or a unique key.
  bool is_unique(const std::vector<std::string>& columns) const;
};

// Reads `table` from the catalog of `connection`. nullopt when no table, view or foreign table
// has that name. Throws Error(kDatabase/kConnection) when a catalog query fails.
std::optional<TableInfo> read_table(pg::Connection& connection, const pg::QualifiedName& table);

// The distinct non-NULL values of `column` (as text, sorted), at most `limit`; `more` is set
// when there are further values. Runs in a read-only transaction with a statement timeout.
struct DistinctValues {
  std::vector<std::string> values;
  bool more = false;
};
DistinctValues sample_distinct(pg::Connection& connection, const TableInfo& table,
                               const ColumnInfo& column, int limit);

// Classification helpers (exposed for tests).
TypeFamily type_family(std::string_view type_name, bool is_enum);
std::string_view to_string(TypeFamily family);
// The quoted literals of a CHECK definition listing accepted values, e.g.
// "CHECK ((status = ANY (ARRAY['a'::text, 'b'::text])))" -> {a, b}; empty for other shapes.
std::vector<std::string> check_literals(std::string_view definition);

}  // namespace mapengine::scaffold
