#include "engine/lint/database_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "engine/common/closest_name.h"
#include "engine/common/error.h"
#include "engine/pg/catalog.h"
#include "engine/pg/result.h"
#include "engine/pg/transaction.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/mark_column.h"
#include "engine/spec/schema_validator.h"

namespace mapengine::lint {

using spec::ColumnSpec;
using spec::LookupSpec;
using spec::MappingSpec;
using spec::MigratedTable;
using spec::Project;
namespace {

const SourceLocation& spot_or(const MappingSpec& mapping, const std::string& path,
                              const SourceLocation& fallback) {
  auto it = mapping.spots.find(path);
  return it == mapping.spots.end() ? fallback : it->second;
}

std::string hint(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = closest_name(word, candidates);
  return best.empty() ? std::string() : fmt::format("; did you mean `{}`?", best);
}

std::string error_field(const pg::Result& result, int code) {
  const char* value = result.get() ? PQresultErrorField(result.get(), code) : nullptr;
  return value ? value : "";
}

struct Described {
  std::vector<std::string> columns;
  std::vector<std::pair<Oid, int>> types;  // type oid and modifier of each column
  std::string error;  // the server's message when the query does not compile
};

// Describes `query` as the engine will wrap it, without running it.
Described describe_query(pg::Connection& source, const std::string& query) {
  Described out;
  std::string sql = "SELECT * FROM (\n" + query + "\n) q";
  // Never committed: describing keeps nothing.
  pg::Transaction tx(source, "SET TRANSACTION READ ONLY");
  pg::Result prepared(PQprepare(source.raw(), "", sql.c_str(), 0, nullptr));
  if (!source.is_ok()) pg::throw_error(source.raw(), prepared.get(), source.role(), "describe");
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    out.error = error_field(prepared, PG_DIAG_MESSAGE_PRIMARY);
    if (out.error.empty()) out.error = PQerrorMessage(source.raw());
    std::string detail = error_field(prepared, PG_DIAG_MESSAGE_HINT);
    if (!detail.empty()) out.error += fmt::format(" (HINT: {})", detail);
    std::string trimmed = query;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
      trimmed.pop_back();
    }
    if (!trimmed.empty() && trimmed.back() == ';') out.error += " (remove the trailing semicolon)";
    return out;
  }
  pg::Result described(PQdescribePrepared(source.raw(), ""));
  if (PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
    pg::throw_error(source.raw(), described.get(), source.role(), "describe");
  }
  for (int i = 0; i < described.columns(); ++i) {
    out.columns.push_back(described.column_name(i));
    out.types.emplace_back(PQftype(described.get(), i), PQfmod(described.get(), i));
  }
  return out;
}

struct TargetColumn {
  std::string name;
  bool not_null = false;
  bool has_default = false;  // a default, an identity, or generated
  bool generated = false;    // GENERATED ALWAYS AS (...) STORED: cannot be written
};

// The columns of target tables, read once per table.
class TargetCatalog {
 public:
  explicit TargetCatalog(pg::Connection& target) : target_(target) {}

  // nullptr when the table does not exist.
  const std::vector<TargetColumn>* columns(const pg::QualifiedName& table) {
    std::string key = table.quoted();
    if (auto it = cache_.find(key); it != cache_.end()) {
      return it->second ? &*it->second : nullptr;
    }
    auto& slot = cache_[key];
    pg::Result exists = target_.exec("SELECT to_regclass($1) IS NOT NULL", {key});
    if (exists.rows() == 0 || exists.value(0, 0) != "t") return nullptr;
    pg::Result rows = target_.exec(
        "SELECT a.attname, a.attnotnull, a.atthasdef OR a.attidentity <> '', "
        "       a.attgenerated <> '' "
        "FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        {key});
    std::vector<TargetColumn> columns;
    for (int i = 0; i < rows.rows(); ++i) {
      columns.push_back({std::string(rows.value(i, 0)), rows.value(i, 1) == "t",
                         rows.value(i, 2) == "t" || rows.value(i, 3) == "t",
                         rows.value(i, 3) == "t"});
    }
    slot = std::move(columns);
    return &*slot;
  }

  // Tables and views of `schema`, for suggestions.
  std::vector<std::string> tables_in(const std::string& schema) {
    pg::Result rows = target_.exec(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1",
        {schema});
    std::vector<std::string> names;
    for (int i = 0; i < rows.rows(); ++i) names.emplace_back(rows.value(i, 0));
    return names;
  }

 private:
  pg::Connection& target_;
  std::map<std::string, std::optional<std::vector<TargetColumn>>> cache_;
};

const TargetColumn* find(const std::vector<TargetColumn>& columns, const std::string& name) {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<TargetColumn>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(c.name);
  return names;
}

void missing_table(TargetCatalog& catalog, const pg::QualifiedName& table,
                   const SourceLocation& where, std::string_view what, Diagnostics& diagnostics) {
  diagnostics.error(
      where, "db-target-table",
      fmt::format("{} {} does not exist on the target database{}", what, table.display(),
                  hint(table.name, catalog.tables_in(table.schema))));
}

// Reports the names of `wanted` (spot paths `path[i]`) missing from `columns`.
void require_columns(const MappingSpec& mapping, const std::vector<std::string>& wanted,
                     const std::string& path, const std::vector<TargetColumn>& columns,
                     std::string_view what, Diagnostics& diagnostics) {
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (find(columns, wanted[i]) != nullptr) continue;
    diagnostics.error(spot_or(mapping, fmt::format("{}[{}]", path, i), mapping.at(path)),
                      "db-target-column",
                      fmt::format("{} `{}` is not a column of {}{}", what, wanted[i],
                                  mapping.table.display(), hint(wanted[i], names_of(columns))));
  }
}

struct LookedUp {
  pg::QualifiedName table;
  std::string match, returns;  // empty when not known
};

// The table, match and return columns of a lookup by `table:`; nullopt for a lookup through an
// id map (`mapping:`) or into an unknown table (reported offline).
std::optional<LookedUp> looked_up(const MappingSpec& mapping, const LookupSpec& lookup,
                                  const Project& project) {
  if (lookup.table.empty()) return std::nullopt;
  LookedUp out;
  out.match = lookup.match;
  out.returns = lookup.returns;
  bool self = lookup.table == mapping.name || pg::names_table(lookup.table, mapping.table);
  const MappingSpec* producer = self ? &mapping : project.find_mapping(lookup.table);
  if (producer != nullptr) {
    out.table = producer->table;
    if (out.match.empty() && producer->legacy_key_columns.size() == 1) {
      out.match = producer->legacy_key_columns[0];
    }
    if (out.returns.empty()) out.returns = producer->single_id_column();
  } else if (const MigratedTable* migrated = project.find_migrated(lookup.table)) {
    out.table = migrated->table;
    if (out.match.empty() && migrated->legacy_key_columns.size() == 1) {
      out.match = migrated->legacy_key_columns[0];
    }
    if (out.returns.empty()) out.returns = migrated->id_column;
  } else {
    return std::nullopt;
  }
  return out;
}

void check_lookup_columns(const MappingSpec& mapping, const ColumnSpec& column,
                          const Project& project, TargetCatalog& catalog,
                          Diagnostics& diagnostics) {
  const LookupSpec& lookup = *column.lookup;
  const std::string prefix = "columns." + column.name + ".lookup";
  std::optional<LookedUp> found = looked_up(mapping, lookup, project);
  if (!found) return;
  const pg::QualifiedName& table = found->table;
  const std::string& match = found->match;
  const std::string& returns = found->returns;
  const auto* columns = catalog.columns(table);
  if (columns == nullptr) {
    missing_table(catalog, table, spot_or(mapping, prefix + ".table", lookup.where),
                  fmt::format("column `{}` looks up table", column.name), diagnostics);
    return;
  }
  for (const auto& [field, name] : {std::pair{"match", match}, std::pair{"return", returns}}) {
    if (name.empty() || find(*columns, name) != nullptr) continue;
    diagnostics.error(
        spot_or(mapping, prefix + "." + field, lookup.where), "db-lookup-column",
        fmt::format("column `{}`: lookup {} column `{}` is not a column of {}{}", column.name,
                    field, name, table.display(), hint(name, names_of(*columns))));
  }
}

// A deferred lookup writes NULL first, so its column must be nullable; a dependency cycle can
// only be broken at a nullable lookup column.
void check_deferred_nullability(const Project& project, TargetCatalog& catalog,
                                Diagnostics& diagnostics) {
  auto not_null = [&](const MappingSpec& mapping,
                      const std::string& column) -> std::optional<bool> {
    const auto* columns = catalog.columns(mapping.table);
    const TargetColumn* found = columns != nullptr ? find(*columns, column) : nullptr;
    if (found == nullptr) return std::nullopt;  // reported by db-target-table/-column
    return found->not_null;
  };
  for (const auto& mapping : project.mappings) {
    for (const auto& column : mapping.columns) {
      if (!column.lookup || !column.lookup->deferred) continue;
      if (not_null(mapping, column.name).value_or(false)) {
        diagnostics.error(
            spot_or(mapping, "columns." + column.name + ".lookup.deferred", column.lookup->where),
            "db-deferred-not-null",
            fmt::format("column `{}` is NOT NULL in {}, but a deferred lookup writes the row with "
                        "NULL there first; defer a nullable lookup of the cycle instead, or drop "
                        "NOT NULL for the migration",
                        column.name, mapping.table.display()));
      }
    }
  }
  Diagnostics reported_offline;
  plan::Plan plan = plan::make_plan(project, reported_offline);
  for (const auto& cycle : plan.cycles) {
    std::vector<std::string> columns;
    bool any_nullable = false;
    bool all_known = true;
    const plan::CycleEdge* report_at = nullptr;
    for (const auto& edge : cycle) {
      bool linted = false;
      for (const auto& m : project.mappings) linted = linted || &m == edge.from;
      for (const auto& column : edge.lookup_columns) {
        std::optional<bool> strict = not_null(*edge.from, column);
        all_known = all_known && strict.has_value();
        any_nullable = any_nullable || !strict.value_or(true);
        columns.push_back(fmt::format("{}.{}", edge.from->table.display(), column));
        if (report_at == nullptr && linted) report_at = &edge;
      }
    }
    if (columns.empty() || any_nullable || !all_known || report_at == nullptr) continue;
    std::vector<std::string> names;
    for (const auto& edge : cycle) names.push_back(edge.from->name);
    names.push_back(cycle.front().from->name);
    const MappingSpec& at = *report_at->from;
    diagnostics.error(
        spot_or(at, "columns." + report_at->lookup_columns.front() + ".lookup", at.where),
        "db-cycle-not-null",
        fmt::format("dependency cycle {} cannot be broken: every lookup column in it is NOT NULL "
                    "on the target ({}), so no row can be written before the row it points at "
                    "exists; drop NOT NULL on one of them for the migration, mark its lookup "
                    "`deferred: true`, and restore NOT NULL after apply",
                    fmt::join(names, " -> "), fmt::join(columns, ", ")));
  }
}

// What apply and validate rely on to name a row: the id column exists where it is assumed, and
// a primary key or unique constraint covers the legacy key or id column(s).
void check_identity(const MappingSpec& mapping, const std::vector<TargetColumn>& columns,
                    pg::Connection& target, Diagnostics& diagnostics) {
  bool legacy = !mapping.legacy_key_columns.empty();
  bool id_exists = true;
  for (const auto& c : mapping.id_columns) id_exists = id_exists && find(columns, c) != nullptr;
  if (legacy && !id_exists && mapping.spots.count("target.id_column") == 0) {
    diagnostics.error(
        mapping.at("target.legacy_key"), "db-id-column",
        fmt::format("{} has no column `id`, the default of target.id_column: lookups into it and "
                    "mapengine.id_maps return that column; set target.id_column to its key "
                    "column{}",
                    mapping.table.display(), hint("id", names_of(columns))));
  }
  const std::vector<std::string>& key = legacy ? mapping.legacy_key_columns : mapping.id_columns;
  for (const auto& c : key) {
    if (find(columns, c) == nullptr) return;  // reported as db-target-column or db-id-column
  }
  if (pg::is_unique_key(target, mapping.table, key)) return;
  std::string names = fmt::format("{}", fmt::join(key, ", "));
  const SourceLocation& where =
      legacy ? mapping.at("target.legacy_key") : spot_or(mapping, "target.id_column", mapping.at("columns"));
  diagnostics.error(
      where, "db-key-not-unique",
      fmt::format("{} ({}) of {} is not covered by a primary key or unique constraint: apply's "
                  "id map and validate need it to name exactly one row{}",
                  legacy ? "target.legacy_key" : "target.id_column", names,
                  mapping.table.display(),
                  legacy ? fmt::format("; add UNIQUE ({})", names)
                         : "; for an association table list every key column "
                           "(`target.id_column: [a_id, b_id]`), or add a unique constraint"));
}

// A type as format_type() prints it, split into its name without the modifier ("timestamp
// without time zone") and the modifier's numbers ({3} for "timestamp(3) without time zone").
struct TypeName {
  std::string name;
  std::vector<int> modifier;
};

TypeName split_type(const std::string& type) {
  size_t open = type.find('(');
  size_t close = type.find(')', open);
  if (open == std::string::npos || close == std::string::npos) return {type, {}};
  TypeName out{type.substr(0, open) + type.substr(close + 1), {}};
  std::string_view numbers = std::string_view(type).substr(open + 1, close - open - 1);
  while (!numbers.empty()) {
    size_t comma = std::min(numbers.find(','), numbers.size());
    int n = 0;
    std::from_chars(numbers.data(), numbers.data() + comma, n);
    out.modifier.push_back(n);
    numbers.remove_prefix(std::min(comma + 1, numbers.size()));
  }
  return out;
}

// A character(n) type whose values may arrive blank-padded (n > 1).
bool padded_char(const std::string& type) {
  return type.rfind("character(", 0) == 0 && type != "character(1)";
}

// Whether the text forms of values of the two types compare equal for equal values.
bool same_key_text(const std::string& source_type, const std::string& target_type) {
  auto in = [](const std::string& type, std::initializer_list<std::string_view> group) {
    return std::find(group.begin(), group.end(), type) != group.end();
  };
  TypeName a = split_type(source_type), b = split_type(target_type);
  if (padded_char(source_type)) {
    // The key arrives blank-padded and is kept so; a character(n) column reads back without
    // the padding, text and a long enough varchar keep it.
    return b.name == "text" || (b.name == "character varying" &&
                                (b.modifier.empty() || b.modifier[0] >= a.modifier[0]));
  }
  if (source_type == target_type) return true;
  if (a.name == "character" || b.name == "character") return false;
  if (a.name == b.name) {
    if (a.name == "numeric") {
      // numeric(p,s) prints exactly s decimals; a bare numeric keeps the ones it was given.
      auto scale = [](const TypeName& t) { return t.modifier.size() > 1 ? t.modifier[1] : 0; };
      return b.modifier.empty() || (!a.modifier.empty() && scale(a) == scale(b));
    }
    if (a.name.rfind("time", 0) == 0 || a.name.rfind("interval", 0) == 0) {
      // Fractional seconds: 6 digits unless given; a target with fewer rounds them away.
      auto digits = [](const TypeName& t) { return t.modifier.empty() ? 6 : t.modifier[0]; };
      return digits(b) >= digits(a);
    }
    return true;  // varchar(n) and varchar(m) print a value alike
  }
  return (in(a.name, {"smallint", "integer", "bigint"}) &&
          in(b.name, {"smallint", "integer", "bigint"})) ||
         (in(a.name, {"text", "character varying"}) && in(b.name, {"text", "character varying"}));
}

bool trims(const ColumnSpec& column) {
  for (const auto& step : column.transforms) {
    if (step.name == "trim" || step.name == "rtrim") return true;
  }
  return false;
}

// The name of a source type, as format_type() prints it ("character(5)").
std::string source_type_name(pg::Connection& source, std::pair<Oid, int> type) {
  pg::Result name = source.exec("SELECT format_type($1::oid, NULLIF($2::int, -1))",
                                {std::to_string(type.first), std::to_string(type.second)});
  return std::string(name.value(0, 0));
}

// A target column's type name, or empty when it does not exist.
std::string target_type_name(pg::Connection& target, const pg::QualifiedName& table,
                             const std::string& column) {
  pg::Result name = target.exec(
      "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
      "to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped",
      {table.quoted(), column});
  return name.rows() == 1 ? std::string(name.value(0, 0)) : std::string();
}

// follow.on_delete's mark column: a column of the table that following can set (boolean,
// timestamp, timestamptz or date).
void check_mark_column(const MappingSpec& mapping, const std::vector<TargetColumn>& columns,
                       pg::Connection& target, Diagnostics& diagnostics) {
  const std::string& column = mapping.follow.mark_column;
  const SourceLocation& where = mapping.at("follow.on_delete.mark");
  if (find(columns, column) == nullptr) {
    diagnostics.error(where, "db-target-column",
                      fmt::format("follow.on_delete marks `{}`, which is not a column of {}{}",
                                  column, mapping.table.display(),
                                  hint(column, names_of(columns))));
    return;
  }
  std::optional<std::string> type =
      pg::column_type(target, mapping.table, column, pg::TypeModifier::kWithout);
  if (spec::mark_kind(type) != spec::MarkKind::kNone) return;
  diagnostics.error(where, "db-target-column",
                    fmt::format("follow.on_delete marks `{}`, which is {}: mark a boolean "
                                "(set true), timestamp, timestamptz or date (set to the time) "
                                "column",
                                column, type.value_or("unknown")));
}

}  // namespace

void check_source_queries(const Project& project, pg::Connection& source,
                          Diagnostics& diagnostics) {
  for (const auto& mapping : project.mappings) {
    if (mapping.source_query.empty()) continue;
    Described described = describe_query(source, mapping.source_query);
    if (!described.error.empty()) {
      diagnostics.error(
          mapping.at("source.query"), "db-source-query",
          fmt::format("source query does not compile on the source database: {}", described.error));
      continue;
    }
    auto require = [&](const std::string& name, const SourceLocation& where,
                       std::string_view what) {
      if (std::find(described.columns.begin(), described.columns.end(), name) !=
          described.columns.end()) {
        return;
      }
      diagnostics.error(where, "db-source-column",
                        fmt::format("{} `{}` is not a column of the source query (it returns "
                                    "{}){}",
                                    what, name, fmt::join(described.columns, ", "),
                                    hint(name, described.columns)));
    };
    for (size_t i = 0; i < mapping.key.size(); ++i) {
      require(mapping.key[i],
              spot_or(mapping, fmt::format("source.key[{}]", i), mapping.at("source.key")),
              "source.key column");
    }
    for (const auto& column : mapping.columns) {
      for (size_t i = 0; i < column.from.size(); ++i) {
        require(column.from[i],
                spot_or(mapping, fmt::format("columns.{}.from[{}]", column.name, i), column.where),
                "source column");
      }
    }
  }
}

void check_target_tables(const Project& project, const std::vector<std::string>& named_files,
                         pg::Connection& target, Diagnostics& diagnostics) {
  TargetCatalog catalog(target);
  for (const auto& mapping : project.mappings) {
    const auto* columns = catalog.columns(mapping.table);
    if (columns == nullptr) {
      missing_table(catalog, mapping.table, mapping.at("table"), "target table", diagnostics);
      continue;
    }
    std::set<std::string> mapped;
    for (const auto& column : mapping.columns) {
      mapped.insert(column.name);
      const TargetColumn* found = find(*columns, column.name);
      if (found == nullptr) {
        diagnostics.error(
            column.where, "db-target-column",
            fmt::format("`{}` is not a column of {}{}", column.name, mapping.table.display(),
                        hint(column.name, names_of(*columns))));
      } else if (found->generated) {
        diagnostics.error(column.where, "db-target-column",
                          fmt::format("`{}` is a generated column of {}: it cannot be written",
                                      column.name, mapping.table.display()));
      }
    }
    require_columns(mapping, mapping.legacy_key_columns, "target.legacy_key", *columns,
                    "target.legacy_key column", diagnostics);
    if (mapping.spots.count("target.conflict") > 0) {
      require_columns(mapping, mapping.conflict_columns, "target.conflict", *columns,
                      "target.conflict column", diagnostics);
    }
    if (mapping.spots.count("target.id_column") > 0) {
      require_columns(mapping, mapping.id_columns, "target.id_column", *columns,
                      "target.id_column column", diagnostics);
    }
    check_identity(mapping, *columns, target, diagnostics);
    if (mapping.follow.on_delete == spec::DeletePolicy::kMark) {
      check_mark_column(mapping, *columns, target, diagnostics);
    }
    std::vector<std::string> uncovered;
    for (const auto& c : *columns) {
      if (c.not_null && !c.has_default && mapped.count(c.name) == 0) uncovered.push_back(c.name);
    }
    if (!uncovered.empty()) {
      diagnostics.error(mapping.at("columns"), "db-not-null",
                        fmt::format("{} has NOT NULL column(s) without a default that are not "
                                    "mapped: {}; every row would be rejected",
                                    mapping.table.display(), fmt::join(uncovered, ", ")));
    }
    for (const auto& column : mapping.columns) {
      if (column.lookup) check_lookup_columns(mapping, column, project, catalog, diagnostics);
    }
  }

  check_deferred_nullability(project, catalog, diagnostics);

  std::set<std::string> named(named_files.begin(), named_files.end());
  for (const auto& table : project.migrated) {
    if (named.count(table.where.file) == 0) continue;
    const auto* columns = catalog.columns(table.table);
    if (columns == nullptr) {
      missing_table(catalog, table.table, table.where, "migrated table", diagnostics);
      continue;
    }
    std::vector<std::string> wanted = table.legacy_key_columns;
    wanted.push_back(table.id_column);
    for (const auto& name : wanted) {
      if (find(*columns, name) != nullptr) continue;
      diagnostics.error(table.where, "db-target-column",
                        fmt::format("migrated table {}: `{}` is not one of its columns{}",
                                    table.table.display(), name, hint(name, names_of(*columns))));
    }
  }
}

void check_key_types(const Project& project, pg::Connection& source, pg::Connection& target,
                     Diagnostics& diagnostics) {
  std::map<std::string, Described> described;  // by mapping name, described once
  // The type of a source column of `m`, or empty when unknown (db-source-query says why).
  auto source_type = [&](const MappingSpec& m, const std::string& column) -> std::string {
    auto [it, added] = described.try_emplace(m.name);
    if (added && !m.source_query.empty()) it->second = describe_query(source, m.source_query);
    const Described& d = it->second;
    if (!d.error.empty()) return {};
    auto at = std::find(d.columns.begin(), d.columns.end(), column);
    if (at == d.columns.end()) return {};
    return source_type_name(source, d.types[static_cast<size_t>(at - d.columns.begin())]);
  };
  for (const auto& mapping : project.mappings) {
    if (mapping.source_query.empty()) continue;
    // The legacy key columns keep the source key's text: their types must print it alike.
    for (size_t i = 0; i < mapping.legacy_key_columns.size() && i < mapping.key.size(); ++i) {
      const std::string& column = mapping.legacy_key_columns[i];
      std::string from = source_type(mapping, mapping.key[i]);
      std::string to = target_type_name(target, mapping.table, column);
      if (from.empty() || to.empty() || same_key_text(from, to)) continue;
      std::string why =
          padded_char(from)
              ? fmt::format("`{}` arrives blank-padded ('AB   ') and the id map keeps it so, but "
                            "`{}` would give it back {}: resume and validate would not find "
                            "the rows; select the key as text in the query (`{}::text AS {}` "
                            "drops the padding), or make `{}` text to keep it",
                            mapping.key[i], column,
                            split_type(to).name == "character" ? "without the padding"
                                                                : "cut or changed",
                            mapping.key[i], mapping.key[i], column)
              : fmt::format("the id map, resume and validate compare their texts, which would "
                            "differ; give `{}` the source's type",
                            column);
      diagnostics.error(
          spot_or(mapping, fmt::format("target.legacy_key[{}]", i), mapping.at("target.legacy_key")),
          "db-legacy-key-type",
          fmt::format("target.legacy_key column `{}` is {} but source.key column `{}` is {}: {}",
                      column, to, mapping.key[i], from, why));
    }
    // A padded char(n) value ('AB   ') misses a key read back without the padding: a
    // character(n) column's text, or text that was written unpadded. A legacy-key column filled
    // from a source key of the same character(n) type holds the padded text, so it matches.
    for (const auto& column : mapping.columns) {
      if (!column.lookup || column.from.size() != 1 || trims(column)) continue;
      std::string from = source_type(mapping, column.from[0]);
      if (!padded_char(from)) continue;
      std::optional<LookedUp> where = looked_up(mapping, *column.lookup, project);
      if (!where || where->match.empty()) continue;
      std::string match = target_type_name(target, where->table, where->match);
      if (match.empty()) continue;
      bool char_match = split_type(match).name == "character";
      const MappingSpec* producer = project.find_mapping(column.lookup->table);
      if (column.lookup->table == mapping.name) producer = &mapping;
      if (!char_match && producer != nullptr) {
        const auto& keys = producer->legacy_key_columns;
        auto at = std::find(keys.begin(), keys.end(), where->match);
        if (at != keys.end() && at - keys.begin() < static_cast<long>(producer->key.size()) &&
            source_type(*producer, producer->key[static_cast<size_t>(at - keys.begin())]) ==
                from) {
          continue;
        }
      }
      std::string path = "columns." + column.name + ".from[0]";
      diagnostics.warning(
          spot_or(mapping, path, column.where), "db-padded-char-lookup",
          fmt::format("column `{}`: source column `{}` is {}, so its values arrive blank-padded "
                      "('AB  '), but the lookup matches {}.{} ({}), {}: every padded value "
                      "would miss; add `transform: [rtrim]` (or trim)",
                      column.name, column.from[0], from, where->table.display(), where->match,
                      match,
                      char_match ? "whose text drops the padding" : "which holds them unpadded"));
    }
  }
}

namespace {

// Bulk mode's conditions, which apply checks again under the table's lock: an empty table (a
// resumed load's own rows aside) whose owner runs it.
void check_bulk_targets(const Project& project, pg::Connection& target,
                        Diagnostics& diagnostics) {
  for (const auto& mapping : project.mappings) {
    if (mapping.bulk == spec::BulkMode::kOff) continue;
    const SourceLocation& where = mapping.at("target.bulk");
    pg::Result owner = target.exec(
        "SELECT pg_has_role(c.relowner, 'USAGE'), pg_get_userbyid(c.relowner), current_user "
        "FROM pg_class c WHERE c.oid = to_regclass($1)",
        {mapping.table.quoted()});
    if (owner.rows() != 1) continue;  // db-target-table says so
    if (owner.value(0, 0) != "t") {
      diagnostics.warning(
          where, "db-bulk-target",
          fmt::format("bulk mode drops and re-creates the foreign keys of {}, which only its "
                      "owner may do: role {} is not {} nor a member of it, so apply refuses",
                      mapping.table.display(), owner.value(0, 2), owner.value(0, 1)));
    }
    bool has_rows = false;
    try {
      has_rows = target
                     .exec_isolated(
                         fmt::format("SELECT EXISTS (SELECT FROM {})", mapping.table.quoted()), {})
                     .value(0, 0) == "t";
    } catch (const Error&) {
      // A role that may not read the table: apply says so with the server's words.
    }
    if (has_rows) {
      diagnostics.warning(
          where, "db-bulk-target",
          fmt::format("bulk mode needs {} empty at the start and it has rows: apply refuses "
                      "unless this mapping wrote them (a load it resumes)",
                      mapping.table.display()));
    }
  }
}

}  // namespace

void check_databases(const Project& project, const std::vector<std::string>& named_files,
                     pg::Connection& source, pg::Connection& target, Diagnostics& diagnostics) {
  check_source_queries(project, source, diagnostics);
  check_target_tables(project, named_files, target, diagnostics);
  check_key_types(project, source, target, diagnostics);
  check_bulk_targets(project, target, diagnostics);
}

}  // namespace mapengine::lint
