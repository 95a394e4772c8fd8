#include "engine/scaffold/table_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "engine/common/error.h"
#include "engine/pg/transaction.h"

namespace mapengine::scaffold {
namespace {

// Columns with their types resolved through domains (a domain over varchar(10) reads as
// varchar(10)); typmod decoding follows PostgreSQL's varchar and numeric layouts.
constexpr const char* kColumnsSql = R"(
SELECT a.attname,
       quote_ident(a.attname),
       format_type(a.atttypid, a.atttypmod),
       COALESCE(bt.typname, t.typname),
       CASE WHEN bt.oid IS NOT NULL THEN t.typtypmod ELSE a.atttypmod END,
       a.attnotnull OR COALESCE(t.typnotnull, false),
       COALESCE(pg_get_expr(d.adbin, d.adrelid), ''),
       a.attidentity <> '',
       a.attgenerated <> '',
       COALESCE(bt.typtype, t.typtype) = 'e',
       COALESCE(bt.oid, t.oid)
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum)";

constexpr const char* kKeysSql = R"(
SELECT i.indisprimary, ic.relname, k.ord, a.attname
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
ORDER BY i.indisprimary DESC, ic.relname, k.ord)";

constexpr const char* kForeignKeysSql = R"(
SELECT c.conname, fn.nspname, fc.relname, k.ord, la.attname, ra.attname
FROM pg_constraint c
JOIN pg_class fc ON fc.oid = c.confrelid
JOIN pg_namespace fn ON fn.oid = fc.relnamespace
JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(local_attnum, remote_attnum, ord) ON true
JOIN pg_attribute la ON la.attrelid = c.conrelid AND la.attnum = k.local_attnum
JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.remote_attnum
WHERE c.conrelid = $1::oid AND c.contype = 'f'
ORDER BY c.conname, k.ord)";

constexpr const char* kChecksSql = R"(
SELECT a.attname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.conrelid = $1::oid AND c.contype = 'c' AND cardinality(c.conkey) = 1
ORDER BY c.conname)";

bool truth(std::string_view text) { return text == "t"; }

}  // namespace

const ColumnInfo* TableInfo::find(std::string_view column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

const ForeignKey* TableInfo::foreign_key_on(std::string_view column) const {
  for (const auto& fk : foreign_keys) {
    if (fk.columns.size() == 1 && fk.columns[0] == column) return &fk;
  }
  return nullptr;
}

bool TableInfo::is_unique(const std::vector<std::string>& wanted) const {
  auto same = [&](std::vector<std::string> key) {
    std::vector<std::string> w = wanted;
    std::sort(key.begin(), key.end());
    std::sort(w.begin(), w.end());
    return key == w;
  };
  if (!primary_key.empty() && same(primary_key)) return true;
  return std::any_of(unique_keys.begin(), unique_keys.end(), same);
}

TypeFamily type_family(std::string_view type_name, bool is_enum) {
  if (is_enum) return TypeFamily::kEnum;
  static const std::map<std::string_view, TypeFamily> kFamilies = {
      {"int2", TypeFamily::kInteger},
      {"int4", TypeFamily::kInteger},
      {"int8", TypeFamily::kInteger},
      {"numeric", TypeFamily::kNumeric},
      {"float4", TypeFamily::kFloat},
      {"float8", TypeFamily::kFloat},
      {"text", TypeFamily::kText},
      {"varchar", TypeFamily::kText},
      {"citext", TypeFamily::kText},
      {"name", TypeFamily::kText},
      {"bpchar", TypeFamily::kChar},
      {"bool", TypeFamily::kBoolean},
      {"date", TypeFamily::kDate},
      {"timestamp", TypeFamily::kTimestamp},
      {"timestamptz", TypeFamily::kTimestamptz},
      {"uuid", TypeFamily::kUuid},
      {"json", TypeFamily::kJson},
      {"jsonb", TypeFamily::kJson},
  };
  auto it = kFamilies.find(type_name);
  return it == kFamilies.end() ? TypeFamily::kOther : it->second;
}

std::string_view to_string(TypeFamily family) {
  switch (family) {
    case TypeFamily::kInteger:
      return "integer";
    case TypeFamily::kNumeric:
      return "numeric";
    case TypeFamily::kFloat:
      return "float";
    case TypeFamily::kText:
      return "text";
    case TypeFamily::kChar:
      return "char";
    case TypeFamily::kBoolean:
      return "boolean";
    case TypeFamily::kDate:
      return "date";
    case TypeFamily::kTimestamp:
      return "timestamp";
    case TypeFamily::kTimestamptz:
      return "timestamptz";
    case TypeFamily::kUuid:
      return "uuid";
    case TypeFamily::kJson:
      return "json";
    case TypeFamily::kEnum:
      return "enum";
    case TypeFamily::kOther:
      return "other";
  }
  return "other";
}

std::vector<std::string> check_literals(std::string_view definition) {
  // Only the shapes PostgreSQL prints for `col IN (...)`: anything else (ranges, functions,
  // several columns) says nothing about a list of accepted values.
  if (definition.find("= ANY (ARRAY[") == std::string_view::npos &&
      definition.find(" IN (") == std::string_view::npos) {
    return {};
  }
  std::vector<std::string> out;
  size_t i = 0;
  while (i < definition.size()) {
    if (definition[i] != '\'') {
      ++i;
      continue;
    }
    std::string literal;
    ++i;
    while (i < definition.size()) {
      if (definition[i] == '\'') {
        if (i + 1 < definition.size() && definition[i + 1] == '\'') {
          literal += '\'';
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      literal += definition[i++];
    }
    out.push_back(std::move(literal));
  }
  return out;
}

std::optional<TableInfo> read_table(pg::Connection& connection, const pg::QualifiedName& table) {
  pg::Result found = connection.exec(
      "SELECT c.oid, quote_ident(n.nspname), quote_ident(c.relname) FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
      {table.schema, table.name});
  if (found.rows() == 0) return std::nullopt;
  const std::string oid(found.value(0, 0));
  TableInfo info;
  info.table = table;
  info.sql_name = table.schema == "public"
                      ? std::string(found.value(0, 2))
                      : fmt::format("{}.{}", found.value(0, 1), found.value(0, 2));

  std::map<std::string, std::string> enum_types;  // column -> enum type oid
  pg::Result columns = connection.exec(kColumnsSql, {oid});
  for (int r = 0; r < columns.rows(); ++r) {
    ColumnInfo c;
    c.name = columns.value(r, 0);
    c.sql_name = columns.value(r, 1);
    c.type = columns.value(r, 2);
    const std::string type_name(columns.value(r, 3));
    const int typmod = std::stoi(std::string(columns.value(r, 4)));
    const bool is_enum = truth(columns.value(r, 9));
    c.family = type_family(type_name, is_enum);
    if ((type_name == "varchar" || type_name == "bpchar") && typmod >= 4) c.length = typmod - 4;
    if (type_name == "numeric" && typmod >= 4) {
      c.precision = ((typmod - 4) >> 16) & 0xffff;
      c.scale = (typmod - 4) & 0xffff;
    }
    c.not_null = truth(columns.value(r, 5));
    c.default_expr = columns.value(r, 6);
    c.identity = truth(columns.value(r, 7));
    c.generated = truth(columns.value(r, 8));
    if (is_enum) enum_types[c.name] = columns.value(r, 10);
    info.columns.push_back(std::move(c));
  }

  for (auto& c : info.columns) {
    auto it = enum_types.find(c.name);
    if (it == enum_types.end()) continue;
    pg::Result labels = connection.exec(
        "SELECT enumlabel FROM pg_enum WHERE enumtypid = $1::oid ORDER BY enumsortorder",
        {it->second});
    for (int r = 0; r < labels.rows(); ++r) c.accepted.emplace_back(labels.value(r, 0));
  }
  pg::Result checks = connection.exec(kChecksSql, {oid});
  for (int r = 0; r < checks.rows(); ++r) {
    ColumnInfo* c = nullptr;
    for (auto& column : info.columns) {
      if (column.name == checks.value(r, 0)) c = &column;
    }
    if (c != nullptr && c->accepted.empty()) c->accepted = check_literals(checks.value(r, 1));
  }

  pg::Result keys = connection.exec(kKeysSql, {oid});
  std::string current;
  for (int r = 0; r < keys.rows(); ++r) {
    const bool primary = truth(keys.value(r, 0));
    const std::string index(keys.value(r, 1));
    std::string column(keys.value(r, 3));
    if (primary) {
      info.primary_key.push_back(std::move(column));
      continue;
    }
    if (index != current) {
      info.unique_keys.emplace_back();
      current = index;
    }
    info.unique_keys.back().push_back(std::move(column));
  }

  pg::Result fks = connection.exec(kForeignKeysSql, {oid});
  for (int r = 0; r < fks.rows(); ++r) {
    const std::string name(fks.value(r, 0));
    if (info.foreign_keys.empty() || info.foreign_keys.back().name != name) {
      ForeignKey fk;
      fk.name = name;
      fk.references = {std::string(fks.value(r, 1)), std::string(fks.value(r, 2))};
      info.foreign_keys.push_back(std::move(fk));
    }
    info.foreign_keys.back().columns.emplace_back(fks.value(r, 4));
    info.foreign_keys.back().referenced_columns.emplace_back(fks.value(r, 5));
  }
  return info;
}

DistinctValues sample_distinct(pg::Connection& connection, const TableInfo& table,
                               const ColumnInfo& column, int limit) {
  DistinctValues out;
  pg::Transaction tx(connection, "SET TRANSACTION READ ONLY");
  connection.exec("SET LOCAL statement_timeout = '60s'");
  pg::Result result = connection.exec(
      fmt::format("SELECT DISTINCT {0}::text FROM {1} WHERE {0} IS NOT NULL ORDER BY 1 LIMIT {2}",
                  column.sql_name, table.sql_name, limit + 1));
  for (int r = 0; r < result.rows(); ++r) {
    if (r == limit) {
      out.more = true;
      break;
    }
    out.values.emplace_back(result.value(r, 0));
  }
  tx.commit();
  return out;
}

}  // namespace mapengine::scaffold
