#include "engine/state/checkpoint_store.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/pg/array_literal.h"
#include "engine/pg/transaction.h"
#include "engine/state/lease.h"
#include "engine/state/legacy_key.h"
#include "engine/state/range_lease.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine::state {
namespace {

// mappings.id_column: the id column, or an association's key columns joined by commas (reset
// splits it; the id map view reads it for mappings with legacy columns, which have a single one).
std::string id_columns_text(const spec::MappingSpec& mapping) {
  return fmt::format("{}", fmt::join(mapping.id_columns, ","));
}


// The declared max_rejects as stored, NULL when the file declares none.
std::optional<std::string> limit_text(const spec::MappingSpec& mapping) {
  if (!mapping.max_rejects) return std::nullopt;
  return mapping.max_rejects->text();
}

// A mapping this target has no record of, whose table already holds rows: its state was lost
// (the mapengine schema dropped) or the rows came another way. Inserting would load every row
// a second time (a table without a legacy-key column has nothing that refuses the copies).
void refuse_unaccounted_rows(pg::Connection& target, const spec::MappingSpec& mapping) {
  pg::Result rows = target.exec(
      fmt::format("SELECT EXISTS (SELECT 1 FROM {})", mapping.table.quoted()));
  if (rows.value(0, 0) != "t") return;
  throw Error::conflict(fmt::format(
      "{}: {} already holds rows, but this target has no record of mapping {} (was the "
      "mapengine schema dropped, or were the rows loaded another way?); applying would insert "
      "every row again. If the rows are left from a run whose state was lost, empty the table "
      "(TRUNCATE {}) and apply again; if they belong there, apply with --allow-existing-rows",
      mapping.name, mapping.table.display(), mapping.name, mapping.table.display()));
}

}  // namespace

namespace {

ClaimStatus claim_in_transaction(pg::Connection& target, const spec::MappingSpec& mapping,
                                 const std::string& owner, long long run_id,
                                 const ClaimOptions& options) {
  pg::Result inserted = target.exec(
      "INSERT INTO mapengine.mappings (mapping, table_schema, table_name, file, checksum, "
      "key_columns, legacy_key_columns, id_column) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (mapping) DO NOTHING RETURNING mapping",
      {mapping.name, mapping.table.schema, mapping.table.name, mapping.file, mapping.checksum,
       pg::text_array_literal(mapping.key), pg::text_array_literal(mapping.legacy_key_columns),
       id_columns_text(mapping)});
  if (inserted.rows() == 1 && mapping.mode == spec::WriteMode::kInsert &&
      !options.allow_existing_rows) {
    refuse_unaccounted_rows(target, mapping);
  }
  pg::Result row = target.exec(
      "SELECT status, checksum, lease_owner, lease_until > clock_timestamp(), "
      "to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ'), lease_run_id, "
      "EXISTS (SELECT 1 FROM mapengine.checkpoints c WHERE c.mapping = m.mapping) "
      "FROM mapengine.mappings m WHERE mapping = $1 FOR UPDATE",
      {mapping.name});
  std::string status(row.value(0, 0));
  std::string checksum(row.value(0, 1));
  std::string holder = row.is_null(0, 2) ? "" : std::string(row.value(0, 2));
  bool held = row.value(0, 3) == "t";
  bool has_progress = row.value(0, 6) == "t";
  LeaseDecision lease = decide_lease(holder, held, owner);
  // Processes that joined a run hold only ranges: the mapping is busy while any of them lives.
  std::optional<RangeHolder> loading =
      live_range_holder(range_holders(target, mapping.name), owner);
  if (lease == LeaseDecision::kRefuse || loading) {
    std::string who =
        lease == LeaseDecision::kRefuse
            ? describe_lease_owner(holder)
            : fmt::format("{} (range {})", describe_lease_owner(loading->owner), loading->range_no);
    if (options.join && status == "running") {
      if (mapping.has_checksum(checksum)) return ClaimStatus::kJoin;
      throw Error::conflict(fmt::format(
          "{}: cannot join the run of {}: {} differs from the file it applies (checksum {} -> "
          "{}); join with the same file",
          mapping.name, who, mapping.file, checksum.substr(0, 12), mapping.checksum.substr(0, 12)));
    }
    throw Error::conflict(fmt::format(
        "{}: another mapengine is applying this mapping: {}, started {}. "
        "Wait for it to finish (its lease expires {} after its last batch), or load the key "
        "ranges nobody holds alongside it with apply --join",
        mapping.name, who, row.value(0, 4), lease_duration_text()));
  }
  if (lease == LeaseDecision::kTakeOver && !row.is_null(0, 5)) {
    // The holder ended without giving the lease back (kill -9, a machine that stopped): its
    // run would say "running" for ever.
    std::string message = fmt::format(
        "ended without recording its outcome (killed, or its machine stopped); run {} found "
        "its lease on {} {}",
        run_id, mapping.name, held ? "held by a process that no longer exists" : "expired");
    std::string previous(row.value(0, 5));
    target.exec(
        "UPDATE mapengine.runs SET status = 'abandoned', finished_at = clock_timestamp(), "
        "message = $2 WHERE run_id = $1 AND status = 'running'",
        {previous, message});
    target.exec(
        "UPDATE mapengine.run_mappings SET status = 'abandoned', finished_at = "
        "clock_timestamp(), message = $3 WHERE run_id = $1 AND mapping = $2 AND status = "
        "'running'",
        {previous, mapping.name, message});
  }
  bool changed = !mapping.has_checksum(checksum);
  ClaimStatus result = has_progress ? ClaimStatus::kResume : ClaimStatus::kFresh;
  if (options.retry_rejects) {
    // A follower (sync) left its mappings running when it was killed: their rows are as its
    // last committed change left them.
    if (status != "complete" && !(options.follow && status == "running")) {
      throw Error::conflict(fmt::format(
          "{}: --retry-rejects re-processes the rejected rows of a completed mapping, and this "
          "one is {}; run apply without it to complete the mapping first",
          mapping.name, status == "running" ? "not complete (interrupted or failed)" : status));
    }
    result = ClaimStatus::kResume;
  } else if (options.restart) {
    target.exec("DELETE FROM mapengine.checkpoints WHERE mapping = $1", {mapping.name});
    target.exec("DELETE FROM mapengine.pending_refs WHERE mapping = $1", {mapping.name});
    result = ClaimStatus::kFresh;
  } else if (status == "complete") {
    if (changed && options.allow_changed) {
      // Adopt the file as it is now without re-running a row: its rejects are judged against
      // the limit it declares (a reviewed max_rejects is the usual change).
      target.exec(
          "UPDATE mapengine.mappings SET checksum = $2, file = $3, max_rejects = $4 "
          "WHERE mapping = $1",
          {mapping.name, mapping.checksum, mapping.file, limit_text(mapping)});
      log_event(spdlog::level::info, "mapping_adopted",
                fmt::format("{}: complete; adopted the changed {} without re-running rows "
                            "(--allow-changed); --restart would redo them",
                            mapping.name, mapping.file),
                {{"table", mapping.name}});
      changed = false;
    }
    if (!changed) return ClaimStatus::kComplete;
    throw Error::conflict(fmt::format(
        "{}: {} changed since it was applied (checksum {} -> {}); revert the file, apply "
        "again from the start with --restart, or keep the rows as they are and adopt the "
        "file (for example a reviewed max_rejects) with --allow-changed",
        mapping.name, mapping.file, checksum.substr(0, 12), mapping.checksum.substr(0, 12)));
  } else if (changed && has_progress && !options.allow_changed) {
    throw Error::conflict(fmt::format(
        "{}: {} changed since the interrupted attempt (checksum {} -> {}); rows already "
        "written followed the old file. Continue with --allow-changed, or start over with "
        "--restart",
        mapping.name, mapping.file, checksum.substr(0, 12), mapping.checksum.substr(0, 12)));
  }
  target.exec(
      fmt::format(
          "UPDATE mapengine.mappings SET lease_owner = $2, lease_run_id = $3, lease_until = {}, "
          "status = 'running', checksum = $4, file = $5, table_schema = $6, table_name = $7, "
          "key_columns = $8, legacy_key_columns = $9, id_column = $10, started_at = "
          "COALESCE(started_at, clock_timestamp()), completed_at = NULL, max_rejects = $11 "
          "WHERE mapping = $1",
          lease_expiry_sql()),
      {mapping.name, owner, std::to_string(run_id), mapping.checksum, mapping.file,
       mapping.table.schema, mapping.table.name, pg::text_array_literal(mapping.key),
       pg::text_array_literal(mapping.legacy_key_columns), id_columns_text(mapping),
       limit_text(mapping)});
  return result;
}

}  // namespace

ClaimStatus claim_mapping(pg::Connection& target, const spec::MappingSpec& mapping,
                          const std::string& owner, long long run_id,
                          const ClaimOptions& options) {
  pg::Transaction tx(target);
  ClaimStatus result = claim_in_transaction(target, mapping, owner, run_id, options);
  if (result == ClaimStatus::kJoin) {
    begin_run_mapping(target, run_id, mapping);
  } else if (result != ClaimStatus::kComplete) {
    begin_run_mapping(target, run_id, mapping);
    if (!mapping.legacy_key_columns.empty()) refresh_id_maps_view_in(target);
  }
  tx.commit();
  return result;
}

std::optional<std::string> recorded_checksum(pg::Connection& target, const std::string& mapping) {
  pg::Result row =
      target.exec("SELECT checksum FROM mapengine.mappings WHERE mapping = $1", {mapping});
  if (row.rows() == 0) return std::nullopt;
  return std::string(row.value(0, 0));
}

std::vector<RangeState> load_ranges(pg::Connection& target, const std::string& mapping) {
  pg::Result rows = target.exec(
      "SELECT range_no, lower_key::text, upper_key::text, last_key::text, done, rows_read, "
      "rows_written, rows_rejected, rows_skipped FROM mapengine.checkpoints WHERE mapping = $1 "
      "ORDER BY range_no",
      {mapping});
  std::vector<RangeState> ranges;
  for (int r = 0; r < rows.rows(); ++r) {
    RangeState state;
    state.range_no = std::stoi(std::string(rows.value(r, 0)));
    if (!rows.is_null(r, 1)) state.range.lower = key_parts_from_json(rows.value(r, 1));
    if (!rows.is_null(r, 2)) state.range.upper = key_parts_from_json(rows.value(r, 2));
    if (!rows.is_null(r, 3)) state.last_key = key_parts_from_json(rows.value(r, 3));
    state.done = rows.value(r, 4) == "t";
    state.read = std::stoll(std::string(rows.value(r, 5)));
    state.written = std::stoll(std::string(rows.value(r, 6)));
    state.rejected = std::stoll(std::string(rows.value(r, 7)));
    state.skipped = std::stoll(std::string(rows.value(r, 8)));
    ranges.push_back(std::move(state));
  }
  return ranges;
}

void create_ranges(pg::Connection& target, const std::string& mapping,
                   const std::vector<KeyRange>& ranges) {
  pg::Transaction tx(target);
  target.exec("DELETE FROM mapengine.checkpoints WHERE mapping = $1", {mapping});
  for (size_t i = 0; i < ranges.size(); ++i) {
    const KeyRange& range = ranges[i];
    target.exec(
        "INSERT INTO mapengine.checkpoints (mapping, range_no, lower_key, upper_key) "
        "VALUES ($1, $2, $3::jsonb, $4::jsonb)",
        {mapping, std::to_string(i),
         range.lower ? std::optional(key_parts_json(*range.lower)) : std::nullopt,
         range.upper ? std::optional(key_parts_json(*range.upper)) : std::nullopt});
  }
  target.exec("UPDATE mapengine.mappings SET ranges = $2 WHERE mapping = $1",
              {mapping, std::to_string(ranges.size())});
  tx.commit();
}

void complete_mapping(pg::Connection& target, const std::string& mapping,
                      const std::string& owner) {
  target.exec(
      "UPDATE mapengine.mappings SET status = 'complete', completed_at = clock_timestamp(), "
      "lease_owner = NULL, lease_until = NULL WHERE mapping = $1 AND lease_owner = $2",
      {mapping, owner});
}

void release_lease(pg::Connection& target, const std::string& mapping, const std::string& owner) {
  target.exec(
      "UPDATE mapengine.mappings SET lease_owner = NULL, lease_until = NULL "
      "WHERE mapping = $1 AND lease_owner = $2",
      {mapping, owner});
}

}  // namespace mapengine::state
