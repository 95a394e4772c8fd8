#include "engine/state/reject_store.h"

#include "engine/state/state_schema.h"

namespace mapengine::state {

std::vector<StoredReject> load_rejects(pg::Connection& target, const std::string& mapping) {
  std::vector<StoredReject> out;
  if (readable_state_version(target) == 0) return out;
  pg::Result rows = target.exec(
      "SELECT legacy_key, COALESCE(column_name, ''), value, rule, reason, COALESCE(run_id, 0), "
      "to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.USOF') FROM mapengine.rejects "
      "WHERE mapping = $1 ORDER BY legacy_key, created_at, reject_id",
      {mapping});
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int r = 0; r < rows.rows(); ++r) {
    StoredReject reject;
    reject.legacy_key = rows.value(r, 0);
    reject.column = rows.value(r, 1);
    reject.value = rows.optional(r, 2);
    reject.rule = rows.value(r, 3);
    reject.reason = rows.value(r, 4);
    reject.run_id = std::stoll(std::string(rows.value(r, 5)));
    reject.created_at = rows.value(r, 6);
    out.push_back(std::move(reject));
  }
  return out;
}

std::vector<std::string> rejected_keys(pg::Connection& target, const std::string& mapping) {
  std::vector<std::string> out;
  pg::Result rows = target.exec(
      "SELECT DISTINCT legacy_key FROM mapengine.rejects WHERE mapping = $1 ORDER BY 1",
      {mapping});
  for (int r = 0; r < rows.rows(); ++r) out.emplace_back(rows.value(r, 0));
  return out;
}

}  // namespace mapengine::state
