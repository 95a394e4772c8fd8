// MigrationReport: the final account of a migration, read from the target's mapengine state
// (and the mapping files, when given): every table ever migrated with its run history, rows read
// / written / rejected, time and throughput, the top reject reasons (whole) with examples, where
// its id map lives and how many entries it holds, the latest validation, the dependency order,
// the files' checksums, the tables migrated before mapengine with their rows, and an overall
// verdict. Rendered as markdown for people
// (markdown_report.h) and as JSON for machines (the same content).
//
// Thread-safety: plain values; load_report() uses only the connection it is given.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/row_counts.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::report {

struct RunRecord {
  long long run_id = 0;
  std::string command;                  // apply, validate
  std::string status;                   // running, succeeded, failed, interrupted
  std::string started_at, finished_at;  // "YYYY-MM-DD HH:MM:SS UTC"; finished empty if running
  std::optional<double> seconds;
  std::string user, host;
  std::string message;
};

struct TableRun : RowCounts {
  long long run_id = 0;
  std::string status;
  std::string started_at;
  std::optional<double> seconds;
  std::string checksum;
  std::string message;
};

struct RejectReason {
  std::string rule;
  std::string column;
  std::string reason;  // normalised: values replaced by …, numbers by N
  std::string first;   // the whole reason of the group's first reject, values included
  long long rows = 0;
  std::vector<std::string> examples;  // "legacy key 104 (value '105')"
};

struct CheckLine {
  std::string check;
  std::string label;
  bool ok = false;
  std::string summary;
};

struct LatestValidation {
  long long run_id = 0;
  bool ok = false;
  std::string checked_at;
  bool current = false;  // checked after the mapping last completed
  std::vector<CheckLine> checks;
};

// Its RowCounts are the checkpoints' now.
struct TableReport : RowCounts {
  int order = 0;  // 1-based position in the dependency order
  std::string mapping;
  std::string table;
  std::vector<std::string> depends_on;
  std::vector<std::string> migrated_lookups;  // tables migrated earlier its lookups read
  std::string file;
  std::string checksum;    // of the file as applied
  std::string file_state;  // unchanged, changed, not found, not given
  // pending, running, complete; waiting: complete, but deferred references wait for a mapping
  // not applied yet (pending_refs)
  std::string status;
  long long waiting_refs = 0;  // deferred references not filled yet
  // Rows following kept for keys the source no longer returns (follow.on_delete keep, mark):
  // not among the figures, which are the source's rows; and the policies that kept them.
  long long retired = 0;
  std::string retired_policies;
  std::string started_at, completed_at;
  long long reject_records = 0;
  std::optional<std::string> max_rejects;  // as last applied; nullopt: none declared (0)
  long long reject_groups = 0;  // distinct reasons (the top ones are listed)
  double seconds = 0;           // sum over its runs
  // Id map: where a legacy key's new id is kept (the table's legacy-key columns, or
  // mapengine.id_map for a mapping without target.legacy_key) and the entries of the
  // mapengine.id_maps view for it (nullopt: the view does not present it).
  std::vector<std::string> legacy_key_columns;
  std::string id_column;
  std::optional<long long> id_map_entries;
  std::vector<TableRun> runs;
  std::vector<RejectReason> reject_reasons;
  std::optional<LatestValidation> validation;
};

// Its RowCounts are the tables' summed.
struct Verdict : RowCounts {
  bool ok = false;
  bool complete = false;          // every mapping complete
  bool validated = false;         // every mapping's latest validation passed, after its last apply
  bool rejects_recorded = false;  // rejected rows = reject records
  bool rejects_accepted = false;  // every mapping's rejects within its max_rejects (default 0)
  bool files_as_applied = false;  // no mapping file given differs from the one last applied
  std::string headline;           // one sentence
  std::vector<std::string> issues;
};

// A table filled before mapengine, declared in a `kind: migrated` file.
struct MigratedTableReport {
  std::string name;  // as lookups name it
  std::string table;
  std::vector<std::string> legacy_key_columns;
  std::optional<long long> rows;  // nullopt: the table does not exist on the target
};

struct Throughput {
  double apply_seconds = 0;  // sum of the durations of every apply run
  long long apply_runs = 0;
  std::string first_started, last_finished;  // of the apply runs ("" when none)
  double rows_per_second = 0;                // rows written / apply_seconds
};

struct MigrationReport {
  std::string generated_at;
  std::string version;  // "mapengine 0.1.0 (commit ...)", set by the caller
  std::string source;   // connection strings as given, passwords redacted; set by the caller
  std::string target_url;
  std::string target;               // "database tgt on host h" (never credentials)
  std::string order_source;         // where the dependency order comes from
  std::vector<TableReport> tables;  // in dependency order
  std::vector<RunRecord> runs;      // newest first, at most kMaxRuns
  long long runs_total = 0;
  std::vector<MigratedTableReport> migrated;  // from the mapping files' migrated declarations
  Throughput throughput;
  Verdict verdict;
};

inline constexpr size_t kMaxRuns = 50;
inline constexpr int kTopReasons = 10;

// Reads the report from the target's state. `project` (optional) supplies the mapping files: the
// dependency order and the files' current checksums; without it, the files recorded at apply
// time are read when they still exist.
MigrationReport load_report(pg::Connection& target, const spec::Project* project);

nlohmann::json to_json(const MigrationReport& report);

}  // namespace mapengine::report
