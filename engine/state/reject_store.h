// RejectStore: reading the rows a mapping set aside (mapengine.rejects) for `mapengine rejects`
// and `apply --retry-rejects`. BatchWriter writes them, in the batch's transaction.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/pg/connection.h"

namespace mapengine::state {

struct StoredReject {
  std::string legacy_key;
  std::string column;                // empty when no single column is to blame
  std::optional<std::string> value;  // the value as read or sent; nullopt for NULL / none
  std::string rule;                  // lookup, transform rule, constraint, data, ...
  std::string reason;
  long long run_id = 0;
  std::string created_at;  // "YYYY-MM-DD HH:MM:SS.ffffff+TZ"
};

// Every reject of `mapping`, by legacy key then time.
std::vector<StoredReject> load_rejects(pg::Connection& target, const std::string& mapping);

// The distinct legacy keys `mapping` has rejected.
std::vector<std::string> rejected_keys(pg::Connection& target, const std::string& mapping);

}  // namespace mapengine::state
