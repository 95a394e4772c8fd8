#include "engine/validate/target_table.h"

#include <fmt/format.h>

#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/state/legacy_key.h"

namespace mapengine::validate {

TargetTable TargetTable::load(pg::Connection& target, const pg::QualifiedName& table) {
  TargetTable out;
  out.name_ = table;
  pg::Result exists = target.exec("SELECT to_regclass($1) IS NOT NULL", {table.quoted()});
  if (exists.value(0, 0) != "t") {
    throw Error(ErrorKind::kSpec, fmt::format("target: table {} does not exist", table.display()));
  }
  pg::Result columns = target.exec(
      "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
      "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
      {table.quoted()});
  for (int r = 0; r < columns.rows(); ++r) {
    out.types_.emplace(std::string(columns.value(r, 0)), std::string(columns.value(r, 1)));
  }
  return out;
}

const std::string& TargetTable::type_of(const std::string& column) const {
  auto it = types_.find(column);
  if (it == types_.end()) {
    throw Error(ErrorKind::kSpec,
                fmt::format("target: column {} does not exist in {}", column, name_.display()));
  }
  return it->second;
}

CheckTransaction::CheckTransaction(pg::Connection& target)
    : transaction_(target,
                   "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                   "SET LOCAL work_mem = '64MB'; SET LOCAL statement_timeout = 0") {}

std::string id_expr(const spec::MappingSpec& mapping) {
  std::vector<std::string> quoted;
  for (const auto& column : mapping.id_columns) quoted.push_back("t." + pg::quote_identifier(column));
  return legacy_key_sql(quoted);
}

bool has_id_columns(const spec::MappingSpec& mapping, const TargetTable& table) {
  for (const auto& column : mapping.id_columns) {
    if (!table.has(column)) return false;
  }
  return true;
}

std::string legacy_key_expr(const spec::MappingSpec& mapping, const TargetTable& table,
                            const pg::Connection& quoting) {
  if (!mapping.legacy_key_columns.empty()) {
    std::vector<std::string> quoted;
    for (const auto& column : mapping.legacy_key_columns) {
      quoted.push_back("t." + pg::quote_identifier(column));
    }
    return fmt::format("CASE WHEN {} IS NULL THEN NULL ELSE {} END", quoted[0],
                       legacy_key_sql(quoted));
  }
  if (!has_id_columns(mapping, table)) return "NULL::text";
  return fmt::format(
      "(SELECT m.legacy_key FROM mapengine.id_map m WHERE m.mapping = {} AND m.new_id = {} "
      "LIMIT 1)",
      quoting.quote_literal(mapping.name), id_expr(mapping));
}

std::string row_label_expr(const spec::MappingSpec& mapping, const TargetTable& table,
                           const pg::Connection& quoting) {
  std::string id = has_id_columns(mapping, table)
                       ? fmt::format("'{} ' || {}", mapping.is_association() ? "key" : "id",
                                     id_expr(mapping))
                       : std::string("NULL");
  return fmt::format("COALESCE('legacy key ' || {}, {}, 'a row without legacy key or id')",
                     legacy_key_expr(mapping, table, quoting), id);
}

}  // namespace mapengine::validate
