// BatchRecord: what one batch adds to the state tables, written inside the batch's own
// transaction so that the rows and their record commit together or not at all: the id map
// entries of the rows written (mapengine.id_map), the pending self-references
// (mapengine.pending_refs) and the rejects (mapengine.rejects). Then advance_checkpoint() moves
// the range's checkpoint, checking (and now and then renewing) the lease in the same statement:
// the fence that stops a process whose mapping was taken over.
//
// The sink decides which rows were written and which refused; this is where the statements
// about the state tables live.
//
// Thread-safety: a BatchRecord belongs to one thread; the functions use only the connection
// they are given.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/row_counts.h"
#include "engine/pg/connection.h"

namespace mapengine {

// A row set aside, with everything a person needs to fix it.
struct RejectRecord {
  std::string legacy_key;
  std::string column;  // target column (or empty when the whole row is concerned)
  std::optional<std::string> value;
  std::string rule;  // "transform", "lookup", "constraint", "data", ...
  std::string reason;
};

// A self-reference or deferred lookup waiting for its target row.
struct PendingRef {
  std::string column;
  std::string legacy_key;
  std::string ref;
};

namespace state {

class BatchRecord {
 public:
  BatchRecord(const std::string& mapping, long long run_id);

  // The id `new_id` the target gave the row of `legacy_key`.
  void add_id(std::string_view legacy_key, std::string_view new_id);
  void add_pending(const PendingRef& ref);
  void add_reject(const RejectRecord& reject);
  // apply --retry-rejects: the rejects recorded for `keys` are deleted before this batch's own
  // are added, so each key keeps only the reject of this attempt, if it failed again.
  void replace_rejects_of(const std::vector<std::string>& keys);

  // Writes the record. Returns how many rejects replace_rejects_of() deleted.
  // REQUIRES: a transaction is open on `target` (the batch's).
  long long write(pg::Connection& target) const;

 private:
  std::string mapping_;
  long long run_id_;
  std::string ids_;      // COPY rows for mapengine.id_map
  std::string pending_;  // COPY rows for mapengine.pending_refs
  std::string rejects_;  // COPY rows for mapengine.rejects
  std::vector<std::string> replaced_;
};

// Where a batch leaves its range's checkpoint, and the figures it adds to it.
struct CheckpointAdvance {
  int range_no = 0;
  std::span<const std::string> previous_key;  // where the checkpoint must be (empty: nowhere yet)
  std::span<const std::string> last_key;      // where it moves (empty: it stays)
  bool range_done = false;
  RowCounts counts;
  // Also fenced by the mapping's lease (this process holds it); false for a process that joined
  // another's run, which holds only its ranges' leases.
  bool mapping_lease = true;
};

// Moves `mapping`'s checkpoint for the batch, in the batch's transaction, if `owner` still holds
// the range's lease (renewed by the same update; given back when the range is done) and, when
// `advance.mapping_lease`, the mapping's (renewing it when `renew_lease`). The leases are checked
// last, in this statement, so their rows are locked only for the end of the batch: a takeover
// either came first, and the batch rolls back, or waits for its commit. Throws Error(kConflict)
// when a lease was taken over (lease_lost(), range_lease_lost()), or when the checkpoint is not
// at `previous_key` (the server lost committed batches, or another process wrote the range:
// going on would skip rows).
void advance_checkpoint(pg::Connection& target, const std::string& mapping,
                        const std::string& owner, const CheckpointAdvance& advance,
                        bool renew_lease);

// apply --retry-rejects: adds to the mapping's counters (in its first range) the rows now
// written and `rejected` again, less the `rejects_removed`, if `owner` still holds the lease
// (checked as advance_checkpoint() checks it). Throws lease_lost() otherwise.
void adjust_retried_counts(pg::Connection& target, const std::string& mapping,
                           const std::string& owner, long long written,
                           long long rejects_removed, long long rejected);

// Whether the batch ending at `last_key` committed in range `range_no` (asked after the
// connection broke during its COMMIT).
bool batch_committed(pg::Connection& target, const std::string& mapping, int range_no,
                     std::span<const std::string> last_key);

}  // namespace state
}  // namespace mapengine
