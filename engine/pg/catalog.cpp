#include "engine/pg/catalog.h"

#include "engine/pg/array_literal.h"

namespace mapengine::pg {

bool is_unique_key(Connection& connection, const QualifiedName& table,
                   const std::vector<std::string>& columns) {
  if (columns.empty()) return false;
  std::string names;
  append_array_literal(names, ArrayElements(columns.begin(), columns.end()));
  // The key columns of an index are indkey[0 .. indnkeyatts - 1] (INCLUDE columns follow).
  Result found = connection.exec(
      "SELECT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = to_regclass($1) "
      "AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
      "AND NOT EXISTS (SELECT FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k "
      "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k "
      "  WHERE a.attname <> ALL ($2::text[])))",
      {table.quoted(), names});
  return found.value(0, 0) == "t";
}

std::optional<std::string> column_type(Connection& connection, const QualifiedName& table,
                                       const std::string& column, TypeModifier modifier) {
  Result type = connection.exec(
      modifier == TypeModifier::kWith
          ? "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = $1::regclass AND attname = $2 AND attnum > 0 AND NOT attisdropped"
          : "SELECT format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = $1::regclass AND attname = $2 AND attnum > 0 AND NOT attisdropped",
      {table.quoted(), column});
  if (type.rows() != 1) return std::nullopt;
  return std::string(type.value(0, 0));
}

}  // namespace mapengine::pg
