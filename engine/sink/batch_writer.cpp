#include "engine/sink/batch_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"
#include "engine/sink/copy_binary_encoder.h"
#include "engine/source/copy_text_decoder.h"
#include "engine/state/batch_record.h"
#include "engine/state/range_lease.h"

namespace mapengine {
namespace {

constexpr std::string_view kStage = "mapengine_stage";
constexpr std::string_view kAttempt = "mapengine_attempt";  // the savepoint around a write attempt

// Errors that concern the rows being written (bad value, constraint) rather than the batch.
// 21000 is an upsert whose batch holds two rows for one conflict key (an association table's
// legacy rows that meet on one pair): written apart, the later row updates the earlier.
bool is_row_error(const Error& e) {
  const std::string& state = e.sqlstate();
  return e.kind() == ErrorKind::kDatabase &&
         (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0 || state == "P0001" ||
          state == "21000");
}

// The 1-based COPY line named in a COPY error's CONTEXT ("COPY t, line 37, ..."), or 0.
size_t copy_line(const std::string& context) {
  if (context.rfind("COPY ", 0) != 0) return 0;
  size_t pos = context.find(", line ");
  if (pos == std::string::npos) return 0;
  pos += 7;
  size_t line = 0;
  auto [end, ec] = std::from_chars(context.data() + pos, context.data() + context.size(), line);
  (void)end;
  return ec == std::errc() ? line : 0;
}

// The column named in a COPY error's CONTEXT ("..., column email: ..."), or empty.
std::string copy_column(const std::string& context) {
  size_t pos = context.find(", column ");
  if (pos == std::string::npos) return {};
  pos += 9;
  size_t end = context.find(':', pos);
  return context.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

}  // namespace

void Batch::clear() {
  encoded.clear();
  binary.clear();
  rows.clear();
  rejects.clear();
  pending.clear();
  last_key.clear();
  rows_read = 0;
}

std::vector<std::string> row_write_statements(const spec::MappingSpec& mapping,
                                              const std::string& columns) {
  const std::string table = mapping.table.quoted();
  if (mapping.mode == spec::WriteMode::kInsert) {
    return {fmt::format("COPY {} ({}) FROM STDIN", table, columns)};
  }
  std::string conflict;
  for (const auto& c : mapping.conflict_columns) {
    if (!conflict.empty()) conflict += ", ";
    conflict += pg::quote_identifier(c);
  }
  std::string action = "DO NOTHING";
  if (mapping.mode == spec::WriteMode::kUpsert) {
    std::string sets;
    for (const auto& column : mapping.columns) {
      if (std::find(mapping.conflict_columns.begin(), mapping.conflict_columns.end(),
                    column.name) != mapping.conflict_columns.end() ||
          std::find(mapping.id_columns.begin(), mapping.id_columns.end(), column.name) !=
              mapping.id_columns.end()) {
        continue;  // the existing row keeps its identity
      }
      if (!sets.empty()) sets += ", ";
      std::string q = pg::quote_identifier(column.name);
      sets += q + " = EXCLUDED." + q;
    }
    action = sets.empty() ? "DO NOTHING" : "DO UPDATE SET " + sets;
  }
  return {fmt::format("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP", kStage,
                      table),
          fmt::format("COPY {} ({}) FROM STDIN", kStage, columns),
          fmt::format("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) {}", table, columns,
                      columns, kStage, conflict, action)};
}

BatchWriter::BatchWriter(const spec::MappingSpec& mapping, std::string columns, long long run_id,
                         std::string lease_owner, TransactionSettings settings,
                         state::LeaseRenewal& renewal)
    : mapping_(mapping),
      columns_(std::move(columns)),
      table_(mapping.table.quoted()),
      run_id_(run_id),
      lease_owner_(std::move(lease_owner)),
      renewal_(renewal),
      settings_(std::move(settings)) {
  std::vector<std::string> statements = row_write_statements(mapping, columns_);
  if (statements.size() == 3) {
    create_stage_ = std::move(statements[0]);
    copy_ = std::move(statements[1]);
    insert_from_stage_ = std::move(statements[2]);
  } else {
    copy_ = std::move(statements[0]);
  }
}

long BatchWriter::attempt(pg::Connection& target, const Batch& batch,
                          const std::vector<size_t>& indexes, bool binary) const {
  bool staged = !insert_from_stage_.empty();
  if (staged) target.exec(fmt::format("DELETE FROM {}", kStage));
  if (binary) {
    // Every row, as the batch's binary form holds them.
    target.copy_in_begin(copy_ + " (FORMAT binary)");
    target.copy_in_send(CopyBinaryEncoder::header());
    target.copy_in_send(batch.binary);
    target.copy_in_send(CopyBinaryEncoder::trailer());
    long copied = target.copy_in_end();
    return staged ? target.exec(insert_from_stage_).affected() : copied;
  }
  target.copy_in_begin(copy_);
  // Send contiguous runs of rows in one call each.
  size_t i = 0;
  while (i < indexes.size()) {
    size_t j = i;
    while (j + 1 < indexes.size() && indexes[j + 1] == indexes[j] + 1 &&
           batch.rows[indexes[j + 1]].begin == batch.rows[indexes[j]].end) {
      ++j;
    }
    const BatchRow& first = batch.rows[indexes[i]];
    const BatchRow& last = batch.rows[indexes[j]];
    target.copy_in_send(std::string_view(batch.encoded).substr(first.begin, last.end - first.begin));
    i = j + 1;
  }
  long copied = target.copy_in_end();
  if (!staged) return copied;
  return target.exec(insert_from_stage_).affected();
}

std::string BatchWriter::constraint_column(pg::Connection& target,
                                           const std::string& constraint) const {
  auto it = constraint_columns_.find(constraint);
  if (it != constraint_columns_.end()) return it->second;
  pg::Result columns = target.exec(
      "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
      "AND a.attnum = ANY (c.conkey) WHERE c.conname = $1 AND c.conrelid = $2::regclass",
      {constraint, table_});
  std::string column = columns.rows() == 1 ? std::string(columns.value(0, 0)) : "";
  constraint_columns_.emplace(constraint, column);
  return column;
}

long BatchWriter::write_rows(pg::Connection& target, const Batch& batch,
                             std::vector<size_t> indexes, std::vector<RejectRecord>& rejects,
                             std::vector<bool>& refused, BatchOutcome& outcome) const {
  long written = 0;
  while (!indexes.empty()) {
    ++outcome.attempts;
    try {
      written += attempt(target, batch, indexes, false);
      return written;
    } catch (const Error& e) {
      if (!is_row_error(e) || !target.is_ok()) throw;
      // Undo the attempt; the savepoint stays for the next one.
      target.exec(fmt::format("ROLLBACK TO SAVEPOINT {}", kAttempt));
      size_t line = copy_line(e.server_context());
      size_t bad = 0;
      if (line >= 1 && line <= indexes.size()) {
        bad = line - 1;
      } else if (indexes.size() == 1) {
        bad = 0;
      } else {
        // No line to go by (a constraint checked after COPY, or the INSERT from staging):
        // bisect. The first half's rows are kept (released into the transaction) before the
        // second half is tried under a new savepoint.
        size_t half = indexes.size() / 2;
        std::vector<size_t> first(indexes.begin(), indexes.begin() + static_cast<long>(half));
        std::vector<size_t> second(indexes.begin() + static_cast<long>(half), indexes.end());
        written += write_rows(target, batch, std::move(first), rejects, refused, outcome);
        target.exec(fmt::format("RELEASE SAVEPOINT {0}; SAVEPOINT {0}", kAttempt));
        written += write_rows(target, batch, std::move(second), rejects, refused, outcome);
        return written;
      }
      size_t row_index = indexes[bad];
      rejects.push_back(reject_of(target, batch.rows[row_index], batch, e));
      refused[row_index] = true;
      indexes.erase(indexes.begin() + static_cast<long>(bad));
    }
  }
  return written;
}

RejectRecord BatchWriter::reject_of(pg::Connection& target, const BatchRow& row, const Batch& batch,
                                    const Error& e) const {
  RejectRecord reject;
  reject.legacy_key = row.legacy_key;
  reject.column = e.server().column;
  if (reject.column.empty()) reject.column = copy_column(e.server_context());
  if (reject.column.empty() && !e.server().constraint.empty()) {
    reject.column = constraint_column(target, e.server().constraint);
  }
  reject.rule = e.sqlstate().rfind("23", 0) == 0 ? "constraint" : "data";
  reject.reason = e.server().message;
  if (!e.server().detail.empty()) reject.reason += " (" + e.server().detail + ")";
  reject.reason += fmt::format(" [SQLSTATE {}]", e.sqlstate());
  if (!reject.column.empty()) {
    // The value as it was sent: decode the row and pick the column.
    std::vector<Value> fields;
    std::string_view encoded =
        std::string_view(batch.encoded).substr(row.begin, row.end - row.begin);
    if (CopyTextDecoder::decode_row(encoded, fields)) {
      size_t c = 0;
      for (const auto& column : mapping_.columns) {
        if (column.name == reject.column && c < fields.size()) {
          if (!fields[c].is_null()) reject.value = std::string(fields[c].text());
          break;
        }
        ++c;
      }
    }
  }
  return reject;
}

BatchOutcome BatchWriter::write(pg::Connection& target, const Batch& batch, int range_no,
                                const std::vector<std::string>& previous_key,
                                bool range_done) const {
  // Most batches have no row the server refuses: they are written without a savepoint, which
  // would make every row a subtransaction's (about 3 % slower on the server). A batch with a
  // refused row is rolled back whole and written again with one.
  try {
    return write_transaction(target, batch, range_no, previous_key, range_done, false, nullptr);
  } catch (const Error& e) {
    if (!is_row_error(e) || !target.is_ok()) throw;
  }
  // Rows refused because another process took the mapping or the range over (and wrote the
  // same keys) are not this batch's to set aside one by one: the batch would roll back at its
  // lease check.
  if (!ranges_only_ && !state::holds_lease(target, mapping_.name, lease_owner_)) {
    throw state::lease_lost(mapping_.name);
  }
  if (!state::holds_range_lease(target, mapping_.name, range_no, lease_owner_)) {
    throw state::range_lease_lost(mapping_.name, range_no);
  }
  BatchOutcome outcome =
      write_transaction(target, batch, range_no, previous_key, range_done, true, nullptr);
  ++outcome.attempts;  // the first attempt, rolled back
  return outcome;
}

BatchOutcome BatchWriter::write_retry(pg::Connection& target, const Batch& batch,
                                      const std::vector<std::string>& retried) const {
  try {
    return write_transaction(target, batch, 0, {}, false, false, &retried);
  } catch (const Error& e) {
    if (!is_row_error(e) || !target.is_ok()) throw;
  }
  if (!state::holds_lease(target, mapping_.name, lease_owner_)) {
    throw state::lease_lost(mapping_.name);
  }
  BatchOutcome outcome = write_transaction(target, batch, 0, {}, false, true, &retried);
  ++outcome.attempts;
  return outcome;
}

BatchOutcome BatchWriter::write_transaction(pg::Connection& target, const Batch& batch,
                                            int range_no,
                                            const std::vector<std::string>& previous_key,
                                            bool range_done, bool careful,
                                            const std::vector<std::string>* retried) const {
  BatchOutcome outcome;
  // One round trip opens the transaction: its local settings (nothing may rely on session
  // state behind a transaction-mode pooler) and, when careful, the savepoint that lets a
  // refused row be taken out and the rest written again. (Inside a held transaction, a dry
  // run's, the batch is a savepoint of it instead: pg::Connection::begin().)
  std::vector<std::string> opening = {
      fmt::format("SET LOCAL statement_timeout = {}",
                  target.quote_literal(settings_.statement_timeout)),
      fmt::format("SET LOCAL lock_timeout = {}", target.quote_literal(settings_.lock_timeout))};
  if (!settings_.synchronous_commit) opening.emplace_back("SET LOCAL synchronous_commit = off");
  if (!insert_from_stage_.empty() && !batch.rows.empty()) {
    // In a held transaction the staging table of the batch before (another mapping's, perhaps)
    // outlives its savepoint: ON COMMIT comes only at the end.
    if (target.held()) opening.push_back(fmt::format("DROP TABLE IF EXISTS {}", kStage));
    opening.push_back(create_stage_);
  }
  if (careful) {
    // A deferred constraint would refuse a row only at COMMIT, where no savepoint can take it
    // out: checked at the end of each statement instead, the refused row is found like any other.
    opening.emplace_back("SET CONSTRAINTS ALL IMMEDIATE");
    opening.push_back(fmt::format("SAVEPOINT {}", kAttempt));
  }
  pg::Transaction tx(target, fmt::format("{}", fmt::join(opening, "; ")));
  std::vector<RejectRecord> rejects = batch.rejects;
  std::vector<bool> refused(batch.rows.size(), false);
  std::vector<size_t> all(batch.rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (careful) {
    outcome.written = write_rows(target, batch, std::move(all), rejects, refused, outcome);
  } else if (!all.empty()) {
    ++outcome.attempts;
    outcome.written = attempt(target, batch, all, !batch.binary.empty());
  }
  long attempted = 0;
  for (bool r : refused) attempted += r ? 0 : 1;
  if (mapping_.mode == spec::WriteMode::kSkipExisting) {
    outcome.skipped = attempted - outcome.written;
  }
  outcome.rejected = static_cast<long>(rejects.size());

  // The batch's record in the state tables, then its checkpoint, fenced by the lease.
  std::unordered_set<std::string_view> refused_keys;
  for (size_t i = 0; i < refused.size(); ++i) {
    if (refused[i]) refused_keys.insert(batch.rows[i].legacy_key);
  }
  state::BatchRecord record(mapping_.name, run_id_);
  if (mapping_.legacy_key_columns.empty()) {
    for (size_t i = 0; i < batch.rows.size(); ++i) {
      if (!refused[i] && !batch.rows[i].id.empty()) {
        record.add_id(batch.rows[i].legacy_key, batch.rows[i].id);
      }
    }
  }
  for (const auto& ref : batch.pending) {
    if (!refused_keys.count(ref.legacy_key)) record.add_pending(ref);
  }
  if (retried != nullptr) record.replace_rejects_of(*retried);
  for (const auto& reject : rejects) record.add_reject(reject);
  long long rejects_removed = record.write(target);

  if (retried != nullptr) {
    state::adjust_retried_counts(target, mapping_.name, lease_owner_, outcome.written,
                                 rejects_removed, outcome.rejected);
    tx.commit();
    return outcome;
  }
  state::CheckpointAdvance advance;
  advance.range_no = range_no;
  advance.previous_key = previous_key;
  advance.last_key = batch.last_key;
  advance.range_done = range_done;
  advance.counts = {batch.rows_read, outcome.written, outcome.rejected, outcome.skipped};
  advance.mapping_lease = !ranges_only_;
  state::advance_checkpoint(target, mapping_.name, lease_owner_, advance,
                            !ranges_only_ && renewal_.due());
  tx.commit();
  return outcome;
}

}  // namespace mapengine
