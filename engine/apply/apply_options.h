// Options of `mapengine apply` and the figures it reports per mapping.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "engine/common/retry.h"
#include "engine/sink/batch_writer.h"
#include "engine/source/source_reader.h"

namespace mapengine {

struct ApplyOptions {
  std::string source_url;
  std::string target_url;
  bool dry_run = false;
  bool allow_changed = false;
  bool restart = false;
  bool retry_rejects = false;  // re-process only the rejected rows of completed mappings
  int jobs = 1;                // mappings run concurrently (dependencies still hold)
  int parallel = 0;            // key ranges per mapping; 0 = the mapping's `parallel`
  int batch_size = 0;          // 0 = the mapping's batch_size
  RetryPolicy retry;           // transient errors, in every phase (--retry-for, --retries)
  int sample_rows = 5;         // dry run: transformed rows shown per mapping
  long long sample = 0;        // dry run: rows rehearsed per mapping, the first by key (0: all)
  bool consistent = false;     // read all sources from one exported snapshot
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
};

// The rejects of one rule and column, with a few examples (dry run).
struct RejectGroup {
  std::string rule;
  std::string column;  // empty: the whole row
  long long rows = 0;
  std::vector<std::string> examples;  // "legacy key 17, value 'x': reason"
};

struct MappingResult {
  std::string name;
  std::string table;
  std::string status;  // succeeded, up-to-date, waiting (deferred references), failed,
                       // interrupted, dry-run, over-limit
  long long read = 0, written = 0, rejected = 0, skipped = 0;
  double seconds = 0;
  std::string message;
  std::vector<std::string> sample;  // dry run: a few transformed rows (COPY text)
  std::vector<RejectGroup> reject_groups;  // dry run: the reasons of the rejects, most first
  long long reject_groups_total = 0;       // dry run: groups in all (the first are listed)
  // Dry run with --sample: rows whose lookup missed a parent row the upstream mapping's
  // sample left out, by column. Neither written nor rejected.
  std::map<std::string, long long> outside_sample;
};

}  // namespace mapengine
