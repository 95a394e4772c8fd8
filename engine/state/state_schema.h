// The engine's own state in the target database, schema `mapengine`:
//   schema_version  the state layout version (one row)
//   runs            one row per apply/validate invocation: who, where, when, status
//   run_mappings    per run and mapping: file, checksum, counts, seconds, status
//   mappings        durable per-mapping state: checksum applied, status, lease (exclusive runs)
//   checkpoints     per mapping and key range: last committed legacy key, counters, lease
//   id_map          legacy key -> new id for mappings whose target keeps no legacy column
//   id_maps (view)  every id map uniformly: id_map plus the legacy columns of target tables
//   rejects         rows set aside: mapping, legacy key, column, value, rule, reason
//   pending_refs    self-references waiting for their target row
//   validations     results of `mapengine validate`
//   bulk_definitions  foreign keys and indexes a bulk load set aside, with their exact DDL
//
// ensure_state_schema() creates it on first use and upgrades older layouts forward, under an
// advisory transaction lock so concurrent first runs are safe. A layout newer than this binary
// knows is refused with a clear message (Error kConflict).
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include "engine/pg/connection.h"

namespace mapengine::state {

inline constexpr int kStateVersion = 6;

// Creates or upgrades the state schema. Returns the version now in place (kStateVersion).
int ensure_state_schema(pg::Connection& target);

// The version found in the target, or 0 when the state schema does not exist yet.
int state_version(pg::Connection& target);
// The same, for a command that only reads the state (report, validate): a layout newer than this
// binary knows is refused with Error(kConflict), as ensure_state_schema refuses it.
int readable_state_version(pg::Connection& target);

// Recreates the mapengine.id_maps view from the mappings table (call after registering a
// mapping whose target keeps legacy columns). A mapping whose table or legacy columns do not
// exist (dropped since, or never there) is left out of the view rather than failing the rebuild,
// so one broken mapping cannot stop every other apply.
void refresh_id_maps_view(pg::Connection& target);
// The same inside the caller's open transaction (it takes the rebuild's transaction lock).
void refresh_id_maps_view_in(pg::Connection& target);

}  // namespace mapengine::state
