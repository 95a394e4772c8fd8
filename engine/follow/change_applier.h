// ChangeApplier: writes one committed source transaction's changes (or several merged, see
// follow::merge) into the target, through the mappings, in ONE target transaction that also
// records the source position (state::confirm_position): all of it commits or none of it does.
//
// For each mapping, in plan order (parents first), the keys that changed are read again
// through the mapping's own source query (current rows), run through the same row program
// (transforms, lookups answered inside the transaction, so a parent written just before is
// found) and upserted by legacy key; rejects replace the keys' earlier rejects. Keys the query no
// longer returns (deleted, or filtered out like a soft delete) are then deleted from the target,
// children first, or, by the mapping's follow.on_delete (keep, mark), kept and recorded as
// retired (state::retire), in the same transaction. The mapping's counters move by what
// changed (retired rows are no source row's), so validate's figures keep adding up.
//
// Thread-safety: one thread; it uses the connections it is given.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/apply/apply_options.h"
#include "engine/apply/row_program.h"
#include "engine/follow/change_collector.h"
#include "engine/lookup/lookup_set.h"
#include "engine/pg/connection.h"
#include "engine/plan/dependency_plan.h"
#include "engine/sink/batch_writer.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::follow {

struct AppliedChanges {
  long long upserted = 0;  // rows written (inserted or updated)
  long long deleted = 0;   // target rows deleted
  long long rejected = 0;  // rows set aside
};

class ChangeApplier {
 public:
  // Prepares every mapping of `plan` that is followed: describes its source query, compiles
  // its row program with lookups queried per change (never cached: the target changes).
  // REQUIRES: the caller holds each mapping's lease as `owner` (state::claim_mapping).
  ChangeApplier(const spec::Project& project, const plan::Plan& plan, pg::Connection& source,
                pg::Connection& target, const ApplyOptions& options, long long run_id,
                std::string owner);
  ~ChangeApplier();

  // Writes `changes` and confirms `changes.end_lsn` for setup `name`, in one transaction on
  // `target`. Throws Error on anything but per-row refusals; nothing is then written.
  AppliedChanges apply(pg::Connection& source, pg::Connection& target,
                       const TransactionChanges& changes, const std::string& name);

 private:
  struct Followed;
  // Upserts the rows the query returns for `keys`; returns the keys it no longer returns.
  std::vector<Key> upsert(Followed& followed, pg::Connection& source, pg::Connection& target,
                          const std::set<Key>& keys, AppliedChanges& applied);
  // Deletes the target rows of `keys` (the source no longer returns them) and of keys now
  // rejected, or, by the mapping's follow.on_delete, keeps (and marks) the former as retired.
  void erase(Followed& followed, pg::Connection& target, const std::vector<Key>& keys,
             AppliedChanges& applied);
  void retire(Followed& followed, pg::Connection& target, const std::vector<Key>& keys);

  std::vector<std::unique_ptr<Followed>> mappings_;  // in plan order
  ApplyOptions options_;
  long long run_id_;
  std::string owner_;
};

}  // namespace mapengine::follow
