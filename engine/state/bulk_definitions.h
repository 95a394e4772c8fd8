// Bulk mode (`target.bulk`, `apply --bulk`): the parts of a target table's definition that slow
// a load down are set aside for it and re-created after it, their exact DDL kept meanwhile in
// mapengine.bulk_definitions:
//   - its foreign keys (pg_get_constraintdef), re-added NOT VALID, then VALIDATE CONSTRAINT;
//   - with BulkMode::kWithIndexes, its non-unique secondary indexes (pg_get_indexdef), rebuilt.
// Each mapping's lookups already proved every reference it writes, so the per-row trigger of a
// foreign key only re-checks them; pg_restore and pgloader add them after the data likewise.
//
// Invariants (what makes a kill -9 at any moment safe):
//   - the definitions are recorded in the SAME transaction that drops them, and a definition's
//     record is deleted in the transaction that re-creates it (a foreign key: the one that
//     VALIDATEs it; re-added NOT VALID, it is marked `added` first);
//   - so while a record exists the table lacks that part, and whoever finds records (the next
//     apply, its abort path, `mapengine reset`) re-creates them from the record.
// Rows a re-added foreign key refuses (the anti-join on its columns, found before it is added)
// become rejects with the constraint, column and value, and leave the table, the id map and
// the pending references in the same transaction, like a row the server refused in a batch.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <string>

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::state {

struct SetAside {
  bool active = false;   // the table loads without the definitions below
  bool resumed = false;  // they were set aside by an earlier attempt
  int foreign_keys = 0;
  int indexes = 0;
};

// Sets aside the definitions `mode` names for `mapping`'s table, recording them, in one
// transaction that checks this process holds the mapping's lease (`lease_owner`). When records
// exist already (an earlier attempt's), changes nothing and reports them. A table with rows is
// refused with Error(kConflict), unless the mapping wrote them (a resumed load that started
// without bulk mode: then nothing is set aside and `active` is false); a role that does not own
// the table with Error(kDatabase, SQLSTATE 42501); a partitioned table with SQLSTATE 0A000.
// REQUIRES: no open transaction; mode != kOff.
SetAside set_aside_definitions(pg::Connection& target, const spec::MappingSpec& mapping,
                               spec::BulkMode mode, const std::string& lease_owner);

struct Restored {
  int foreign_keys = 0;
  int indexes = 0;
  long long refused_rows = 0;  // rows a re-added foreign key refused, now rejects
  double seconds = 0;          // re-creating and validating, refusals included
};

// Re-creates every definition recorded for `mapping` (indexes first, each in its own
// transaction; then every foreign key added and validated in one transaction, one pass over the
// rows each; when a key refuses a row, that transaction is undone and, in another, the refused
// rows become rejects under `run_id` and every key is re-added NOT VALID, then each validated).
// Each transaction checks the lease.
// Nothing recorded: returns zeros. Throws Error(kConflict) when the lease is lost.
Restored restore_definitions(pg::Connection& target, const spec::MappingSpec& mapping,
                             long long run_id, const std::string& lease_owner);

// Inside the caller's transaction (a reset's, after the mapping's rows are deleted): re-creates
// every definition recorded for `mapping` as it was (a foreign key validated when it was valid)
// and deletes the records. No-op when the state schema predates bulk mode.
void restore_definitions_in(pg::Connection& target, const std::string& mapping);

// Whether definitions are recorded (set aside) for `mapping`.
bool has_set_aside(pg::Connection& target, const std::string& mapping);

}  // namespace mapengine::state
