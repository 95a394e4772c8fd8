// MappingRunner: applies ONE mapping: describes the source query, loads lookups, compiles the
// row program, claims the mapping (lease + checksum), splits or resumes its key ranges, claims
// them one at a time (state/range_lease.h) and runs one reader -> transform -> writer pipeline
// per range, then, in the one process that finds every range done, resolves self-references and
// records the outcome. With ApplyOptions::join it loads, alongside the process applying the
// mapping, the ranges nobody holds. A dry run (RunContext::rehearsal) does all of it on the
// rehearsal's connection.
//
// Thread-safety: run() may be called concurrently for different mappings.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "engine/apply/apply_options.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

// A dry run's rehearsal (see applier.h): every statement on the target goes through one
// connection, held in a transaction that is rolled back at the end, so that a mapping's lookups
// see the rows of the mappings rehearsed before it and the server checks every row.
struct Rehearsal {
  pg::Connection* target = nullptr;  // held (pg::Connection::hold_transaction())
  std::mutex mutex;                  // a range's reader and writer threads share `target`
  std::set<std::string> cut_short;   // mappings whose --sample left source rows out
};

struct RunContext {
  long long run_id = 0;
  std::string owner;                             // lease owner "host:pid:run"
  const std::atomic<bool>* interrupted = nullptr;  // set by SIGINT/SIGTERM
  std::string snapshot;                          // exported source snapshot (--consistent)
  Rehearsal* rehearsal = nullptr;                // dry runs only; mappings run one at a time
  // Mappings --restart reset (they were recorded on this target): rows left in their tables
  // are not theirs, so they start although their tables hold rows.
  std::set<std::string> reset_for_restart;
};

// Runs `mapping`. Returns the result (status succeeded / up-to-date / handed-over when another
// process finishes it; in a dry run dry-run, or over-limit when its rejects exceed max_rejects); throws Error on failure after recording it
// (status failed or interrupted) and releasing the lease.
MappingResult run_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                          const ApplyOptions& options, const RunContext& run,
                          MappingProgress& progress);

}  // namespace mapengine
