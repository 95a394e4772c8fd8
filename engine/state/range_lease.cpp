#include "engine/state/range_lease.h"

#include <fmt/format.h>

#include "engine/pg/array_literal.h"
#include "engine/pg/transaction.h"
#include "engine/state/lease.h"
#include "engine/state/run_store.h"

namespace mapengine::state {

std::vector<RangeHolder> range_holders(pg::Connection& target, const std::string& mapping) {
  pg::Result rows = target.exec(
      "SELECT range_no, lease_owner, COALESCE(lease_until > clock_timestamp(), false) "
      "FROM mapengine.checkpoints WHERE mapping = $1 AND NOT done AND lease_owner IS NOT NULL "
      "ORDER BY range_no",
      {mapping});
  std::vector<RangeHolder> holders;
  for (int r = 0; r < rows.rows(); ++r) {
    RangeHolder holder;
    holder.range_no = std::stoi(std::string(rows.value(r, 0)));
    holder.owner = rows.value(r, 1);
    holder.live = rows.value(r, 2) == "t" && !owner_is_dead(holder.owner);
    holders.push_back(std::move(holder));
  }
  return holders;
}

std::optional<RangeHolder> live_range_holder(const std::vector<RangeHolder>& holders,
                                             const std::string& owner) {
  for (const auto& holder : holders) {
    if (holder.live && holder.owner != owner) return holder;
  }
  return std::nullopt;
}

std::optional<RangeState> claim_range(pg::Connection& target, const std::string& mapping,
                                      const std::string& owner, long long run_id) {
  pg::Transaction tx(target);
  // Ranges held by a live process of this host (owner_is_dead decides, not SQL): passed over.
  std::vector<std::string> passed;
  for (;;) {
    pg::Result row = target.exec(
        "SELECT range_no, COALESCE(lease_owner, ''), "
        "COALESCE(lease_until > clock_timestamp(), false), lease_run_id "
        "FROM mapengine.checkpoints WHERE mapping = $1 AND NOT done "
        "AND lease_owner IS DISTINCT FROM $2 AND range_no <> ALL ($3::int[]) "
        "ORDER BY range_no LIMIT 1 FOR UPDATE SKIP LOCKED",
        {mapping, owner, pg::text_array_literal(passed)});
    if (row.rows() == 0) break;
    std::string range_no(row.value(0, 0));
    std::string holder(row.value(0, 1));
    LeaseDecision decision = decide_lease(holder, row.value(0, 2) == "t", owner);
    if (decision == LeaseDecision::kRefuse) {
      passed.push_back(range_no);
      continue;
    }
    target.exec(fmt::format("UPDATE mapengine.checkpoints SET lease_owner = $3, "
                            "lease_run_id = $4, lease_until = {} "
                            "WHERE mapping = $1 AND range_no = $2",
                            lease_expiry_sql()),
                {mapping, range_no, owner, std::to_string(run_id)});
    if (decision == LeaseDecision::kTakeOver && !row.is_null(0, 3)) {
      // Its process ended without giving the range back (kill -9, a machine that stopped).
      std::string previous(row.value(0, 3));
      std::string message = fmt::format(
          "ended without recording its outcome (killed, or its machine stopped); run {} took "
          "over its key range {} of {}",
          run_id, range_no, mapping);
      target.exec(
          "UPDATE mapengine.runs SET status = 'abandoned', finished_at = clock_timestamp(), "
          "message = $2 WHERE run_id = $1 AND status = 'running'",
          {previous, message});
      target.exec(
          "UPDATE mapengine.run_mappings SET status = 'abandoned', finished_at = "
          "clock_timestamp(), message = $3 WHERE run_id = $1 AND mapping = $2 AND status = "
          "'running'",
          {previous, mapping, message});
    }
    tx.commit();
    int number = std::stoi(range_no);
    for (auto& range : load_ranges(target, mapping)) {
      if (range.range_no == number) return range;
    }
    return std::nullopt;  // reset meanwhile
  }
  tx.commit();
  return std::nullopt;
}

bool holds_range_lease(pg::Connection& target, const std::string& mapping, int range_no,
                       const std::string& owner) {
  return target
             .exec(
                 "SELECT FROM mapengine.checkpoints WHERE mapping = $1 AND range_no = $2 "
                 "AND lease_owner = $3",
                 {mapping, std::to_string(range_no), owner})
             .rows() == 1;
}

void release_ranges(pg::Connection& target, const std::string& mapping, const std::string& owner) {
  target.exec(
      "UPDATE mapengine.checkpoints SET lease_owner = NULL, lease_run_id = NULL, "
      "lease_until = NULL WHERE mapping = $1 AND lease_owner = $2",
      {mapping, owner});
}

Error range_lease_lost(const std::string& mapping, int range_no) {
  return Error::conflict(fmt::format(
      "{}: range {}: this process no longer holds the range's lease (another mapengine took it "
      "over); stopping without writing",
      mapping, range_no));
}

FinishClaim claim_finish(pg::Connection& target, const std::string& mapping,
                         const std::string& owner, long long run_id) {
  FinishClaim claim;
  pg::Transaction tx(target);
  pg::Result row = target.exec(
      "SELECT COALESCE(lease_owner, ''), COALESCE(lease_until > clock_timestamp(), false), "
      "status FROM mapengine.mappings WHERE mapping = $1 FOR UPDATE",
      {mapping});
  if (row.rows() == 0) throw Error::conflict(fmt::format("{}: reset meanwhile", mapping));
  std::string holder(row.value(0, 0));
  LeaseDecision decision = decide_lease(holder, row.value(0, 1) == "t", owner);
  // A statement of its own, after the row's lock: it sees every range finished before.
  bool all_done = target
                      .exec(
                          "SELECT NOT EXISTS (SELECT FROM mapengine.checkpoints "
                          "WHERE mapping = $1 AND NOT done)",
                          {mapping})
                      .value(0, 0) == "t";
  if (row.value(0, 2) == "running" && all_done && decision != LeaseDecision::kRefuse) {
    target.exec(fmt::format("UPDATE mapengine.mappings SET lease_owner = $2, lease_run_id = $3, "
                            "lease_until = {} WHERE mapping = $1",
                            lease_expiry_sql()),
                {mapping, owner, std::to_string(run_id)});
    claim.finish = true;
  } else {
    if (holder == owner) release_lease(target, mapping, owner);
    if (decision == LeaseDecision::kRefuse) claim.finisher = holder;
  }
  tx.commit();
  return claim;
}

}  // namespace mapengine::state
