// Options of `mapengine apply` and the figures it reports per mapping.
#pragma once

#include <atomic>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/retry.h"
#include "engine/common/row_counts.h"
#include "engine/sink/batch_writer.h"
#include "engine/source/source_reader.h"
#include "engine/state/reject_summary.h"

namespace mapengine {

struct ApplyOptions {
  std::string source_url;
  std::string target_url;
  bool dry_run = false;
  bool allow_changed = false;
  bool restart = false;
  bool retry_rejects = false;  // re-process only the rejected rows of completed mappings
  bool allow_existing_rows = false;  // see state::ClaimOptions
  int jobs = 1;                // mappings run concurrently (dependencies still hold)
  int parallel = 0;            // key ranges loaded at once per mapping; 0 = its `parallel`
  int ranges = 0;              // key ranges a mapping is split into when it starts; 0 = parallel
  bool join = false;           // load the ranges nobody holds of mappings another process applies
  int batch_size = 0;          // 0 = the mapping's batch_size
  RetryPolicy retry;           // transient errors, in every phase (--retry-for, --retries)
  int sample_rows = 5;         // dry run: transformed rows shown per mapping
  long long sample = 0;        // dry run: rows rehearsed per mapping, the first by key (0: all)
  bool consistent = false;     // read all sources from one exported snapshot
  bool bulk = false;           // target.bulk: true for every mapping that does not set it
  // Batches go in COPY's binary format when every target column's type has an encoder
  // (sink/copy_binary_encoder.h); false sends text only (--copy-format text).
  bool binary_copy = true;
  // A snapshot exported elsewhere to read every source from (sync: the replication slot's);
  // its exporting session must stay open for the whole run.
  std::string source_snapshot;
  // Memory for lookups loaded whole, shared by the mappings running at once; a lookup that
  // does not fit is queried per batch instead.
  long long lookup_memory_bytes = 512LL << 20;
  SourceOptions source;
  TransactionSettings transaction;
};

// Live counters of one mapping, read by the progress display.
struct MappingProgress {
  std::string name;
  std::atomic<long long> total{-1};
  std::atomic<bool> total_estimated{false};  // total is the planner's estimate, not a count
  std::atomic<long long> read{0}, written{0}, rejected{0}, skipped{0};
  std::atomic<bool> running{false}, finished{false};
  std::atomic<double> started_at{0};  // seconds since epoch

  RowCounts counts() const { return {read, written, rejected, skipped}; }
};

// How a mapping's apply ended, or (a subset) a whole run's. Printed, logged and recorded as
// to_string() says.
enum class ApplyStatus {
  kSkipped,      // "skipped": not run (a mapping it depends on failed, or the run stopped)
  kSucceeded,    // "succeeded"
  kUpToDate,     // "up-to-date": already applied with this very file
  kWaiting,      // "waiting": deferred references wait for a mapping not applied yet
  kFailed,       // "failed"
  kInterrupted,  // "interrupted"
  kDryRun,       // "dry-run": rehearsed
  kOverLimit,    // "over-limit": rehearsed; a real apply would stop at its max_rejects
  // "rejects": the table is finished but its rejects need attention (it declares no
  // max_rejects and rejected rows, or they exceed the limit it declares now)
  kRejects,
  // "handed-over": apply --join: this process's key ranges are loaded and another process,
  // loading the rest, finishes the mapping (mappings that depend on it are not run)
  kHandedOver,
};
std::string_view to_string(ApplyStatus status);
// JSON (log lines, summaries) writes the same words.
void to_json(nlohmann::json& out, ApplyStatus status);

// A mapping's outcome; its RowCounts are the mapping's since it was last (re)started.
struct MappingResult : RowCounts {
  std::string name;
  std::string table;
  ApplyStatus status = ApplyStatus::kSkipped;
  double seconds = 0;
  std::string message;
  std::vector<std::string> sample;  // dry run: a few transformed rows (COPY text)
  // Why rows were set aside: after a dry run (that run's rejects), and when the mapping's
  // rejects need attention or stopped it (all it holds).
  state::RejectSummary reject_summary;
  // Dry run with --sample: rows whose lookup missed a parent row the upstream mapping's
  // sample left out, by column. Neither written nor rejected.
  std::map<std::string, long long> outside_sample;
};

}  // namespace mapengine
