#include "engine/state/batch_record.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/pg/copy_text.h"
#include "engine/state/lease.h"
#include "engine/state/legacy_key.h"
#include "engine/state/range_lease.h"

namespace mapengine::state {
namespace {

// One COPY ... FROM STDIN of `data` (nothing when it is empty).
void copy_in(pg::Connection& target, std::string_view copy_sql, std::string_view data) {
  if (data.empty()) return;
  target.copy_in_begin(copy_sql);
  target.copy_in_send(data);
  target.copy_in_end();
}

void append_field(std::string& out, std::string_view text) {
  append_copy_escaped(out, text);
  out += '\t';
}

void append_last_field(std::string& out, std::string_view text) {
  append_copy_escaped(out, text);
  out += '\n';
}

std::optional<std::string> key_param(std::span<const std::string> parts) {
  if (parts.empty()) return std::nullopt;
  return key_parts_json(parts);
}

}  // namespace

BatchRecord::BatchRecord(const std::string& mapping, long long run_id)
    : mapping_(mapping), run_id_(run_id) {}

void BatchRecord::add_id(std::string_view legacy_key, std::string_view new_id) {
  append_field(ids_, mapping_);
  append_field(ids_, legacy_key);
  append_last_field(ids_, new_id);
}

void BatchRecord::add_pending(const PendingRef& ref) {
  append_field(pending_, mapping_);
  append_field(pending_, ref.column);
  append_field(pending_, ref.legacy_key);
  append_last_field(pending_, ref.ref);
}

void BatchRecord::add_reject(const RejectRecord& reject) {
  // (run_id, mapping, legacy_key, column_name, value, rule, reason)
  rejects_ += std::to_string(run_id_);
  rejects_ += '\t';
  append_field(rejects_, mapping_);
  append_field(rejects_, reject.legacy_key);
  if (reject.column.empty()) {
    rejects_ += "\\N\t";
  } else {
    append_field(rejects_, reject.column);
  }
  if (reject.value) {
    append_field(rejects_, *reject.value);
  } else {
    rejects_ += "\\N\t";
  }
  append_field(rejects_, reject.rule);
  append_last_field(rejects_, reject.reason);
}

void BatchRecord::replace_rejects_of(const std::vector<std::string>& keys) { replaced_ = keys; }

long long BatchRecord::write(pg::Connection& target) const {
  copy_in(target, "COPY mapengine.id_map (mapping, legacy_key, new_id) FROM STDIN", ids_);
  copy_in(target, "COPY mapengine.pending_refs (mapping, column_name, legacy_key, ref) FROM STDIN",
          pending_);
  long long removed = 0;
  if (!replaced_.empty()) {
    std::string keys;
    for (const auto& key : replaced_) append_last_field(keys, key);
    // Inside a held transaction (sync writes several batches in one) an earlier batch's
    // table is still there.
    if (target.held()) target.exec("DROP TABLE IF EXISTS mapengine_retried");
    target.exec("CREATE TEMP TABLE mapengine_retried (legacy_key text) ON COMMIT DROP");
    copy_in(target, "COPY mapengine_retried FROM STDIN", keys);
    removed = target
                  .exec("DELETE FROM mapengine.rejects r USING mapengine_retried k "
                        "WHERE r.mapping = $1 AND r.legacy_key = k.legacy_key",
                        {mapping_})
                  .affected();
  }
  copy_in(target,
          "COPY mapengine.rejects (run_id, mapping, legacy_key, column_name, value, rule, reason) "
          "FROM STDIN",
          rejects_);
  return removed;
}

void advance_checkpoint(pg::Connection& target, const std::string& mapping,
                        const std::string& owner, const CheckpointAdvance& advance,
                        bool renew_lease) {
  // (Checked before the rows, the server's foreign-key checks of the rows measured slower: 3 to
  // 4.5 % of the writing backend's CPU in ResourceOwnerRememberTupleDesc, against 1 to 1.9 %
  // checked last.)
  std::string lease = !advance.mapping_lease ? std::string("SELECT 1")
                      : renew_lease
                          ? fmt::format(
                                "UPDATE mapengine.mappings SET lease_until = {} WHERE mapping = $1 "
                                "AND lease_owner = $10 RETURNING 1",
                                lease_expiry_sql())
                          : std::string(
                                "SELECT FROM mapengine.mappings WHERE mapping = $1 AND "
                                "lease_owner = $10 FOR SHARE");
  // The range's own lease is checked and renewed by the checkpoint's update; a range done gives
  // it back.
  pg::Result moved = target.exec(
      fmt::format("WITH lease AS ({0}), advanced AS (UPDATE mapengine.checkpoints SET "
                  "last_key = COALESCE($3::jsonb, last_key), done = $4::boolean, "
                  "rows_read = rows_read + $5, rows_written = rows_written + $6, "
                  "rows_rejected = rows_rejected + $7, rows_skipped = rows_skipped + $8, "
                  "batches = batches + 1, updated_at = clock_timestamp(), "
                  "lease_owner = CASE WHEN $4::boolean THEN NULL ELSE lease_owner END, "
                  "lease_run_id = CASE WHEN $4::boolean THEN NULL ELSE lease_run_id END, "
                  "lease_until = CASE WHEN $4::boolean THEN NULL ELSE {1} END "
                  "WHERE mapping = $1 AND range_no = $2 AND lease_owner = $10 AND "
                  "last_key IS NOT DISTINCT FROM $9::jsonb AND EXISTS (SELECT FROM lease) "
                  "RETURNING 1) "
                  "SELECT EXISTS (SELECT FROM lease), EXISTS (SELECT FROM advanced)",
                  lease, lease_expiry_sql()),
      {mapping, std::to_string(advance.range_no), key_param(advance.last_key),
       std::string(advance.range_done ? "true" : "false"), std::to_string(advance.counts.read),
       std::to_string(advance.counts.written), std::to_string(advance.counts.rejected),
       std::to_string(advance.counts.skipped), key_param(advance.previous_key), owner});
  if (moved.value(0, 0) != "t") throw lease_lost(mapping);
  if (moved.value(0, 1) != "t") {
    if (!holds_range_lease(target, mapping, advance.range_no, owner)) {
      throw range_lease_lost(mapping, advance.range_no);
    }
    throw Error::conflict(fmt::format(
        "{}: range {}: the checkpoint is not where this process's last committed batch left "
        "it (the server lost committed batches, for example in a crash with --async-commit, "
        "or another process wrote this range); stopping without writing. Run apply again to "
        "resume from the checkpoint",
        mapping, advance.range_no));
  }
}

void adjust_retried_counts(pg::Connection& target, const std::string& mapping,
                           const std::string& owner, long long written,
                           long long rejects_removed, long long rejected) {
  pg::Result adjusted = target.exec(
      "WITH lease AS (SELECT FROM mapengine.mappings WHERE mapping = $1 AND lease_owner = $2 "
      "FOR SHARE), adjusted AS (UPDATE mapengine.checkpoints SET "
      "rows_written = rows_written + $3, "
      "rows_rejected = GREATEST(rows_rejected - $4, 0) + $5, updated_at = clock_timestamp() "
      "WHERE mapping = $1 AND range_no = (SELECT min(range_no) FROM mapengine.checkpoints "
      "WHERE mapping = $1) AND EXISTS (SELECT FROM lease) RETURNING 1) "
      "SELECT EXISTS (SELECT FROM lease), EXISTS (SELECT FROM adjusted)",
      {mapping, owner, std::to_string(written), std::to_string(rejects_removed),
       std::to_string(rejected)});
  if (adjusted.value(0, 0) != "t") throw lease_lost(mapping);
}

bool batch_committed(pg::Connection& target, const std::string& mapping, int range_no,
                     std::span<const std::string> last_key) {
  if (last_key.empty()) return false;
  pg::Result row = target.exec(
      "SELECT last_key = $3::jsonb FROM mapengine.checkpoints WHERE mapping = $1 AND range_no = $2",
      {mapping, std::to_string(range_no), key_parts_json(last_key)});
  return row.rows() == 1 && row.value(0, 0) == "t";
}

}  // namespace mapengine::state
