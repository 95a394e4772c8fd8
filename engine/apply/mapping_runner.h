// MappingRunner: applies ONE mapping: describes the source query, loads lookups, compiles the
// row program, claims the mapping (lease + checksum), splits or resumes its key ranges, runs one
// reader -> transform -> writer pipeline per range, resolves self-references, and records the
// outcome. A dry run does everything but touch the target's state or tables.
//
// Thread-safety: run() may be called concurrently for different mappings.
#pragma once

#include <atomic>
#include <string>

#include "engine/apply/apply_options.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

struct RunContext {
  long long run_id = 0;
  std::string owner;                             // lease owner "host:pid:run"
  const std::atomic<bool>* interrupted = nullptr;  // set by SIGINT/SIGTERM
  std::string snapshot;                          // exported source snapshot (--consistent)
};

// Runs `mapping`. Returns the result (status succeeded / up-to-date / dry-run); throws Error on
// failure after recording it (status failed or interrupted) and releasing the lease.
MappingResult run_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                          const ApplyOptions& options, const RunContext& run,
                          MappingProgress& progress);

}  // namespace mapengine
