// MappingRunner: applies ONE mapping: describes the source query, loads lookups, compiles the
// row program, claims the mapping (lease + checksum), splits or resumes its key ranges and has
// them loaded (apply/range_loader.h: each claimed, one at a time, and run through a reader ->
// transform -> writer pipeline), then, in the one process that finds every range done,
// re-creates what a bulk load set aside, resolves self-references and records the outcome. With
// ApplyOptions::join it loads, alongside the process applying the mapping, the ranges nobody
// holds. A dry run (RunContext::rehearsal) does all of it on the rehearsal's connection.
//
// Thread-safety: run_mapping() may be called concurrently for different mappings.
#pragma once

#include "engine/apply/apply_options.h"
#include "engine/apply/run_context.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

// Runs `mapping`. Returns the result (status succeeded / up-to-date / handed-over when another
// process finishes it; in a dry run dry-run, or over-limit when its rejects exceed
// max_rejects); throws Error on failure after recording it (status failed or interrupted) and
// releasing the lease.
MappingResult run_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                          const ApplyOptions& options, const RunContext& run,
                          MappingProgress& progress);

}  // namespace mapengine
