// MappingExplanation: everything `mapengine explain` says about one mapping, resolved the way
// `apply` resolves it: the SQL sent to the source (first chunk and the resumed form, from
// source_chunk_sql), the lookups and the SQL that loads them, each column's pipeline with its
// types, the write statements (row_write_statements), batch size and key ranges, the place in
// the dependency plan, the id-map strategy and the self-references.
//
// explain_mapping() works from the files alone. add_database_figures() adds what only the
// databases know (estimated source rows, lookup sizes, column types) with read-only statements.
//
// Example:
//   MappingExplanation e = explain_mapping(*mapping, project, plan_project, plan);
//   std::string text = render_text(e);  // or render_json(e)
//
// Thread-safety: pure functions, except add_database_figures (uses the given connections).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::explain {

struct ExplainedStep {
  std::string name;
  std::string written;  // as in the file, flow YAML
  bool combiner = false;
  std::string input;  // value types, registry names ("any", "text", ...)
  std::string output;
};

struct ExplainedLookup {
  std::string column;
  std::string written;   // `table:` or `mapping:` as written
  std::string resolved;  // LookupTarget::describe(): "public.profiles.legacy_user_id -> id"
  std::string on_missing;
  std::optional<std::string> default_value;
  std::string select_sql;  // the pairs (legacy value, new id) it loads; empty for a self-reference
  std::string load_sql;    // the COPY that loads them
  bool self = false;
  std::optional<long long> entries;  // --db: rows the lookup loads
  std::string error;                 // --db: why entries is unknown
};

struct ExplainedColumn {
  std::string name;
  std::string source;  // "from", "value" or "generate"
  std::vector<std::string> from;
  std::optional<std::string> value;  // for "value" (nullopt: NULL)
  std::string generate;              // "uuid" or "uuid_v5"
  std::string uuid_namespace;        // for uuid_v5
  std::vector<ExplainedStep> steps;
  std::string output;  // type after the last step ("any" when unknown)
  std::optional<ExplainedLookup> lookup;
  std::vector<std::string> source_types;  // --db: the legacy types of `from`
  std::string target_type;                // --db: the target column's type
};

struct PlanEntry {
  int position = 0;  // 1-based
  std::string name;
  std::string table;
  int level = 0;
  std::vector<std::string> depends_on;
};

struct MappingExplanation {
  std::string file;
  std::string name;
  std::string table;
  std::string mode;
  spec::BulkMode bulk = spec::BulkMode::kOff;  // target.bulk
  spec::FollowSpec follow;                     // how `mapengine sync` follows it
  std::vector<std::string> key;
  std::string source_query;
  long chunk_rows = 0;
  std::string first_chunk_sql;
  std::string resume_sql;
  std::vector<std::string> range_sql;  // parallel > 1: the form of the first, middle, last range

  std::vector<ExplainedLookup> lookups;
  std::vector<ExplainedColumn> columns;

  std::string write_strategy;  // "copy" or "staging"
  // --db: how batches are sent: "binary", or why text ("column x is of type interval, ...").
  std::string copy_format;
  std::vector<std::string> write_sql;
  std::vector<std::string> conflict_columns;
  int batch_size = 0;
  int parallel = 1;

  std::string id_map;  // "legacy_column" or "id_map"
  std::vector<std::string> legacy_key_columns;
  std::string id_column;
  std::string id_map_sql;  // for "id_map": the COPY each batch sends

  struct SelfReference {
    std::string column;
    std::string through;  // the legacy column matched
    std::string on_missing;
  };
  std::vector<SelfReference> self_references;

  std::string plan_folder;
  std::vector<PlanEntry> plan;  // every mapping of the folder, in execution order
  int plan_position = 0;        // this mapping's position in `plan` (1-based; 0 = not planned)
  std::vector<std::string> plan_depends_on;
  std::vector<std::string> migrated_used;  // migrated tables its lookups read
  std::string plan_error;                  // e.g. a dependency cycle in the folder

  bool database = false;  // add_database_figures ran
  std::optional<long long> estimated_source_rows;
  std::string source_error;
};

// Placeholders in the resumed and ranged SQL for the last key read and a range's bounds; apply
// sends the server's text of those keys as quoted literals in their place.
inline constexpr std::string_view kLastKeyPrefix = ":last_";
inline constexpr std::string_view kLowerPrefix = ":lower_";
inline constexpr std::string_view kUpperPrefix = ":upper_";

// Explains `mapping` of `project`; `plan` orders the mappings of `plan_folder` (null when it
// could not be made: `plan_error` says why). REQUIRES: the mapping passed lint.
// Throws Error(kSpec) when a lookup cannot be resolved or a pipeline does not compile.
MappingExplanation explain_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                                   const std::string& plan_folder, const plan::Plan* plan,
                                   const std::string& plan_error);

// Adds the source row estimate (EXPLAIN), lookup sizes (count) and column types. Failures of
// single figures are recorded in the explanation; a connection failure throws.
void add_database_figures(MappingExplanation& explanation, const spec::MappingSpec& mapping,
                          const spec::Project& project, pg::Connection& source,
                          pg::Connection& target);

std::string render_text(const MappingExplanation& explanation);
std::string render_json(const MappingExplanation& explanation);

}  // namespace mapengine::explain
