// Applier: runs a planned set of mappings: records the run, exports a source snapshot when asked
// (--consistent), schedules mappings on up to `jobs` workers in dependency order (a mapping
// starts only when everything it depends on succeeded), and collects the per-mapping results.
//
// Thread-safety: apply() is called once per process, from the main thread.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "engine/apply/apply_options.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

struct ApplySummary {
  long long run_id = 0;  // 0 for dry runs
  std::vector<MappingResult> results;  // in plan order; mappings never started are "skipped"
  std::string status;                  // succeeded, failed, interrupted, dry-run
  std::string error;                   // the first failure, one line
  int error_kind = 0;                  // ErrorKind of the first failure (as int)
  double seconds = 0;
};

ApplySummary apply(const spec::Project& project, const plan::Plan& plan,
                   const ApplyOptions& options, const std::atomic<bool>* interrupted,
                   bool show_progress);

// The end-of-run table a person reads (one line per mapping).
std::string format_summary(const ApplySummary& summary);

}  // namespace mapengine
