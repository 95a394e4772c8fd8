// The typed model of mapping files. The loader (spec_loader.h) builds it from YAML, keeping the
// location of every element so that lint and runtime errors can point at file:line:col.
//
// A mapping file describes how ONE target table is filled from a legacy source query. A
// "migrated" file (kind: migrated) declares target tables that were filled before mapengine
// (profiles, orders, ...) so that lookups can resolve into them.
//
// Thread-safety: plain values; immutable after loading.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"

namespace mapengine::spec {

inline constexpr int kCurrentVersion = 1;

struct TransformStep {
  std::string name;
  YAML::Node main;     // argument under the name key (Null for a bare name)
  YAML::Node options;  // the whole step map (Null for a bare name)
  SourceLocation where;
};

enum class MissPolicy { kReject, kNull, kDefault, kFail };
std::string_view to_string(MissPolicy policy);

struct LookupSpec {
  // Exactly one of `table` / `mapping` is set.
  std::string table;    // a target table name as written ("profiles" or "public.profiles")
  std::string mapping;  // resolve through the engine's id map of this mapping
  std::string match;    // column of `table` holding the legacy value (default: its legacy key)
  std::string returns;  // column of `table` returned (default: its id column)
  MissPolicy on_missing = MissPolicy::kReject;
  std::optional<std::string> default_value;  // for kDefault
  // Deferred: the row is written with NULL here and the reference is filled once the looked-up
  // mapping has written its rows (how a foreign-key cycle between tables is broken). The lookup
  // then adds no dependency.
  bool deferred = false;
  SourceLocation where;
};

// uuid (v4), uuid_v5, uuid_v7. A kUuidTimeOrdered column may have `from` (and transforms): the
// row's own time, which the id then holds instead of the load time.
enum class Generate { kNone, kUuidRandom, kUuidDeterministic, kUuidTimeOrdered };

struct ColumnSpec {
  std::string name;               // target column
  std::vector<std::string> from;  // source columns (empty for constants and generated values
                                  // but a uuid_v7's time)
  bool has_constant = false;
  std::optional<std::string> constant;  // value when has_constant (nullopt = NULL)
  Generate generate = Generate::kNone;
  std::string uuid_namespace;  // for kUuidDeterministic; empty = mapengine's default namespace
  std::vector<TransformStep> transforms;
  std::optional<LookupSpec> lookup;
  SourceLocation where;
};

enum class WriteMode { kInsert, kUpsert, kSkipExisting };
std::string_view to_string(WriteMode mode);

// `target.bulk`: for a table empty at the start, its foreign keys (kWithIndexes: and its
// non-unique secondary indexes) are dropped for the load and re-created after it
// (state/bulk_definitions.h).
enum class BulkMode { kOff, kForeignKeys, kWithIndexes };
std::string_view to_string(BulkMode mode);

// `max_rejects`: how many rejected rows a mapping accepts over its whole life (until it is
// restarted). A mapping that declares none has the default limit 0, judged when the table is
// finished (rows are still set aside, the table completes, the run exits 1); a declared limit
// stops the mapping as soon as it is exceeded.
struct RejectLimit {
  bool percent = false;
  double amount = 0;  // a count, or a percentage of rows read

  // True when `rejected` of `base` rows (the rows the mapping reads in all) are over the limit.
  bool exceeded(long long rejected, long long base) const;
  // As written in a mapping file: "100" or "2%"; parse_reject_limit() reads it back.
  std::string text() const;
};
// Parses "100", "2%" or "0.5%"; nullopt for anything else.
std::optional<RejectLimit> parse_reject_limit(std::string value);
// The verdict on a mapping's rejects: within its declared limit, or none at all when it declares
// no limit. `read` is every row the mapping read since it was last (re)started.
bool rejects_accepted(const std::optional<RejectLimit>& limit, long long rejected, long long read);

enum class CheckKind { kNotNull, kUnique, kAcceptedValues, kRowCount, kSql };

struct CheckSpec {
  CheckKind kind = CheckKind::kNotNull;
  std::vector<std::string> columns;  // not_null, unique (unique over the column tuple)
  std::vector<std::string> values;   // accepted_values
  std::optional<long long> min_rows, max_rows;
  std::string sql;                   // must return no rows
  std::string name;                  // optional label
  SourceLocation where;
};

// `follow.on_delete`: what `mapengine sync` does with the target row of a legacy key the
// source query no longer returns (deleted, or filtered out like a soft delete).
enum class DeletePolicy {
  kDelete,  // the row is deleted (the default)
  kKeep,    // the row stays as it was
  kMark,    // the row stays and FollowSpec::mark_column is set (true, or the time of following)
};
std::string_view to_string(DeletePolicy policy);

// `follow.also[i]`: another source table the query reads (a joined table). A change of one of
// its rows re-evaluates the mapping's keys whose driving-table row joins it: `join` pairs a
// column of the driving table with the joined table's column it equals, as in the query's ON.
struct JoinedTable {
  pg::QualifiedName table;
  std::vector<std::pair<std::string, std::string>> join;  // driving column, joined column
  SourceLocation where;
};

// `follow:`: how `mapengine sync` follows the mapping (docs/following.md).
struct FollowSpec {
  DeletePolicy on_delete = DeletePolicy::kDelete;
  std::string mark_column;  // kMark: a boolean, timestamp(tz) or date column of the table
  std::vector<JoinedTable> also;
};

struct MappingSpec {
  int version = kCurrentVersion;
  std::string file;      // path as given on the command line
  // sha256 hex of what the mapping means: the file's bytes, and the declarations of the
  // migrated tables (_migrated.yaml) its lookups resolve into, when there are any.
  std::string checksum;
  std::string file_checksum;  // sha256 hex of the file's bytes alone (what older versions kept)
  std::string name;      // mapping name; default: table name without schema
  pg::QualifiedName table;

  // Source: a query, or a table (becomes SELECT * FROM table).
  std::string source_query;
  std::vector<std::string> key;  // legacy key columns, in order

  std::vector<std::string> legacy_key_columns;  // target columns holding the key (or empty)
  // Target column(s) holding the row's new id, default `id`. Several for an association table
  // (case_tags(case_id, tag_id)): the row's identity is then its key columns, and the id map
  // keeps their canonical key text (legacy_key_text of the values) as the new id.
  std::vector<std::string> id_columns = {"id"};
  WriteMode mode = WriteMode::kInsert;
  // upsert/skip_existing; default legacy_key_columns, else the id columns of an association.
  std::vector<std::string> conflict_columns;
  BulkMode bulk = BulkMode::kOff;

  int batch_size = 1000;
  int parallel = 1;  // key ranges loaded concurrently
  std::vector<std::string> depends_on;
  std::optional<RejectLimit> max_rejects;
  std::vector<ColumnSpec> columns;
  std::vector<CheckSpec> checks;
  FollowSpec follow;

  SourceLocation where;  // the document
  // Where each element was written, by path: "table", "source.key", "source.key[1]",
  // "target.mode", "depends_on[0]", "columns.<col>" (the column's key), "columns.<col>.from[0]",
  // "columns.<col>.lookup.table", "columns.<col>.lookup.on_missing", "follow.on_delete",
  // "follow.on_delete.mark", "follow.also[i].table", ... (see spec_loader.cpp).
  // Values are located at the value; the maps "source", "target", "columns" at their key.
  std::map<std::string, SourceLocation> spots;

  // The location recorded for `path`, or the document's.
  const SourceLocation& at(const std::string& path) const;
  const ColumnSpec* find_column(std::string_view column) const;
  // Whether `recorded` (a checksum apply kept) stands for the mapping as it is now: its
  // checksum, or the checksum of the file alone that an older mapengine kept.
  bool has_checksum(std::string_view recorded) const {
    return recorded == checksum || recorded == file_checksum;
  }
  // An association table: several id columns (its key columns are the row's identity).
  bool is_association() const { return id_columns.size() > 1; }
  // The id column a lookup returns by default: the only one, or empty for an association.
  std::string single_id_column() const { return id_columns.size() == 1 ? id_columns[0] : ""; }
};

// A target table migrated before mapengine; lookups may resolve into it.
struct MigratedTable {
  std::string name;  // short name used in lookups (default: table name)
  pg::QualifiedName table;
  std::vector<std::string> legacy_key_columns;
  std::string id_column = "id";
  SourceLocation where;
};

// Everything loaded for one command: the mappings to act on, plus context (sibling mappings and
// migrated tables in the same folders) used to resolve lookups and dependencies.
struct Project {
  std::vector<MappingSpec> mappings;  // the ones named on the command line (or in named folders)
  std::vector<MappingSpec> context;   // siblings, for resolution only
  std::vector<MigratedTable> migrated;
  // Files that failed to load (already reported once): the names a lookup or depends_on may
  // use for each (its `table:` and `name:` when they could be read, and the file's stem), so
  // references to it are not reported again as unknown.
  std::vector<std::string> unloaded;

  bool is_unloaded(std::string_view name) const;

  // Finds a producer of a target table by name ("profiles", "public.profiles") or mapping name.
  const MappingSpec* find_mapping(std::string_view name) const;
  const MigratedTable* find_migrated(std::string_view name) const;
};

}  // namespace mapengine::spec
