// Range leases: how processes share one mapping's key ranges (apply --join).
//
// Each key range (a row of mapengine.checkpoints) has a lease of its own, with the policy of the
// mapping's (state/lease.h: kLeaseDuration, taken over when expired or its owner is dead). A
// process takes one range at a time with claim_range(), which locks the range rows with
// FOR UPDATE SKIP LOCKED: two processes claiming at once never take the same range, and a range
// whose batch is committing (its row locked by the batch's checkpoint update) is passed over.
// Every batch moves its range's checkpoint only while its process holds the range's lease
// (advance_checkpoint), renewing it; a range done gives its lease back.
//
// The mapping's lease keeps its other duties: the process holding it registers the mapping,
// splits its ranges (once: a process that joins never splits again) and sets definitions aside
// for a bulk load. When no range is left to claim, claim_finish() elects the one process that
// runs the mapping-level steps after the last range (bulk re-adds, self-references, the
// completion): the first to find every range done takes the mapping's lease for them.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "engine/state/checkpoint_store.h"

namespace mapengine::state {

// Who holds one of a mapping's unfinished ranges.
struct RangeHolder {
  int range_no = 0;
  std::string owner;  // "host:pid:run:instance"
  bool live = false;  // unexpired and not known to be dead
};

// The holders of `mapping`'s unfinished ranges, by range (ranges nobody holds are left out).
std::vector<RangeHolder> range_holders(pg::Connection& target, const std::string& mapping);

// The first of `holders` other than `owner` whose lease is live, if any.
std::optional<RangeHolder> live_range_holder(const std::vector<RangeHolder>& holders,
                                             const std::string& owner);

// Takes the lease of the first unfinished range of `mapping` that nobody else holds (never held,
// given back, expired, or held by a process of this host that has ended) for `owner`, in one
// transaction, and returns it; nullopt when none is left. Taking over a dead process's range
// marks its run abandoned; the range resumes at its last committed checkpoint.
std::optional<RangeState> claim_range(pg::Connection& target, const std::string& mapping,
                                      const std::string& owner, long long run_id);

// Whether `owner` holds range `range_no`'s lease now (read outside any transaction).
bool holds_range_lease(pg::Connection& target, const std::string& mapping, int range_no,
                       const std::string& owner);

// Gives back the range leases `owner` holds (after a failure or an interruption).
void release_ranges(pg::Connection& target, const std::string& mapping, const std::string& owner);

// The error of a batch that finds its range's lease taken over (Error kConflict).
Error range_lease_lost(const std::string& mapping, int range_no);

// claim_finish's answer.
struct FinishClaim {
  bool finish = false;   // this process holds the mapping's lease and finishes the mapping
  std::string finisher;  // otherwise, the live holder of the mapping's lease, if any
};

// After `owner` found no range left to claim: when every range is done and no other live
// process holds the mapping's lease, takes it for `owner` (run `run_id`), who then runs the
// mapping-level steps; otherwise gives back the mapping's lease if `owner` holds it, so that
// the process that loads the last range can take it. One transaction, serialised on the
// mapping's row: exactly one of the processes that finish ranges at once finishes the mapping.
FinishClaim claim_finish(pg::Connection& target, const std::string& mapping,
                         const std::string& owner, long long run_id);

}  // namespace mapengine::state
