#include "engine/apply/deferred_reference_resolver.h"

#include <fmt/format.h>

#include "engine/apply/self_reference_resolver.h"
#include "engine/common/error.h"
#include "engine/lookup/lookup_table.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"

namespace mapengine {
namespace {

bool mapping_complete(pg::Connection& target, const std::string& mapping) {
  pg::Result row = target.exec(
      "SELECT status = 'complete' FROM mapengine.mappings WHERE mapping = $1", {mapping});
  return row.rows() == 1 && row.value(0, 0) == "t";
}

long long parked(pg::Connection& target, const std::string& mapping, const std::string& column) {
  pg::Result row = target.exec(
      "SELECT count(*) FROM mapengine.pending_refs WHERE mapping = $1 AND column_name = $2",
      {mapping, column});
  return std::stoll(std::string(row.value(0, 0)));
}

}  // namespace

bool has_deferred_lookups(const spec::MappingSpec& mapping) {
  for (const auto& column : mapping.columns) {
    if (column.lookup && column.lookup->deferred) return true;
  }
  return false;
}

DeferredOutcome fill_deferred_references(pg::Connection& target, const spec::MappingSpec& mapping,
                                         const spec::Project& project) {
  DeferredOutcome outcome;
  for (const auto& column : mapping.columns) {
    if (!column.lookup || !column.lookup->deferred) continue;
    LookupTarget ref = resolve_lookup(*column.lookup, mapping, project);
    if (ref.self) continue;  // a self-reference: resolved when the mapping completes
    long long count = parked(target, mapping.name, column.name);
    if (count == 0) continue;
    if (!ref.mapping.empty() && !mapping_complete(target, ref.mapping)) {
      outcome.waiting += count;
      outcome.waiting_for.push_back(ref.mapping);
      continue;
    }
    if (mapping.legacy_key_columns.size() != 1) {
      throw Error::spec(column.lookup->where,
                        "a deferred lookup needs target.legacy_key (one column): the engine "
                        "fills it through that column after the rows are written");
    }
    const std::string& legacy = mapping.legacy_key_columns.front();
    pg::Transaction tx(target);
    target.exec("SET LOCAL statement_timeout = '60min'");
    std::string column_type = target_column_type(target, mapping.table, column.name);
    std::string legacy_type = target_column_type(target, mapping.table, legacy);
    // The pairs a lookup loads (legacy text, new id text), matched by exact text as apply's
    // lookups match.
    pg::Result updated = target.exec(
        fmt::format("UPDATE {table} t SET {col} = CAST(p.new_id AS {col_type}) "
                    "FROM mapengine.pending_refs r JOIN ({pairs}) AS p(legacy, new_id) "
                    "ON p.legacy = r.ref "
                    "WHERE r.mapping = $1 AND r.column_name = $2 "
                    "AND t.{legacy} = CAST(r.legacy_key AS {legacy_type})",
                    fmt::arg("table", mapping.table.quoted()),
                    fmt::arg("col", pg::quote_identifier(column.name)),
                    fmt::arg("col_type", column_type), fmt::arg("pairs", ref.select_sql()),
                    fmt::arg("legacy", pg::quote_identifier(legacy)),
                    fmt::arg("legacy_type", legacy_type)),
        {mapping.name, column.name});
    outcome.filled += updated.affected();
    pg::Result missing = target.exec(
        fmt::format("SELECT count(*) OVER (), r.legacy_key, r.ref FROM mapengine.pending_refs r "
                    "WHERE r.mapping = $1 AND r.column_name = $2 AND NOT EXISTS "
                    "(SELECT 1 FROM ({pairs}) AS p(legacy, new_id) WHERE p.legacy = r.ref) "
                    "ORDER BY r.legacy_key LIMIT 5",
                    fmt::arg("pairs", ref.select_sql())),
        {mapping.name, column.name});
    if (missing.rows() > 0) {
      long long lost = std::stoll(std::string(missing.value(0, 0)));
      if (column.lookup->on_missing == spec::MissPolicy::kFail) {
        std::string examples;
        for (int r = 0; r < missing.rows(); ++r) {
          examples += fmt::format("{}legacy key {} -> {}", r ? ", " : "", missing.value(r, 1),
                                  missing.value(r, 2));
        }
        throw Error(
            ErrorKind::kData,
            fmt::format("{}: column {}: {} deferred references find no row in {} "
                        "(on_missing: fail), e.g. {}",
                        mapping.table.display(), column.name, lost, ref.describe(), examples));
      }
      outcome.unresolved += lost;
    }
    target.exec("DELETE FROM mapengine.pending_refs WHERE mapping = $1 AND column_name = $2",
                {mapping.name, column.name});
    tx.commit();
  }
  return outcome;
}

}  // namespace mapengine
