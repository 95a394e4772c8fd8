// The lease policy: how a process holds a mapping exclusively (mapengine.mappings' lease_owner,
// lease_until), for how long, and when it is renewed, checked or taken over.
//
// A session advisory lock would not survive a transaction-mode pooler, so a mapping is claimed
// with a lease row taken in one short transaction (claim_mapping) and renewed by the batch
// transactions (advance_checkpoint) every kLeaseRenewalInterval; it lasts kLeaseDuration after
// its last renewal. A lease is kept from its owner only by another process that is alive: a
// lease whose expiry has passed, or whose owner is a process of this host known to have ended
// (owner_is_dead), is taken over.
//
// Thread-safety: LeaseRenewal::due() may be called from any thread; the functions are pure or
// use only the connection they are given.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "engine/common/error.h"
#include "engine/pg/connection.h"

namespace mapengine::state {

inline constexpr std::chrono::minutes kLeaseDuration{5};
inline constexpr std::chrono::seconds kLeaseRenewalInterval{30};

// The lease's duration as messages and SQL intervals say it: "5 minutes".
std::string lease_duration_text();
// The SQL expression of the expiry of a lease taken or renewed now.
std::string lease_expiry_sql();

// What a claim does with the lease it finds on a mapping's row.
enum class LeaseDecision {
  kTake,      // nobody else holds it (none recorded, or this owner's own): take it
  kTakeOver,  // another owner's, expired or certainly dead: take it, their run is abandoned
  kRefuse,    // another owner's, unexpired and not known to be dead: refuse the claim
};

// The decision for `owner` finding `holder` (empty: none) whose lease is `unexpired` or not.
// `is_dead` tells whether a holder's process has certainly ended (owner_is_dead in production).
LeaseDecision decide_lease(const std::string& holder, bool unexpired, const std::string& owner,
                           bool (*is_dead)(const std::string&));
LeaseDecision decide_lease(const std::string& holder, bool unexpired, const std::string& owner);

// "host H, pid P, run R" of a lease owner "host:pid:run[:instance]", for refusals.
std::string describe_lease_owner(const std::string& owner);

// Whether `owner` holds `mapping`'s lease now (read outside any transaction).
bool holds_lease(pg::Connection& target, const std::string& mapping, const std::string& owner);

// The error of a batch that finds its mapping's lease taken over (Error kConflict).
Error lease_lost(const std::string& mapping);

// When the mapping's lease is next renewed; shared by the range writers of one mapping.
//
// Every batch transaction checks that this process still holds the lease, with a shared row
// lock (FOR SHARE) on the mapping's row, so the ranges of one mapping write concurrently while
// a takeover (an UPDATE of that row) still waits for the batches in flight and fences every later
// one. Renewing takes the row's exclusive lock, so only one batch renews it, every
// kLeaseRenewalInterval.
class LeaseRenewal {
 public:
  // True for exactly one caller once the interval has passed since the last renewal.
  bool due();

 private:
  std::atomic<std::int64_t> next_{0};  // steady_clock nanoseconds; 0: at the first batch
};

}  // namespace mapengine::state
