// RowProgram: a mapping compiled for execution. Built once per run from the spec, the source
// query's column list and the lookups (LookupSet); then turns each source row into one encoded
// target row (COPY text) or into a rejection, without per-row allocation for values that pass
// through unchanged.
//
// Batched lookups (too large to load) are read from per-batch tables in the RowScratch: before
// processing a batch, the caller collects lookup_value() of each batched column for every row and
// fills scratch.batch_tables[slot] (see apply/batch_builder.h).
//
// Thread-safety: process() is const and may run concurrently (each caller brings its own
// RowScratch).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/value.h"
#include "engine/lookup/lookup_set.h"
#include "engine/sink/batch.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/uuid.h"

namespace mapengine {

struct CompiledColumn {
  std::string name;
  std::vector<int> inputs;  // indexes into the source row
  std::unique_ptr<ColumnPipeline> pipeline;
  spec::Generate generate = spec::Generate::kNone;
  std::optional<UuidV5Generator> uuid_v5;  // generate: uuid_v5, its namespace parsed once
  bool has_constant = false;
  std::optional<std::string> constant;
  // Lookup (when lookup_target is set).
  std::optional<LookupTarget> lookup_target;
  bool parked = false;  // a self-reference or a parked deferred lookup: written NULL, pending
  const LookupTable* lookup = nullptr;  // loaded whole; null when parked or batched
  int batched_slot = -1;                // index into RowProgram::batched() when batched
  spec::MissPolicy on_missing = spec::MissPolicy::kReject;
  std::optional<std::string> lookup_default;
};

// Per-thread scratch space reused across rows.
struct RowScratch {
  std::vector<Value> inputs;
  std::vector<Value> outputs;
  std::string legacy_key;
  std::vector<LookupTable> batch_tables;  // per batched slot: the pairs the current batch needs
};

// What process() produced for one row.
struct RowResult {
  bool ok = false;
  RejectRecord reject;              // when !ok
  std::vector<PendingRef> pending;  // self-references and deferred lookups to resolve later
  std::string id;  // the id column's value, or an association's key text (for the id map)
};

// What a program does with a deferred lookup (`deferred: true`): apply parks it like a
// self-reference (NULL now, filled later); validate resolves it like any lookup, so that a column
// still NULL where the source has a value counts as a difference.
enum class DeferredLookups { kPark, kResolve };

class RowProgram {
 public:
  // Compiles `mapping` against the source columns. Throws Error(kSpec) with the location of the
  // first problem (unknown source column, a transform that does not compile, ...).
  // `lookups` holds every target of lookup_targets(mapping, project, deferred); it must outlive
  // the program.
  RowProgram(const spec::MappingSpec& mapping, const spec::Project& project,
             std::vector<std::string> source_columns, const LookupSet& lookups,
             DeferredLookups deferred = DeferredLookups::kPark);

  // Processes one decoded source row; on success appends the encoded row (with its newline) to
  // `out`. REQUIRES: fields.size() == source_columns().size().
  // Throws Error(kData) when a lookup's policy is `fail`.
  RowResult process(const std::vector<Value>& fields, RowScratch& scratch, std::string& out) const;

  // The value column `column` looks up for this row (after its transforms), into `out`; false
  // when there is none (NULL, or a transform rejects the row). For collecting batched lookups.
  bool lookup_value(const std::vector<Value>& fields, size_t column, RowScratch& scratch,
                    std::string& out) const;
  // Batched lookups, by slot, and the columns reading each slot.
  const std::vector<const BatchedLookup*>& batched() const { return batched_; }
  const std::vector<std::vector<size_t>>& batched_columns() const { return batched_columns_; }

  // The canonical legacy key text of a row.
  void key_of(const std::vector<Value>& fields, std::string& key) const;
  // The key parts (texts) of a row, for checkpoints.
  std::vector<std::string> key_parts(const std::vector<Value>& fields) const;

  const spec::MappingSpec& mapping() const { return mapping_; }
  const std::vector<std::string>& source_columns() const { return source_columns_; }
  const std::vector<CompiledColumn>& columns() const { return columns_; }
  const std::vector<int>& key_indexes() const { return key_indexes_; }
  // Every lookup target this mapping needs loaded (self-references and parked deferred lookups
  // excluded).
  static std::vector<LookupTarget> lookup_targets(
      const spec::MappingSpec& mapping, const spec::Project& project,
      DeferredLookups deferred = DeferredLookups::kPark);
  bool has_self_refs() const { return has_self_refs_; }
  // Quoted, comma-separated target column list for COPY.
  std::string target_column_list() const;

 private:
  // The value of `column` for this row before its lookup; a rejection when a transform refuses.
  Rejection column_value(const CompiledColumn& column, const std::vector<Value>& fields,
                         RowScratch& scratch, const RowContext& context, Value& value) const;
  // generate: uuid_v7: of the load time, or of the row's `from` time (NULL: the load time).
  Rejection time_ordered_id(const CompiledColumn& column, const std::vector<Value>& fields,
                            RowScratch& scratch, const RowContext& context, Value& value) const;

  const spec::MappingSpec& mapping_;
  std::string table_display_;
  std::vector<std::string> source_columns_;
  std::vector<int> key_indexes_;
  std::vector<CompiledColumn> columns_;
  std::vector<const BatchedLookup*> batched_;
  std::vector<std::vector<size_t>> batched_columns_;
  std::vector<int> id_indexes_;  // the id column(s), in target.id_column order
  bool has_self_refs_ = false;
};

}  // namespace mapengine
