// RejectSummary: why a mapping's rows were set aside, read from mapengine.rejects and grouped by
// rule and column, the largest groups first, each with its row count and a few examples (legacy
// key, value, reason). apply prints it after a dry run and when a mapping's rejects need
// attention.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <string>
#include <vector>

#include "engine/pg/connection.h"

namespace mapengine::state {

struct RejectGroup {
  std::string rule;
  std::string column;  // empty when the reject concerns the whole row
  long long rows = 0;
  std::vector<std::string> examples;  // "legacy key 17, value 'x': reason"
};

struct RejectSummary {
  std::vector<RejectGroup> groups;  // the largest first, at most the limit asked for
  long long groups_total = 0;       // groups in all
  long long rows_total = 0;         // rejected rows in all groups
};

// The rejects of `mapping`: of the run `run_id` only, or (run_id 0) every reject it holds since
// it was last (re)started.
RejectSummary summarize_rejects(pg::Connection& target, const std::string& mapping,
                                long long run_id = 0, int group_limit = 8, int example_limit = 3);

}  // namespace mapengine::state
