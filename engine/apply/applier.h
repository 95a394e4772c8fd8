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
#include "engine/common/error.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

struct ApplySummary {
  long long run_id = 0;  // 0 for dry runs
  std::vector<MappingResult> results;  // in plan order; mappings never started are "skipped"
  // succeeded, failed, interrupted, dry-run; rejects: every mapping finished but the rejects of
  // at least one need attention (see MappingResult::status)
  ApplyStatus status = ApplyStatus::kSucceeded;
  std::string error;                            // the first failure, one line
  ErrorKind error_kind = ErrorKind::kInternal;  // of the first failure
  std::string error_sqlstate;          // its SQLSTATE, when the server gave one
  bool error_permanent = false;        // Error::is_permanent() of the first failure
  double seconds = 0;
};

ApplySummary apply(const spec::Project& project, const plan::Plan& plan,
                   const ApplyOptions& options, const std::atomic<bool>* interrupted,
                   bool show_progress);

// The end-of-run table a person reads (one line per mapping).
std::string format_summary(const ApplySummary& summary);
// Why the mapping's rows were set aside (result.reject_summary): by rule and column with a
// count and examples. Empty when there is none.
std::string format_reject_summary(const MappingResult& result);
// format_reject_summary() of every mapping, with what to do for those whose rejects need
// attention. Empty when there is none.
std::string format_reject_reasons(const ApplySummary& summary);

}  // namespace mapengine
