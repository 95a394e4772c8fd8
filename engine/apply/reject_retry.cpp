#include "engine/apply/reject_retry.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "engine/apply/batch_builder.h"
#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/sink/batch_writer.h"
#include "engine/state/legacy_key.h"
#include "engine/state/reject_store.h"

namespace mapengine {
namespace {

// Keys per source statement (and per target transaction).
constexpr size_t kKeysPerRead = 1000;

// The rows of the mapping's source query whose key is one of `keys` (canonical texts), in key
// order. Key parts travel as libpq-quoted literals (COPY takes no parameters), compared with
// the key columns in their own type, so the key's index can answer.
std::string retry_sql(pg::Connection& source, const spec::MappingSpec& mapping,
                      const std::vector<std::string>& keys, size_t begin, size_t end) {
  std::vector<std::string> columns;
  for (const auto& k : mapping.key) columns.push_back("q." + pg::quote_identifier(k));
  std::string list;
  for (size_t i = begin; i < end; ++i) {
    std::vector<std::string> parts = legacy_key_parts(keys[i], mapping.key.size());
    if (parts.size() != mapping.key.size()) continue;
    if (!list.empty()) list += ", ";
    std::string tuple;
    for (const auto& part : parts) {
      if (!tuple.empty()) tuple += ", ";
      tuple += source.quote_literal(part);
    }
    list += mapping.key.size() == 1 ? tuple : "(" + tuple + ")";
  }
  // fmt, not "(" + string: GCC 12 at -O3 reports a false -Wrestrict for that (bug 105651).
  std::string lhs =
      mapping.key.size() == 1 ? columns[0] : fmt::format("({})", fmt::join(columns, ", "));
  return fmt::format("SELECT * FROM ({}) q WHERE {} IN ({}) ORDER BY {}", mapping.source_query,
                     lhs, list.empty() ? "NULL" : list, fmt::join(columns, ", "));
}

}  // namespace

RetryOutcome retry_rejected_rows(const RowProgram& program, pg::Connection& target,
                                 pg::Connection& source, const ApplyOptions& options,
                                 const RunContext& run, MappingProgress& progress) {
  const spec::MappingSpec& mapping = program.mapping();
  RetryOutcome outcome;
  std::vector<std::string> keys = state::rejected_keys(target, mapping.name);
  outcome.keys = static_cast<long long>(keys.size());
  progress.total = outcome.keys;
  progress.total_estimated = false;
  state::LeaseRenewal renewal;
  BatchWriter writer(mapping, program.target_column_list(), run.run_id, run.owner,
                     options.transaction, renewal);
  BatchBuilder builder(program);
  std::optional<pg::Connection> lookups;
  if (!program.batched().empty()) lookups.emplace(options.target_url, "target");
  for (size_t begin = 0; begin < keys.size(); begin += kKeysPerRead) {
    if (run.interrupted != nullptr && run.interrupted->load()) {
      throw Error(ErrorKind::kInterrupted,
                  fmt::format("{}: interrupted; the retried rows committed so far are kept",
                              mapping.name));
    }
    size_t end = std::min(keys.size(), begin + kKeysPerRead);
    RowBlock block;
    block.last = true;
    source.copy_out("COPY (" + retry_sql(source, mapping, keys, begin, end) + ") TO STDOUT",
                    [&](std::string_view rows) {
                      for (size_t i = 0; i < rows.size(); ++i) {
                        block.data += rows[i];
                        if (rows[i] == '\n') block.ends.push_back(block.data.size());
                      }
                      return true;
                    });
    Batch batch;
    builder.build(block, lookups ? &*lookups : nullptr, batch);
    std::set<std::string> found;
    for (const auto& row : batch.rows) found.insert(row.legacy_key);
    for (const auto& reject : batch.rejects) found.insert(reject.legacy_key);
    outcome.missing += static_cast<long long>(end - begin) - static_cast<long long>(found.size());
    if (found.empty()) continue;
    BatchOutcome written =
        writer.write_retry(target, batch, std::vector<std::string>(found.begin(), found.end()));
    progress.read += batch.rows_read;
    progress.written += written.written;
    progress.rejected += written.rejected;
    progress.skipped += written.skipped;
  }
  return outcome;
}

}  // namespace mapengine
