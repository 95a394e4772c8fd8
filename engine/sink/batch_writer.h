// BatchWriter: writes one batch into the target in ONE transaction: the rows (COPY, or COPY into
// a transaction-local staging table plus INSERT ... ON CONFLICT for upsert / skip_existing), then
// the batch's record in the state tables (state/batch_record.h: the rejects, the pending
// self-references, the engine's id map entries, and the checkpoint, fenced by the lease). Either
// all of it commits or none of it does.
//
// A batch that carries its rows in COPY's binary format too (Batch::binary) is sent that way
// first; when the server refuses a row, the careful second attempt sends text.
//
// Rows the server refuses (SQLSTATE classes 22 and 23: bad values, constraint violations) are
// isolated inside the transaction with savepoints: the failing line named in the COPY error's
// CONTEXT is set aside directly; otherwise the batch is bisected until the failing rows are found.
// Each is rejected with the server's message; the rest is written. A deferred constraint that
// refuses a row at COMMIT sends the batch down the same path, with every constraint checked
// immediately (SET CONSTRAINTS ALL IMMEDIATE) so the row can be found.
//
// Inside a held transaction (pg::Connection::hold_transaction(), the dry run's rehearsal) the
// batch's transaction is a savepoint of it, released instead of committed.
//
// Pooler safety: everything happens inside the transaction (SET LOCAL, ON COMMIT DROP staging,
// unnamed statements), so a transaction-mode pooler such as pgbouncer or Supabase's works.
//
// Thread-safety: a BatchWriter is used by one thread with its own Connection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/sink/batch.h"
#include "engine/spec/mapping_spec.h"
#include "engine/state/lease.h"

namespace mapengine {

struct BatchOutcome {
  long written = 0;
  long skipped = 0;   // skip_existing: rows that already existed
  long rejected = 0;  // rejects in this batch (engine + server)
  int attempts = 0;   // COPY/INSERT attempts made (1 when nothing was refused)
};

// Settings applied with SET LOCAL in every batch transaction.
struct TransactionSettings {
  std::string statement_timeout = "5min";
  std::string lock_timeout = "1min";
  bool synchronous_commit = true;
};

class BatchWriter {
 public:
  // `columns` is the quoted target column list in COPY order. `renewal` is shared by every
  // writer of the mapping and must outlive them.
  BatchWriter(const spec::MappingSpec& mapping, std::string columns, long long run_id,
              std::string lease_owner, TransactionSettings settings,
              state::LeaseRenewal& renewal);

  // A process that joined another's run (apply --join) holds only its ranges' leases: its
  // batches are fenced by them alone, not by the mapping's lease.
  void fence_by_ranges_only() { ranges_only_ = true; }

  // Writes `batch` for key range `range_no`, whose checkpoint must hold `previous_key` (the
  // last key of the batch committed before; empty for none). Throws Error on anything but
  // per-row refusals (the transaction is then rolled back; the caller may retry transient
  // errors); Error(kConflict) when the checkpoint is elsewhere or the lease was taken over.
  BatchOutcome write(pg::Connection& target, const Batch& batch, int range_no,
                     const std::vector<std::string>& previous_key, bool range_done) const;

  // Writes `batch`, rows read again for keys the mapping had rejected (apply --retry-rejects),
  // in one transaction as write() does, but instead of moving a checkpoint: deletes the rejects
  // recorded for the `retried` keys (so each key keeps only the reject of this attempt, if it
  // failed again) and adjusts the mapping's counters (in its first range) by the rows now
  // written and the rejects no longer there. The lease is checked as in write().
  BatchOutcome write_retry(pg::Connection& target, const Batch& batch,
                           const std::vector<std::string>& retried) const;

 private:
  // write() in one transaction; `careful` writes under a savepoint and takes refused rows out.
  // `retried` is null for write(), the retried keys for write_retry().
  BatchOutcome write_transaction(pg::Connection& target, const Batch& batch, int range_no,
                                 const std::vector<std::string>& previous_key, bool range_done,
                                 bool careful, const std::vector<std::string>* retried) const;
  // Tries to write rows[indexes] under the savepoint the transaction holds; refused rows are
  // added to `rejects`. Returns rows written.
  long write_rows(pg::Connection& target, const Batch& batch, std::vector<size_t> indexes,
                  std::vector<RejectRecord>& rejects, std::vector<bool>& refused,
                  BatchOutcome& outcome) const;
  // One attempt inside a savepoint; returns rows written or throws. `binary` sends the batch's
  // binary form (then `indexes` must be every row); the careful path always sends text, which
  // the refused-row search reads line numbers and values from.
  long attempt(pg::Connection& target, const Batch& batch, const std::vector<size_t>& indexes,
               bool binary) const;

  // The reject for `row`, which the server refused with `e`.
  RejectRecord reject_of(pg::Connection& target, const BatchRow& row, const Batch& batch,
                         const Error& e) const;
  // The single column a named constraint covers, or empty (cached per constraint).
  std::string constraint_column(pg::Connection& target, const std::string& constraint) const;

  const spec::MappingSpec& mapping_;
  mutable std::map<std::string, std::string> constraint_columns_;
  std::string columns_;
  std::string table_;
  long long run_id_;
  std::string lease_owner_;
  state::LeaseRenewal& renewal_;
  bool ranges_only_ = false;
  TransactionSettings settings_;
  std::string create_stage_;       // for upsert / skip_existing
  std::string copy_;               // COPY into the table, or into the staging table
  std::string insert_from_stage_;  // for upsert / skip_existing
};

// The statements a batch sends to write its rows, in order (BatchWriter uses these; `mapengine
// explain` shows them). `columns` is the quoted target column list in COPY order.
//   insert:                 COPY table (columns) FROM STDIN
//   upsert / skip_existing: CREATE TEMP TABLE mapengine_stage (LIKE table ...) ON COMMIT DROP;
//                           COPY mapengine_stage (columns) FROM STDIN;
//                           INSERT INTO table ... SELECT ... FROM mapengine_stage ON CONFLICT ...
std::vector<std::string> row_write_statements(const spec::MappingSpec& mapping,
                                              const std::string& columns);

}  // namespace mapengine
