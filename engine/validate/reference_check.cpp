#include "engine/validate/reference_check.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/lookup/lookup_table.h"
#include "engine/pg/quote.h"
#include "engine/state/legacy_key.h"

namespace mapengine::validate {
namespace {

constexpr int kExamples = 5;

// Runs `sql` (whose first column is count(*) OVER ()) and returns the total; `describe` turns
// each example row into a line.
template <typename Describe>
long long count_with_examples(pg::Connection& target, const std::string& sql,
                              const std::vector<pg::Param>& params, Describe describe,
                              std::vector<std::string>& examples) {
  pg::Result result = target.exec(sql, params);
  if (result.rows() == 0) return 0;
  for (int r = 0; r < result.rows(); ++r) examples.push_back(describe(result, r));
  return std::stoll(std::string(result.value(0, 0)));
}

}  // namespace

CheckResult check_references(const spec::MappingSpec& mapping, const spec::Project& project,
                             pg::Connection& target, const TargetTable& table) {
  CheckTransaction transaction(target);
  CheckResult check;
  check.check = "references";
  check.label = "references";
  std::string label = row_label_expr(mapping, table, target);
  long long orphans = 0;
  int lookup_columns = 0;
  nlohmann::json per_column = nlohmann::json::object();

  for (const auto& column : mapping.columns) {
    if (!column.lookup) continue;
    ++lookup_columns;
    LookupTarget where = resolve_lookup(*column.lookup, mapping, project);
    pg::QualifiedName referenced = where.table;
    std::string returned = where.returns;
    if (referenced.name.empty()) {  // the id map of a mapping without legacy column
      const spec::MappingSpec* producer = project.find_mapping(where.mapping);
      if (producer == nullptr) continue;
      referenced = producer->table;
      returned = producer->single_id_column();
      if (returned.empty()) continue;  // an association: lint asks for `return`
    }
    TargetTable other = referenced == table.name() ? table : TargetTable::load(target, referenced);
    const std::string& own_type = table.type_of(column.name);
    const std::string& their_type = other.type_of(returned);
    std::string mine = "t." + pg::quote_identifier(column.name);
    std::string theirs = "r." + pg::quote_identifier(returned);
    if (own_type != their_type) {  // compare as text rather than fail on the operator
      mine += "::text";
      theirs += "::text";
    }
    std::vector<std::string> examples;
    long long count = count_with_examples(
        target,
        fmt::format("SELECT count(*) OVER (), {label}, t.{col}::text FROM {table} t "
                    "WHERE t.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {other} r "
                    "WHERE {theirs} = {mine}) LIMIT {n}",
                    fmt::arg("label", label), fmt::arg("col", pg::quote_identifier(column.name)),
                    fmt::arg("table", mapping.table.quoted()),
                    fmt::arg("other", referenced.quoted()), fmt::arg("theirs", theirs),
                    fmt::arg("mine", mine), fmt::arg("n", kExamples)),
        {},
        [&](const pg::Result& r, int row) {
          return fmt::format("{}: {} = {} has no row in {}.{}", r.value(row, 1), column.name,
                             quote_value(r.optional(row, 2)), referenced.display(), returned);
        },
        examples);
    per_column[column.name] = count;
    if (count > 0) {
      orphans += count;
      check.details.push_back(fmt::format("{}: {} orphaned value(s) (no row in {}.{})", column.name,
                                          group_thousands(count), referenced.display(), returned));
      for (auto& e : examples) check.details.push_back("  " + e);
    }
  }

  // The id map points at rows, and rows carrying a legacy key are in the map.
  long long dangling = 0;
  long long unmapped = 0;
  long long foreign = 0;
  const bool has_id = has_id_columns(mapping, table);
  const std::string id = id_expr(mapping);
  const std::string id_names = fmt::format("{}", fmt::join(mapping.id_columns, ", "));
  if (has_id) {
    // Entries of mapengine.id_map: where a mapping without legacy column keeps its ids.
    std::vector<std::string> examples;
    dangling = count_with_examples(
        target,
        fmt::format("SELECT count(*) OVER (), m.legacy_key, m.new_id FROM mapengine.id_map m "
                    "WHERE m.mapping = $1 AND NOT EXISTS (SELECT 1 FROM {} t "
                    "WHERE {} = m.new_id) LIMIT {}",
                    mapping.table.quoted(), id, kExamples),
        {mapping.name},
        [&](const pg::Result& r, int row) {
          return fmt::format("legacy key {} -> {}: no such row in {}", r.value(row, 1),
                             quote_value(r.optional(row, 2)), mapping.table.display());
        },
        examples);
    if (dangling > 0) {
      check.details.push_back(fmt::format("{} id map entr(ies) point at no row of the target",
                                          group_thousands(dangling)));
      for (auto& e : examples) check.details.push_back("  " + e);
    }
  }
  if (!mapping.legacy_key_columns.empty()) {
    // For a mapping whose target keeps the legacy key, mapengine.id_maps presents that column
    // itself (state_schema.h): each row carrying a key is an entry pointing at the row. What can
    // break is a row with a key but no id, or a view that does not present the mapping.
    std::vector<std::string> quoted;
    for (const auto& c : mapping.legacy_key_columns)
      quoted.push_back("t." + pg::quote_identifier(c));
    std::string key = legacy_key_sql(quoted);
    if (has_id) {
      std::vector<std::string> examples;
      long long without_id = count_with_examples(
          target,
          fmt::format("SELECT count(*) OVER (), {} FROM {} t WHERE {} IS NOT NULL AND t.{} IS "
                      "NULL LIMIT {}",
                      key, mapping.table.quoted(), quoted[0],
                      pg::quote_identifier(mapping.id_columns[0]), kExamples),
          {},
          [&](const pg::Result& r, int row) {
            return fmt::format("legacy key {} maps to no id", r.value(row, 1));
          },
          examples);
      if (without_id > 0) {
        dangling += without_id;
        check.details.push_back(fmt::format("{} row(s) carry a legacy key but no {}",
                                            group_thousands(without_id), id_names));
        for (auto& e : examples) check.details.push_back("  " + e);
      }
    }
    pg::Result probe = target.exec(
        fmt::format("SELECT s.k FROM (SELECT {} AS k FROM {} t WHERE {} IS NOT NULL LIMIT 1) s "
                    "WHERE NOT EXISTS (SELECT 1 FROM mapengine.id_maps m WHERE m.mapping = $1 "
                    "AND m.legacy_key = s.k)",
                    key, mapping.table.quoted(), quoted[0]),
        {mapping.name});
    if (probe.rows() > 0) {
      pg::Result count = target.exec(fmt::format("SELECT count(*) FROM {} t WHERE {} IS NOT NULL",
                                                 mapping.table.quoted(), quoted[0]));
      unmapped = std::stoll(std::string(count.value(0, 0)));
      check.details.push_back(fmt::format(
          "{} target row(s) carry a legacy key, but mapengine.id_maps does not present this "
          "mapping (e.g. legacy key {}): apply registers the mapping and refreshes the view",
          group_thousands(unmapped), probe.value(0, 0)));
    }
  } else if (has_id) {
    pg::Result r = target.exec(
        fmt::format("SELECT count(*) FROM {} t WHERE NOT EXISTS (SELECT 1 FROM mapengine.id_map m "
                    "WHERE m.mapping = $1 AND m.new_id = {})",
                    mapping.table.quoted(), id),
        {mapping.name});
    foreign = std::stoll(std::string(r.value(0, 0)));
    if (foreign > 0) {
      check.details.push_back(
          fmt::format("note: {} row(s) of {} are not in this mapping's id map (not written by it)",
                      group_thousands(foreign), mapping.table.display()));
    }
  }

  check.ok = orphans == 0 && dangling == 0 && unmapped == 0;
  check.figures = {{"lookup_columns", lookup_columns}, {"orphans", orphans},
                   {"orphans_by_column", per_column},  {"id_map_dangling", dangling},
                   {"rows_not_in_id_map", unmapped},   {"rows_of_others", foreign}};
  if (check.ok) {
    check.summary = fmt::format(
        "{} lookup column(s), no orphaned reference; the id map and the "
        "table agree",
        lookup_columns);
  } else {
    check.summary = fmt::format(
        "{} orphaned reference(s), {} id map entr(ies) without row, {} "
        "row(s) missing from the id map",
        group_thousands(orphans), group_thousands(dangling), group_thousands(unmapped));
  }
  return check;
}

}  // namespace mapengine::validate
