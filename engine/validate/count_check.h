// The counts check: every source row is accounted for. The source query's rows now, apply's
// recorded figures (mapengine.checkpoints), the reject records (mapengine.rejects) and the target
// rows carrying a legacy key must agree:
//
//   source rows now == rows apply read == written + rejected (+ skipped, mode skip_existing)
//   target rows with a legacy key == written (+ skipped: rows skip_existing kept as found)
//   and the content check found no missing and no extra row (one of each cancels out above)
// Rows following kept for keys the source no longer returns (retired) are counted apart.
//
// When they do not, each difference is explained with the figure behind it (a source that
// changed since apply, rows missing or extra in the target, reject records lost).
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <optional>
#include <string>

#include "engine/common/row_counts.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"
#include "engine/validate/content_check.h"
#include "engine/validate/validation_result.h"

namespace mapengine::validate {

// What mapengine recorded about a mapping in the target; its RowCounts are sums over the
// checkpoints.
struct MappingState : RowCounts {
  bool registered = false;                                     // a row in mapengine.mappings
  std::string status;                                          // pending, running, complete
  std::string checksum;                                        // of the file last applied
  long long reject_records = 0;                                // rows in mapengine.rejects
  // Target rows following kept for keys the source no longer returns (follow.on_delete keep
  // or mark, mapengine.retired): no source row's, so left out of the target's figures.
  long long retired = 0;
};

MappingState load_mapping_state(pg::Connection& target, const std::string& mapping);

// `content` carries the figures of the content check; without it (the content check could not
// run) the source and target are counted directly.
CheckResult check_counts(const spec::MappingSpec& mapping, const MappingState& state,
                         const std::optional<ContentFigures>& content, pg::Connection& source,
                         pg::Connection& target);

}  // namespace mapengine::validate
