// The result of one `mapengine apply` as a JSON document: what `apply --summary-json FILE`
// writes and what the `apply_summary` event of JSON logs carries. The fields are listed in
// docs/workflow.md ("Machine-readable results"); a field may be added, never renamed or removed.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/apply/applier.h"

namespace mapengine {

struct SummaryContext {
  std::string version;      // "mapengine 0.1.0 (commit ...)"
  bool dry_run = false;
  int exit_code = 0;        // the process's exit code, decided before the document is written
  double started_at = 0;    // when the command started, seconds since the epoch
  double finished_at = 0;
};

nlohmann::json summary_to_json(const ApplySummary& summary, const SummaryContext& context);

// "2026-12-03T04:05:06.789Z"
std::string utc_timestamp(double seconds_since_epoch);

}  // namespace mapengine
