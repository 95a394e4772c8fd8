// FollowStore: the record of a change-following setup (mapengine.follows): the legacy
// database's replication slot and publication, the mappings they feed, and the source position
// the target has committed up to. Following is exactly once because confirm_position() runs in
// the same target transaction as the rows of the changes it confirms, and the slot is
// acknowledged only up to a position recorded here.
//
// One process follows a setup at a time: it holds the record's lease (renewed while it runs).
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/lsn.h"
#include "engine/state/key_match.h"

namespace mapengine::state {

enum class FollowPhase {
  kLoading,    // the slot exists; the initial load of the mappings is running or was cut short
  kFollowing,  // the initial load finished; changes are applied from `confirmed`
};

struct FollowRecord {
  std::string name;         // the setup's name ("default")
  std::string slot;         // on the source
  std::string publication;  // on the source
  pg::Lsn consistent_point;  // where the slot's exported snapshot stands
  pg::Lsn confirmed;         // every source change before it is in the target
  FollowPhase phase = FollowPhase::kLoading;
  std::vector<std::string> mappings;
  std::string lease_owner;  // empty when no live process holds it
};

std::optional<FollowRecord> load_follow(pg::Connection& target, const std::string& name);
// Every setup recorded on the target, by name; none when its state predates following.
std::vector<FollowRecord> load_follows(pg::Connection& target);
// Records a new setup in phase kLoading with `owner` holding its lease.
void record_follow(pg::Connection& target, const FollowRecord& record, const std::string& owner);
// Takes the setup's lease for `owner`. Throws Error(kConflict) naming the holder when another
// live process follows it.
void claim_follow(pg::Connection& target, const std::string& name, const std::string& owner);
// Renews the lease of `owner` on the setup and on the mappings it feeds; throws
// Error(kConflict) when another process took the setup over.
void renew_follow_lease(pg::Connection& target, const std::string& name,
                        const std::string& owner);
void release_follow(pg::Connection& target, const std::string& name, const std::string& owner);
// The initial load is done: changes are applied from the consistent point on.
void mark_following(pg::Connection& target, const std::string& name);
// Records that the target holds every change before `position`. Call in the transaction that
// writes those changes. Throws Error(kConflict) when `owner` no longer holds the lease.
void confirm_position(pg::Connection& target, const std::string& name, pg::Lsn position,
                      const std::string& owner);
void forget_follow(pg::Connection& target, const std::string& name);

// How many of `keys` (canonical legacy key texts) the mapping's table holds rows for (found
// through `match`), and how many have rejects.
struct KeyPresence {
  long long rows = 0;
  long long rejected = 0;
};
KeyPresence key_presence(pg::Connection& target, const std::string& mapping,
                         const std::string& table, const KeyMatch& match,
                         const std::vector<std::string>& keys);
// The keys among `keys` that have rejects recorded for `mapping`.
std::vector<std::string> rejected_among(pg::Connection& target, const std::string& mapping,
                                        const std::vector<std::string>& keys);
// Retired keys (mapengine.retired): legacy keys the source query no longer returns whose
// target rows the mapping's follow.on_delete policy kept ("keep", "mark"). Validate leaves those
// rows out of its comparison and counts them apart. Call the writers in the transaction that
// keeps (or revives) the rows.
std::vector<std::string> retired_among(pg::Connection& target, const std::string& mapping,
                                       const std::vector<std::string>& keys);
void retire(pg::Connection& target, const std::string& mapping,
            const std::vector<std::string>& keys, const std::string& policy);
void unretire(pg::Connection& target, const std::string& mapping,
              const std::vector<std::string>& keys);
// How many rows of `mapping` are retired; 0 when the state predates retiring.
long long retired_count(pg::Connection& target, const std::string& mapping);
// A condition on the target row `t` of `mapping` (whose canonical key text `key_sql` gives) that
// holds when the row is not retired; "true" when the state predates retiring.
std::string not_retired_sql(pg::Connection& target, const std::string& mapping,
                            const std::string& key_sql);

// Moves the mapping's counters (its first range's) by what following changed.
void adjust_counts(pg::Connection& target, const std::string& mapping, long long read_delta,
                   long long written_delta);

}  // namespace mapengine::state
