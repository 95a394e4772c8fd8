// RangeLoader: loads a mapping's key ranges in this process. Each worker claims a range nobody
// holds (state/range_lease.h), loads it through a two-stage pipeline (a producer thread reads
// source rows and transforms them into batches while the worker writes the previous batch, so
// the target never waits for the transforms), then claims the next, until none is left, the
// mapping fails, or the run is interrupted. The workers of one mapping share a MappingShared:
// the first failure stops them all and is kept there for the caller to rethrow.
//
// Thread-safety: load_key_ranges() is called from each worker thread with the same `shared`.
#pragma once

#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/apply/apply_options.h"
#include "engine/apply/row_program.h"
#include "engine/apply/run_context.h"
#include "engine/sink/copy_binary_encoder.h"
#include "engine/spec/mapping_spec.h"
#include "engine/state/lease.h"

namespace mapengine {

// State shared by the range workers of one mapping.
struct MappingShared {
  std::mutex mutex;
  std::exception_ptr failure;
  std::atomic<bool> stop{false};
  long long rejected_before = 0;  // rejects recorded by earlier attempts
  long long read_before = 0;
  state::LeaseRenewal lease;
  bool joined = false;      // apply --join found another process applying the mapping
  std::optional<CopyBinaryEncoder> binary;  // batches' binary form; none: text only
  std::atomic<long long> text_batches{0};   // batches a value kept in text
  std::optional<CopyBinaryEncoder::Declined> first_declined;  // guarded by mutex
  std::vector<int> loaded;  // ranges this process finished, guarded by mutex
  // Dry run with --sample: rows taken so far, whether rows were left out, and the rows set
  // aside because their parent row is outside an upstream mapping's sample (by column).
  std::atomic<long long> sampled{0};
  std::atomic<bool> cut_short{false};
  std::map<std::string, long long> outside_sample;  // guarded by mutex

  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex);
    if (!failure) failure = error;
    stop = true;
  }
};

// A sampled rehearsal's lookups into upstream mappings the sample cut short, by target column:
// a miss there may be a parent row the upstream sample left out rather than a missing one.
struct CutShortParent {
  std::string query;  // the upstream mapping's source query
  std::string key;    // its (single) key column
};
using CutShortParents = std::map<std::string, CutShortParent>;

// The cut-short upstream mappings of `program`'s lookups (empty but in a sampled rehearsal).
CutShortParents cut_short_parents(const RowProgram& program, const spec::Project& project,
                                  const Rehearsal* rehearsal);

// Checks the mapping's max_rejects after a batch; throws Error(kData) when exceeded.
// A percentage is taken of the rows the mapping will read in all (`total`), so that a few bad rows
// early in the table do not abort a run that ends well within the limit.
void check_reject_limit(const spec::MappingSpec& mapping, long long rejected, long long read,
                        long long total);

// Claims key ranges nobody holds, one at a time, and loads each, until none is left or the
// mapping stops (shared.stop). Failures go to shared.fail(), never out. A dry run claims on the
// rehearsal's connection.
void load_key_ranges(const RowProgram& program, const ApplyOptions& options,
                     const RunContext& run, MappingProgress& progress, MappingShared& shared,
                     int batch_size, const CutShortParents& parents);

}  // namespace mapengine
