// MappingDraft: the mapping `mapengine scaffold` proposes for one legacy table and one target
// table, decided from their catalogs (table_catalog.h) and, when known, the mappings folder.
//
// What it decides, in this order:
//   source   a query listing every legacy column; the legacy key from the primary key (or a
//            unique key of NOT NULL columns); soft-delete columns are pointed out.
//   target   legacy_<x>_id columns fed from the key (target.legacy_key); a uuid id column gets
//            `generate: uuid_v5`.
//   columns  target columns matched to legacy columns: same name, then the same name ignoring
//            case and underscores, then foreign keys (legacy ones, or a target foreign key whose
//            table keeps legacy ids in legacy_<s>, fed from legacy <s>), then common renames
//            (<x>_cents <- <x>, full_name <- first_name + last_name, created_at <- created_on,
//            is_<x> <- <x>, parent_id <- parent_<x>_id).
//   casts    timestamp -> timestamptz: assume_timezone TODO_ZONE; numeric dollars -> integer
//            cents: scale 100; short codes -> text: a map of the codes found in legacy with TODO
//            values; text -> boolean / integer / numeric / date parsers.
//   gaps     NOT NULL target columns nothing feeds become TODO comments in their place.
// Every decision carries the comment that explains it; every open decision says TODO. Casts and
// code maps are column_conversion.h's; the file text is mapping_writer.h's.
//
// The result is deterministic: it depends only on the catalogs, the folder and the sampled codes
// (which are sorted).
//
// Thread-safety: pure functions (the callbacks in ScaffoldInputs are called on the caller's
// thread).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/scaffold/table_catalog.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::scaffold {

// The most distinct legacy codes listed in a proposed `map`.
inline constexpr int kMaxCodes = 20;

// One entry under `columns:`, in target column order.
struct DraftColumn {
  std::string name;                   // target column
  bool mapped = false;                // false: comments only (a gap, or a column left out)
  std::vector<std::string> from;      // legacy columns
  std::string generate;               // "uuid_v5", or empty
  std::vector<std::string> steps;     // transform steps, each in flow YAML
  std::string lookup;                 // the lookup in flow YAML, or empty
  std::vector<std::string> comments;  // comment lines written above the entry (without "# ")
};

struct MappingDraft {
  pg::QualifiedName source_table;
  pg::QualifiedName table;  // the target table
  std::string name;         // the mapping's name (the target table's name)

  std::vector<std::string> select_list;  // legacy columns, quoted as the server quotes them
  std::string from_clause;               // the legacy table as written in the query
  std::vector<std::string> source_comments;
  std::vector<std::string> key;
  std::string key_comment;
  std::vector<std::string> legacy_key;  // empty: the engine's id map keeps the key
  std::string target_comment;
  std::string id_column = "id";
  std::vector<std::string> association_key;  // the primary key of an association table

  std::vector<DraftColumn> columns;
  std::vector<std::string> trailer;  // comment lines after the columns
  std::vector<std::string> notes;    // said on stderr by the CLI (e.g. a file that already maps
                                     // this table)
  int todos = 0;                     // decisions left open (lines saying TODO)
};

struct ScaffoldInputs {
  TableInfo source;
  TableInfo target;
  // The mappings folder, when known: names of mappings and migrated tables for lookups.
  const spec::Project* project = nullptr;
  std::string mappings_folder;  // as given, for comments; empty when none
  // Catalog of another target table (one a target foreign key references); nullopt when absent.
  std::function<std::optional<TableInfo>(const pg::QualifiedName&)> target_table;
  // Distinct non-NULL values of a legacy column, at most kMaxCodes.
  std::function<DistinctValues(const ColumnInfo&)> distinct_values;
};

MappingDraft draft_mapping(const ScaffoldInputs& inputs);

}  // namespace mapengine::scaffold
