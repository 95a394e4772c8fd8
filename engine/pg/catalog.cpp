#include "engine/pg/catalog.h"

#include <fmt/format.h>

namespace mapengine::pg {
namespace {

// A PostgreSQL text[] literal of `items`.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

bool is_unique_key(Connection& connection, const QualifiedName& table,
                   const std::vector<std::string>& columns) {
  if (columns.empty()) return false;
  // The key columns of an index are indkey[0 .. indnkeyatts - 1] (INCLUDE columns follow).
  Result found = connection.exec(
      "SELECT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = to_regclass($1) "
      "AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
      "AND NOT EXISTS (SELECT FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k "
      "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k "
      "  WHERE a.attname <> ALL ($2::text[])))",
      {table.quoted(), text_array(columns)});
  return found.value(0, 0) == "t";
}

}  // namespace mapengine::pg
