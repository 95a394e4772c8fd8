#include "engine/state/state_schema.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"
#include "engine/state/legacy_key.h"

namespace mapengine::state {
namespace {

// Upgrade steps: kUpgrades[i] takes the layout from version i to i + 1. Never edit a step that
// has shipped; append a new one and bump kStateVersion.
const std::vector<std::string> kUpgrades = {
    R"sql(
CREATE SCHEMA IF NOT EXISTS mapengine;
CREATE TABLE mapengine.schema_version (version int NOT NULL);
INSERT INTO mapengine.schema_version VALUES (0);
CREATE TABLE mapengine.runs (
  run_id bigserial PRIMARY KEY,
  command text NOT NULL,
  status text NOT NULL DEFAULT 'running',
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  user_name text,
  host text,
  pid int,
  mapengine_version text,
  options jsonb NOT NULL DEFAULT '{}',
  snapshot text,
  message text
);
CREATE TABLE mapengine.mappings (
  mapping text PRIMARY KEY,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  file text NOT NULL,
  checksum text NOT NULL,
  key_columns text[] NOT NULL,
  legacy_key_columns text[] NOT NULL DEFAULT '{}',
  id_column text NOT NULL DEFAULT 'id',
  status text NOT NULL DEFAULT 'pending',
  ranges int NOT NULL DEFAULT 1,
  started_at timestamptz,
  completed_at timestamptz,
  lease_owner text,
  lease_run_id bigint,
  lease_until timestamptz
);
CREATE TABLE mapengine.run_mappings (
  run_id bigint NOT NULL REFERENCES mapengine.runs,
  mapping text NOT NULL,
  file text NOT NULL,
  checksum text NOT NULL,
  table_name text NOT NULL,
  status text NOT NULL DEFAULT 'running',
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  rows_rejected bigint NOT NULL DEFAULT 0,
  rows_skipped bigint NOT NULL DEFAULT 0,
  seconds double precision,
  message text,
  PRIMARY KEY (run_id, mapping)
);
CREATE TABLE mapengine.checkpoints (
  mapping text NOT NULL,
  range_no int NOT NULL,
  lower_key jsonb,
  upper_key jsonb,
  last_key jsonb,
  done boolean NOT NULL DEFAULT false,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  rows_rejected bigint NOT NULL DEFAULT 0,
  rows_skipped bigint NOT NULL DEFAULT 0,
  batches bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (mapping, range_no)
);
CREATE TABLE mapengine.id_map (
  mapping text NOT NULL,
  legacy_key text NOT NULL,
  new_id text NOT NULL,
  PRIMARY KEY (mapping, legacy_key)
);
CREATE TABLE mapengine.rejects (
  reject_id bigserial PRIMARY KEY,
  run_id bigint,
  mapping text NOT NULL,
  legacy_key text NOT NULL,
  column_name text,
  value text,
  rule text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rejects_mapping ON mapengine.rejects (mapping, legacy_key);
CREATE TABLE mapengine.pending_refs (
  mapping text NOT NULL,
  column_name text NOT NULL,
  legacy_key text NOT NULL,
  ref text NOT NULL,
  PRIMARY KEY (mapping, column_name, legacy_key)
);
CREATE TABLE mapengine.validations (
  validation_id bigserial PRIMARY KEY,
  run_id bigint,
  mapping text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  ok boolean NOT NULL,
  result jsonb NOT NULL
);
CREATE VIEW mapengine.id_maps AS
  SELECT mapping, legacy_key, new_id FROM mapengine.id_map;
)sql",
    // 1 -> 2: the max_rejects each mapping was last applied with ("100", "2%"); NULL when its
    // file declares none (the default limit 0), so that report judges rejects without the files.
    R"sql(
ALTER TABLE mapengine.mappings ADD COLUMN max_rejects text;
)sql",
    // 2 -> 3: bulk mode's set-aside definitions of a target table (state/bulk_definitions.h):
    // written in the transaction that drops them, deleted in the one that re-creates them.
    R"sql(
CREATE TABLE mapengine.bulk_definitions (
  mapping text NOT NULL,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('foreign_key', 'index')),
  name text NOT NULL,
  definition text NOT NULL,
  validated boolean NOT NULL DEFAULT true,
  added boolean NOT NULL DEFAULT false,
  columns text[],
  referenced_table text,
  referenced_columns text[],
  match_full boolean NOT NULL DEFAULT false,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (mapping, kind, name)
);
)sql",
    // 3 -> 4: change-following setups (mapengine sync): the source's slot and publication and
    // the source position the target holds every change before.
    R"sql(
CREATE TABLE mapengine.follows (
  name text PRIMARY KEY,
  slot text NOT NULL,
  publication text NOT NULL,
  consistent_lsn pg_lsn NOT NULL,
  confirmed_lsn pg_lsn NOT NULL,
  phase text NOT NULL CHECK (phase IN ('loading', 'following')),
  mappings text[] NOT NULL,
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
)sql",
    // 4 -> 5: legacy keys the source no longer returns whose target rows following kept
    // (follow.on_delete keep or mark): validate and the report count them apart.
    R"sql(
CREATE TABLE mapengine.retired (
  mapping text NOT NULL,
  legacy_key text NOT NULL,
  policy text NOT NULL CHECK (policy IN ('keep', 'mark')),
  retired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (mapping, legacy_key)
);
)sql",
    // 5 -> 6: each key range's own lease (state/range_lease.h), so that processes that join a
    // run (apply --join) share a mapping's ranges.
    R"sql(
ALTER TABLE mapengine.checkpoints ADD COLUMN lease_owner text, ADD COLUMN lease_run_id bigint,
  ADD COLUMN lease_until timestamptz;
)sql",
};

}  // namespace

namespace {

void refuse_newer(int version) {
  if (version > kStateVersion) {
    throw Error::conflict(fmt::format(
        "target: the mapengine state schema has version {}, newer than this mapengine "
        "understands ({}); upgrade mapengine",
        version, kStateVersion));
  }
}

}  // namespace

int readable_state_version(pg::Connection& target) {
  int version = state_version(target);
  refuse_newer(version);
  return version;
}

int state_version(pg::Connection& target) {
  pg::Result exists = target.exec("SELECT to_regclass('mapengine.schema_version') IS NOT NULL");
  if (exists.value(0, 0) != "t") return 0;
  pg::Result version = target.exec("SELECT max(version) FROM mapengine.schema_version");
  return version.is_null(0, 0) ? 0 : std::stoi(std::string(version.value(0, 0)));
}

int ensure_state_schema(pg::Connection& target) {
  pg::Transaction tx(target);
  // 0x6d6170656e67 = "mapeng": serialises concurrent first runs.
  target.exec("SELECT pg_advisory_xact_lock(120368403721831)");
  int version = state_version(target);
  refuse_newer(version);
  for (int v = version; v < kStateVersion; ++v) {
    target.exec(kUpgrades[static_cast<size_t>(v)]);
    target.exec(fmt::format("UPDATE mapengine.schema_version SET version = {}", v + 1));
  }
  tx.commit();
  return kStateVersion;
}

void refresh_id_maps_view(pg::Connection& target) {
  pg::Transaction tx(target);
  refresh_id_maps_view_in(target);
  tx.commit();
}

void refresh_id_maps_view_in(pg::Connection& target) {
  // Serialises concurrent refreshes (mappings run in parallel with --jobs).
  target.exec("SELECT pg_advisory_xact_lock(120368403721832)");
  // Only mappings whose table and every legacy and id column exist.
  pg::Result mappings = target.exec(
      "SELECT m.mapping, m.table_schema, m.table_name, m.legacy_key_columns, m.id_column "
      "FROM mapengine.mappings m "
      "WHERE cardinality(m.legacy_key_columns) > 0 AND NOT EXISTS ("
      "  SELECT 1 FROM unnest(m.legacy_key_columns || m.id_column) AS c(name) "
      "  WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a "
      "    JOIN pg_catalog.pg_class t ON t.oid = a.attrelid "
      "    JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
      "    WHERE n.nspname = m.table_schema AND t.relname = m.table_name "
      "      AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped)) "
      "ORDER BY m.mapping");
  std::string sql =
      "CREATE OR REPLACE VIEW mapengine.id_maps AS\n"
      "  SELECT mapping, legacy_key, new_id FROM mapengine.id_map";
  for (int row = 0; row < mappings.rows(); ++row) {
    pg::QualifiedName table{std::string(mappings.value(row, 1)),
                            std::string(mappings.value(row, 2))};
    // legacy_key_columns arrives as a PostgreSQL array literal; unpack it on the server.
    pg::Result columns = target.exec("SELECT unnest($1::text[])",
                                     {std::string(mappings.value(row, 3))});
    std::vector<std::string> quoted;
    for (int c = 0; c < columns.rows(); ++c) {
      quoted.push_back("t." + pg::quote_identifier(columns.value(c, 0)));
    }
    sql += fmt::format("\n  UNION ALL SELECT {}::text, {}, t.{}::text FROM {} t WHERE {} IS NOT NULL",
                       target.quote_literal(mappings.value(row, 0)), legacy_key_sql(quoted),
                       pg::quote_identifier(mappings.value(row, 4)), table.quoted(), quoted[0]);
  }
  target.exec(sql);
}

}  // namespace mapengine::state
