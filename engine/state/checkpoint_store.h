// CheckpointStore: the durable progress of each mapping (mapengine.mappings and
// mapengine.checkpoints) and the lease that makes runs exclusive.
//
// Exclusive runs: a mapping is claimed with a lease (state/lease.h) taken in one short
// transaction and renewed by the batch transactions (state/batch_record.h). A second process is
// refused with the holder's host, pid and start time, unless it joins the run (apply --join,
// state/range_lease.h). A lease whose owner is a dead process on the same host, or whose expiry
// has passed, is taken over.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/common/row_counts.h"
#include "engine/pg/connection.h"
#include "engine/source/source_reader.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::state {

// A key range's checkpoint, with the rows its batches read, wrote, rejected and skipped.
struct RangeState : RowCounts {
  int range_no = 0;
  KeyRange range;
  std::optional<KeyParts> last_key;
  bool done = false;
};

enum class ClaimStatus {
  kFresh,     // nothing recorded yet: start from the beginning
  kResume,    // an earlier attempt committed batches: continue after them
  kComplete,  // already applied with this very file: nothing to do
  kJoin,      // ClaimOptions::join: another live process is applying it; load ranges alongside
};

struct ClaimOptions {
  bool allow_changed = false;  // continue although the file changed since the last attempt
  bool restart = false;        // forget checkpoints and start from the beginning
  // apply --retry-rejects: only a complete mapping; a changed file is accepted (and recorded)
  // for the rows retried. Returns kResume with the lease taken.
  bool retry_rejects = false;
  // sync, following changes (with retry_rejects): also a mapping a killed follower left running.
  bool follow = false;
  // Start an insert-mode mapping this target has no record of although its table has rows
  // (refused otherwise: its state was lost, and inserting would load every row again).
  bool allow_existing_rows = false;
  // apply --join: while another live process applies the mapping (holds its lease or one of its
  // ranges'), return kJoin, taking no lease, instead of refusing; the file must be the one that
  // process applies. When none does, the claim is the usual one.
  bool join = false;
};

// Registers `mapping`, checks its checksum against the recorded one and takes the lease for
// `owner`. Throws Error(kConflict) when another live process holds the lease or the lease of one
// of the mapping's ranges (unless options.join), or when the file changed and neither
// allow_changed nor restart is given. kComplete and kJoin take no lease.
// Registration is one transaction: the claim, the run_mappings record of `run_id` and the
// rebuilt mapengine.id_maps view commit together or not at all, so a failure (a table that does
// not exist) leaves no lease, no `running` status and no view that names the mapping.
// Throws Error(kConflict) for an insert-mode mapping first registered on this target whose
// table already holds rows, unless allow_existing_rows.
ClaimStatus claim_mapping(pg::Connection& target, const spec::MappingSpec& mapping,
                          const std::string& owner, long long run_id,
                          const ClaimOptions& options);

// The checksum recorded for `mapping` (of the file it was last applied with), if registered.
std::optional<std::string> recorded_checksum(pg::Connection& target, const std::string& mapping);

std::vector<RangeState> load_ranges(pg::Connection& target, const std::string& mapping);
void create_ranges(pg::Connection& target, const std::string& mapping,
                   const std::vector<KeyRange>& ranges);

// Marks the mapping complete and releases the lease.
void complete_mapping(pg::Connection& target, const std::string& mapping,
                      const std::string& owner);
// Releases the lease (after a failure or an interruption); progress stays recorded.
void release_lease(pg::Connection& target, const std::string& mapping, const std::string& owner);

}  // namespace mapengine::state
