#include "engine/apply/self_reference_resolver.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/pg/catalog.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"

namespace mapengine {

std::string target_column_type(pg::Connection& target, const pg::QualifiedName& table,
                               const std::string& column) {
  std::optional<std::string> type =
      pg::column_type(target, table, column, pg::TypeModifier::kWith);
  if (!type) {
    throw Error(ErrorKind::kSpec,
                fmt::format("target: column {} does not exist in {}", column, table.display()));
  }
  return *type;
}

SelfReferenceOutcome resolve_self_references(pg::Connection& target, const RowProgram& program) {
  SelfReferenceOutcome outcome;
  const spec::MappingSpec& mapping = program.mapping();
  const std::string& legacy = mapping.legacy_key_columns.front();
  std::string legacy_type = target_column_type(target, mapping.table, legacy);
  pg::Transaction tx(target, "SET LOCAL statement_timeout = '60min'");
  for (const auto& column : program.columns()) {
    if (!column.lookup_target || !column.lookup_target->self) continue;
    const LookupTarget& ref = *column.lookup_target;
    std::string match_type = target_column_type(target, mapping.table, ref.match);
    pg::Result updated = target.exec(
        fmt::format("UPDATE {table} t SET {col} = p.{ret} FROM mapengine.pending_refs r "
                    "JOIN {table} p ON p.{match} = CAST(r.ref AS {match_type}) "
                    "WHERE r.mapping = $1 AND r.column_name = $2 "
                    "AND t.{legacy} = CAST(r.legacy_key AS {legacy_type})",
                    fmt::arg("table", mapping.table.quoted()),
                    fmt::arg("col", pg::quote_identifier(column.name)),
                    fmt::arg("ret", pg::quote_identifier(ref.returns)),
                    fmt::arg("match", pg::quote_identifier(ref.match)),
                    fmt::arg("match_type", match_type),
                    fmt::arg("legacy", pg::quote_identifier(legacy)),
                    fmt::arg("legacy_type", legacy_type)),
        {mapping.name, column.name});
    outcome.resolved += updated.affected();
    pg::Result missing = target.exec(
        fmt::format("SELECT count(*) OVER (), r.legacy_key, r.ref FROM mapengine.pending_refs r "
                    "WHERE r.mapping = $1 AND r.column_name = $2 AND NOT EXISTS "
                    "(SELECT 1 FROM {table} p WHERE p.{match} = CAST(r.ref AS {match_type})) "
                    "ORDER BY r.legacy_key LIMIT 5",
                    fmt::arg("table", mapping.table.quoted()),
                    fmt::arg("match", pg::quote_identifier(ref.match)),
                    fmt::arg("match_type", match_type)),
        {mapping.name, column.name});
    if (missing.rows() > 0) {
      long long count = std::stoll(std::string(missing.value(0, 0)));
      if (column.on_missing == spec::MissPolicy::kFail) {
        std::string examples;
        for (int r = 0; r < missing.rows(); ++r) {
          examples += fmt::format("{}legacy key {} -> {}", r ? ", " : "", missing.value(r, 1),
                                  missing.value(r, 2));
        }
        throw Error(ErrorKind::kData,
                    fmt::format("{}: column {}: {} self-references point at no row of the "
                                "table (on_missing: fail), e.g. {}",
                                mapping.table.display(), column.name, count, examples));
      }
      outcome.unresolved += count;
    }
    // Only this column's: a deferred lookup's references wait for another mapping.
    target.exec("DELETE FROM mapengine.pending_refs WHERE mapping = $1 AND column_name = $2",
                {mapping.name, column.name});
  }
  tx.commit();
  return outcome;
}

}  // namespace mapengine
