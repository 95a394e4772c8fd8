// MappingStatus: where each mapping stands on a target, read from the state schema for
// `mapengine status`: its state, its last run, its rows, its key ranges and its leases (the
// mapping's, and which process holds each range being loaded).
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/row_counts.h"
#include "engine/pg/connection.h"
#include "engine/state/range_lease.h"

namespace mapengine::state {

struct LastRun {
  long long run_id = 0;
  std::string command;   // apply, reset
  std::string outcome;   // the mapping's status in that run: succeeded, failed, interrupted, ...
  std::string started_at, finished_at;  // "YYYY-MM-DD HH:MM:SS+TZ"; finished empty if running
  std::string user, host;
  std::string message;
};

// Its RowCounts are over all its runs.
struct MappingStatus : RowCounts {
  std::string mapping;
  std::string table;     // schema.name
  std::string file;      // as recorded when it last ran
  std::string checksum;  // as recorded
  // not applied (nothing recorded), pending, running (a live process holds it), interrupted,
  // failed (its last run stopped it and it may be resumed), complete, reset (nothing left
  // since `mapengine reset`).
  std::string state = "not applied";
  std::optional<LastRun> last_run;
  long long rejects_now = 0;  // rows in mapengine.rejects (what `mapengine rejects` exports)
  int ranges_done = 0, ranges_total = 0;
  std::string lease_owner;  // "host:pid:run" while held
  std::string lease_until;
  bool lease_live = false;  // held by a process that is alive (or not known to be dead)
  // The unfinished key ranges live processes hold (apply --join shares them), by range.
  std::vector<RangeHolder> range_leases;
  std::string completed_at;
};

// The status of `mappings` (names, in this order), or of every registered mapping by name when
// empty. A target without the state schema gives every named mapping "not applied".
std::vector<MappingStatus> load_status(pg::Connection& target,
                                       const std::vector<std::string>& mappings);

nlohmann::json to_json(const MappingStatus& status);

}  // namespace mapengine::state
