// RowProgram: a mapping compiled for execution. Built once per run from the spec, the source
// query's column list and the loaded lookup tables; then turns each source row into one encoded
// target row (COPY text) or into a rejection, without per-row allocation for values that pass
// through unchanged.
//
// Thread-safety: process() is const and may run concurrently (each caller brings its own
// RowScratch).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/lookup/lookup_table.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/value.h"

namespace mapengine {

// A row set aside, with everything a person needs to fix it.
struct RejectRecord {
  std::string legacy_key;
  std::string column;  // target column (or empty when the whole row is concerned)
  std::optional<std::string> value;
  std::string rule;    // "transform", "lookup", "constraint", "data", ...
  std::string reason;
};

// A self-reference waiting for its target row.
struct PendingRef {
  std::string column;
  std::string legacy_key;
  std::string ref;
};

struct CompiledColumn {
  std::string name;
  std::vector<int> inputs;  // indexes into the source row
  std::unique_ptr<ColumnPipeline> pipeline;
  spec::Generate generate = spec::Generate::kNone;
  std::string uuid_namespace;
  bool has_constant = false;
  std::optional<std::string> constant;
  // Lookup (when lookup_target is set).
  std::optional<LookupTarget> lookup_target;
  const LookupTable* lookup = nullptr;  // null for self-references (resolved later)
  spec::MissPolicy on_missing = spec::MissPolicy::kReject;
  std::optional<std::string> lookup_default;
};

// Per-thread scratch space reused across rows.
struct RowScratch {
  std::vector<Value> inputs;
  std::vector<Value> outputs;
  std::string legacy_key;
};

// What process() produced for one row.
struct RowResult {
  bool ok = false;
  RejectRecord reject;                // when !ok
  std::vector<PendingRef> pending;    // self-references to resolve later
  std::string id;                     // value of the id column (for the engine's id map)
};

class RowProgram {
 public:
  // Compiles `mapping` against the source columns. Throws Error(kSpec) with the location of the
  // first problem (unknown source column, a transform that does not compile, ...).
  // `lookups` maps LookupTarget::select_sql() to loaded tables (self-lookups absent).
  RowProgram(const spec::MappingSpec& mapping, const spec::Project& project,
             std::vector<std::string> source_columns,
             const std::map<std::string, LookupTable>& lookups);

  // Processes one decoded source row; on success appends the encoded row (with its newline) to
  // `out`. REQUIRES: fields.size() == source_columns().size().
  // Throws Error(kData) when a lookup's policy is `fail`.
  RowResult process(const std::vector<Value>& fields, RowScratch& scratch,
                    std::string& out) const;

  // The canonical legacy key text of a row.
  void key_of(const std::vector<Value>& fields, std::string& key) const;
  // The key parts (texts) of a row, for checkpoints.
  std::vector<std::string> key_parts(const std::vector<Value>& fields) const;

  const spec::MappingSpec& mapping() const { return mapping_; }
  const std::vector<std::string>& source_columns() const { return source_columns_; }
  const std::vector<CompiledColumn>& columns() const { return columns_; }
  const std::vector<int>& key_indexes() const { return key_indexes_; }
  // Every lookup target this mapping needs loaded (self-references excluded).
  static std::vector<LookupTarget> lookup_targets(const spec::MappingSpec& mapping,
                                                  const spec::Project& project);
  bool has_self_refs() const { return has_self_refs_; }
  // Quoted, comma-separated target column list for COPY.
  std::string target_column_list() const;

 private:
  const spec::MappingSpec& mapping_;
  std::string table_display_;
  std::vector<std::string> source_columns_;
  std::vector<int> key_indexes_;
  std::vector<CompiledColumn> columns_;
  int id_index_ = -1;
  bool has_self_refs_ = false;
};

}  // namespace mapengine
