#include "engine/state/follow_store.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/pg/array_literal.h"
#include "engine/pg/transaction.h"
#include "engine/state/lease.h"

namespace mapengine::state {
namespace {

std::string phase_text(FollowPhase phase) {
  return phase == FollowPhase::kLoading ? "loading" : "following";
}

pg::Lsn lsn_of(std::string_view text) { return pg::Lsn::parse(text).value_or(pg::Lsn{}); }


}  // namespace

std::optional<FollowRecord> load_follow(pg::Connection& target, const std::string& name) {
  pg::Result row = target.exec(
      "SELECT slot, publication, consistent_lsn::text, confirmed_lsn::text, phase, "
      "CASE WHEN lease_until > clock_timestamp() THEN lease_owner ELSE '' END "
      "FROM mapengine.follows WHERE name = $1",
      {name});
  if (row.rows() == 0) return std::nullopt;
  FollowRecord record;
  record.name = name;
  record.slot = row.value(0, 0);
  record.publication = row.value(0, 1);
  record.consistent_point = lsn_of(row.value(0, 2));
  record.confirmed = lsn_of(row.value(0, 3));
  record.phase = row.value(0, 4) == "following" ? FollowPhase::kFollowing : FollowPhase::kLoading;
  pg::Result names = target.exec("SELECT unnest(mappings) FROM mapengine.follows WHERE name = $1",
                                 {name});
  for (int r = 0; r < names.rows(); ++r) record.mappings.emplace_back(names.value(r, 0));
  record.lease_owner = row.value(0, 5);
  return record;
}

std::vector<FollowRecord> load_follows(pg::Connection& target) {
  std::vector<FollowRecord> records;
  if (target.exec("SELECT to_regclass('mapengine.follows') IS NULL").value(0, 0) == "t") {
    return records;
  }
  pg::Result names = target.exec("SELECT name FROM mapengine.follows ORDER BY name");
  for (int r = 0; r < names.rows(); ++r) {
    if (auto record = load_follow(target, std::string(names.value(r, 0)))) {
      records.push_back(std::move(*record));
    }
  }
  return records;
}

void record_follow(pg::Connection& target, const FollowRecord& record, const std::string& owner) {
  target.exec(
      fmt::format("INSERT INTO mapengine.follows (name, slot, publication, consistent_lsn, "
                  "confirmed_lsn, phase, mappings, lease_owner, lease_until) VALUES ($1, $2, $3, "
                  "$4::pg_lsn, $4::pg_lsn, $5, $6::text[], $7, {})",
                  lease_expiry_sql()),
      {record.name, record.slot, record.publication, record.consistent_point.to_string(),
       phase_text(record.phase), pg::text_array_literal(record.mappings), owner});
}

void claim_follow(pg::Connection& target, const std::string& name, const std::string& owner) {
  pg::Transaction tx(target);
  pg::Result row = target.exec(
      "SELECT COALESCE(lease_owner, ''), COALESCE(lease_until > clock_timestamp(), false), "
      "COALESCE(to_char(lease_until, 'YYYY-MM-DD HH24:MI:SS TZ'), '') "
      "FROM mapengine.follows WHERE name = $1 FOR UPDATE",
      {name});
  if (row.rows() == 0) {
    throw Error::conflict(fmt::format("following '{}': this target has no record of it", name));
  }
  std::string holder(row.value(0, 0));
  if (decide_lease(holder, row.value(0, 1) == "t", owner) == LeaseDecision::kRefuse) {
    throw Error::conflict(fmt::format("another process follows '{}' ({}; its lease runs until "
                                      "{}); stop it first, or wait for its lease to expire",
                                      name, describe_lease_owner(holder), row.value(0, 2)));
  }
  target.exec(fmt::format("UPDATE mapengine.follows SET lease_owner = $2, lease_until = {} "
                          "WHERE name = $1",
                          lease_expiry_sql()),
              {name, owner});
  tx.commit();
}

void renew_follow_lease(pg::Connection& target, const std::string& name,
                        const std::string& owner) {
  pg::Result renewed = target.exec(
      fmt::format("UPDATE mapengine.follows SET lease_until = {} "
                  "WHERE name = $1 AND lease_owner = $2 RETURNING 1",
                  lease_expiry_sql()),
      {name, owner});
  if (renewed.rows() != 1) {
    throw Error(ErrorKind::kConflict,
                fmt::format("following '{}': another process took the setup over", name));
  }
  // The mappings' own leases, which every batch checks.
  target.exec(
      fmt::format("UPDATE mapengine.mappings SET lease_until = {} WHERE lease_owner = $2 AND "
                  "mapping IN (SELECT unnest(mappings) FROM mapengine.follows WHERE name = $1)",
                  lease_expiry_sql()),
      {name, owner});
}

void release_follow(pg::Connection& target, const std::string& name, const std::string& owner) {
  target.exec(
      "UPDATE mapengine.follows SET lease_owner = NULL, lease_until = NULL "
      "WHERE name = $1 AND lease_owner = $2",
      {name, owner});
}

void mark_following(pg::Connection& target, const std::string& name) {
  target.exec(
      "UPDATE mapengine.follows SET phase = 'following', updated_at = clock_timestamp() "
      "WHERE name = $1",
      {name});
}

void confirm_position(pg::Connection& target, const std::string& name, pg::Lsn position,
                      const std::string& owner) {
  pg::Result updated = target.exec(
      "UPDATE mapengine.follows SET confirmed_lsn = greatest(confirmed_lsn, $2::pg_lsn), "
      "updated_at = clock_timestamp() WHERE name = $1 AND lease_owner = $3 RETURNING 1",
      {name, position.to_string(), owner});
  if (updated.rows() != 1) {
    throw Error(ErrorKind::kConflict,
                fmt::format("following '{}': another process took the setup over", name));
  }
}

void forget_follow(pg::Connection& target, const std::string& name) {
  target.exec("DELETE FROM mapengine.follows WHERE name = $1", {name});
}

KeyPresence key_presence(pg::Connection& target, const std::string& mapping,
                         const std::string& table, const KeyMatch& match,
                         const std::vector<std::string>& keys) {
  pg::Result row = target.exec(
      fmt::format("SELECT (SELECT count(*) FROM {} t WHERE {}), "
                  "(SELECT count(DISTINCT legacy_key) FROM mapengine.rejects "
                  "WHERE mapping = $2 AND legacy_key = ANY($3::text[]))",
                  table, match.predicate()),
      {pg::text_array_literal(match.usable(keys)), mapping, pg::text_array_literal(keys)});
  return {std::stoll(std::string(row.value(0, 0))), std::stoll(std::string(row.value(0, 1)))};
}

std::vector<std::string> rejected_among(pg::Connection& target, const std::string& mapping,
                                        const std::vector<std::string>& keys) {
  pg::Result rows = target.exec(
      "SELECT DISTINCT legacy_key FROM mapengine.rejects "
      "WHERE mapping = $1 AND legacy_key = ANY($2::text[])",
      {mapping, pg::text_array_literal(keys)});
  std::vector<std::string> out;
  for (int r = 0; r < rows.rows(); ++r) out.emplace_back(rows.value(r, 0));
  return out;
}

std::vector<std::string> retired_among(pg::Connection& target, const std::string& mapping,
                                       const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  if (keys.empty()) return out;
  pg::Result rows = target.exec(
      "SELECT legacy_key FROM mapengine.retired WHERE mapping = $1 AND legacy_key = "
      "ANY($2::text[])",
      {mapping, pg::text_array_literal(keys)});
  for (int r = 0; r < rows.rows(); ++r) out.emplace_back(rows.value(r, 0));
  return out;
}

void retire(pg::Connection& target, const std::string& mapping,
            const std::vector<std::string>& keys, const std::string& policy) {
  if (keys.empty()) return;
  target.exec(
      "INSERT INTO mapengine.retired (mapping, legacy_key, policy) "
      "SELECT $1, k, $3 FROM unnest($2::text[]) k "
      "ON CONFLICT (mapping, legacy_key) DO UPDATE SET policy = EXCLUDED.policy",
      {mapping, pg::text_array_literal(keys), policy});
}

void unretire(pg::Connection& target, const std::string& mapping,
              const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  target.exec("DELETE FROM mapengine.retired WHERE mapping = $1 AND legacy_key = ANY($2::text[])",
              {mapping, pg::text_array_literal(keys)});
}

namespace {

bool has_retired_table(pg::Connection& target) {
  return target.exec("SELECT to_regclass('mapengine.retired') IS NOT NULL").value(0, 0) == "t";
}

}  // namespace

long long retired_count(pg::Connection& target, const std::string& mapping) {
  if (!has_retired_table(target)) return 0;
  return std::stoll(std::string(
      target.exec("SELECT count(*) FROM mapengine.retired WHERE mapping = $1", {mapping})
          .value(0, 0)));
}

std::string not_retired_sql(pg::Connection& target, const std::string& mapping,
                            const std::string& key_sql) {
  if (!has_retired_table(target)) return "true";
  return fmt::format(
      "NOT EXISTS (SELECT FROM mapengine.retired r WHERE r.mapping = {} AND r.legacy_key = {})",
      target.quote_literal(mapping), key_sql);
}

void adjust_counts(pg::Connection& target, const std::string& mapping, long long read_delta,
                   long long written_delta) {
  if (read_delta == 0 && written_delta == 0) return;
  target.exec(
      "UPDATE mapengine.checkpoints SET rows_read = rows_read + $2, "
      "rows_written = rows_written + $3, updated_at = clock_timestamp() "
      "WHERE mapping = $1 AND range_no = (SELECT min(range_no) FROM mapengine.checkpoints "
      "WHERE mapping = $1)",
      {mapping, std::to_string(read_delta), std::to_string(written_delta)});
}

}  // namespace mapengine::state
