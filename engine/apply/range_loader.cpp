#include "engine/apply/range_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <unordered_set>

#include "engine/apply/batch_builder.h"
#include "engine/common/bounded_queue.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/pg/quote.h"
#include "engine/sink/batch_writer.h"
#include "engine/source/source_reader.h"
#include "engine/state/batch_record.h"
#include "engine/state/range_lease.h"

namespace mapengine {
namespace {

using Clock = std::chrono::steady_clock;

long long milliseconds_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Takes out of `batch.rejects` the lookup misses whose value is a key of the upstream mapping's
// source (its row exists, outside the sample) and counts them by column into `counts`.
void set_aside_outside_sample(pg::Connection& source, const CutShortParents& parents,
                              Batch& batch, std::map<std::string, long long>& counts) {
  std::map<std::string, std::unordered_set<std::string>> found;  // column -> upstream keys
  for (const auto& [column, parent] : parents) {
    std::string values = "{";
    for (const auto& reject : batch.rejects) {
      if (reject.rule != "lookup" || reject.column != column || !reject.value) continue;
      if (values.size() > 1) values += ',';
      values += '"';
      for (char c : *reject.value) {
        if (c == '"' || c == '\\') values += '\\';
        values += c;
      }
      values += '"';
    }
    if (values.size() == 1) continue;
    std::string key = pg::quote_identifier(parent.key);
    pg::Result rows = source.exec(
        fmt::format("SELECT DISTINCT q.{0}::text FROM ({1}) q WHERE q.{0}::text = ANY($1::text[])",
                    key, parent.query),
        {values + "}"});
    for (int r = 0; r < rows.rows(); ++r) found[column].emplace(rows.value(r, 0));
  }
  std::vector<RejectRecord> kept;
  for (auto& reject : batch.rejects) {
    auto it = found.find(reject.column);
    if (reject.rule == "lookup" && reject.value && it != found.end() &&
        it->second.count(*reject.value)) {
      ++counts[reject.column];
    } else {
      kept.push_back(std::move(reject));
    }
  }
  batch.rejects = std::move(kept);
}

// A batch built from the source, on its way to the writer.
struct BuiltBatch {
  Batch batch;
  bool last = false;  // no rows follow in this range
};

// Batches the writer is done with, handed back to the producer. Their buffers keep their
// capacity, so a range builds every batch in memory it already has instead of allocating (and
// page-faulting) a few megabytes afresh each time.
class BatchPool {
 public:
  Batch take() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return Batch();
    Batch batch = std::move(spare_.back());
    spare_.pop_back();
    return batch;
  }
  void give(Batch batch) {
    std::lock_guard lock(mutex_);
    if (spare_.size() < kKept) spare_.push_back(std::move(batch));
  }

 private:
  static constexpr size_t kKept = 4;  // the queue's two, the one being written, one spare
  std::mutex mutex_;
  std::vector<Batch> spare_;
};

// One key range being loaded: what the two stages of its pipeline share.
struct RangeJob {
  const RowProgram& program;
  const state::RangeState& range;
  const ApplyOptions& options;
  const RunContext& run;
  MappingProgress& progress;
  MappingShared& shared;
  int batch_size;
  const CutShortParents& parents;
  long long sample;  // a dry run's --sample (0: every row)
  BoundedQueue<BuiltBatch> queue{2};
  BatchPool pool;
};

// The producer stage: reads the range's rows and transforms them into batches for the queue.
// Never throws (a failure goes to shared.fail()); closes the queue when done.
void produce_batches(RangeJob& job, SourceReader& reader) {
  const spec::MappingSpec& mapping = job.program.mapping();
  const RowProgram& program = job.program;
  const ApplyOptions& options = job.options;
  const state::RangeState& range = job.range;
  Rehearsal* rehearsal = job.run.rehearsal;
  MappingShared& shared = job.shared;
  BoundedQueue<BuiltBatch>& queue = job.queue;
  BatchPool& pool = job.pool;
  const CutShortParents& parents = job.parents;
  const long long sample = job.sample;
  const int batch_size = job.batch_size;
  try {
    // Batched lookups are answered on a connection of their own (but in a dry run).
    std::optional<pg::Connection> lookups;
    std::optional<pg::Connection> upstream_source;  // for `parents`
    BatchBuilder builder(program);
    long long built_no = 0;
    // The batch's binary form, when the table's types have one and every value takes it.
    auto encode = [&](Batch& batch) {
      CopyBinaryEncoder::Declined declined;
      if (shared.binary && !batch.rows.empty() &&
          !shared.binary->encode(batch.encoded, batch.binary, &declined)) {
        if (shared.text_batches++ == 0) {
          std::lock_guard lock(shared.mutex);
          shared.first_declined = std::move(declined);
        }
      }
    };
    auto hand_over = [&](const RowBlock& block) {
      BuiltBatch built;
      built.batch = pool.take();
      built.last = block.last;
      ++built_no;
      if (rehearsal != nullptr) {
        {
          std::lock_guard lock(rehearsal->mutex);
          builder.build(block, rehearsal->target, built.batch);
        }
        if (!parents.empty() && !built.batch.rejects.empty()) {
          if (!upstream_source) upstream_source.emplace(options.source_url, "source");
          std::map<std::string, long long> outside;
          set_aside_outside_sample(*upstream_source, parents, built.batch, outside);
          std::lock_guard lock(shared.mutex);
          for (const auto& [column, rows] : outside) shared.outside_sample[column] += rows;
        }
        encode(built.batch);
        return queue.push(std::move(built));
      }
      with_retries(
          options.retry, fmt::format("{}: batch {} (lookups)", mapping.name, built_no),
          [&] {
            if (!program.batched().empty() && (!lookups || !lookups->is_ok())) {
              lookups.emplace(options.target_url, "target");
            }
            builder.build(block, lookups ? &*lookups : nullptr, built.batch);
          },
          [&] { lookups.reset(); });
      encode(built.batch);
      return queue.push(std::move(built));
    };
    // A full block is handed over only when the next row arrives, so that the final block
    // of the range carries `last` (an empty final batch is written only for an empty range).
    RowBlock block;
    reader.read(range.range, range.last_key,
                [&](std::string_view row) {
                  if (sample > 0 && shared.sampled++ >= sample) {
                    shared.cut_short = true;  // a row beyond the sample exists
                    return false;
                  }
                  if (static_cast<int>(block.ends.size()) >= batch_size) {
                    if (!hand_over(block)) return false;
                    block.data.clear();
                    block.ends.clear();
                  }
                  block.data.append(row);
                  block.ends.push_back(block.data.size());
                  return true;
                },
                &shared.stop);
    if (!shared.stop) {
      block.last = true;
      hand_over(block);
    }
  } catch (...) {
    shared.fail(std::current_exception());
  }
  queue.close();
}

// The writer stage: writes each batch the producer built, on the caller's thread, retrying a
// broken connection (a batch whose COMMIT went through is not written twice). Never throws.
void write_batches(RangeJob& job) {
  const spec::MappingSpec& mapping = job.program.mapping();
  const ApplyOptions& options = job.options;
  const state::RangeState& range = job.range;
  const RunContext& run = job.run;
  Rehearsal* rehearsal = run.rehearsal;
  MappingProgress& progress = job.progress;
  MappingShared& shared = job.shared;
  try {
    std::optional<pg::Connection> target;
    BatchWriter writer(mapping, job.program.target_column_list(), run.run_id, run.owner,
                       options.transaction, shared.lease);
    if (shared.joined) writer.fence_by_ranges_only();
    long long batch_no = 0;
    std::vector<std::string> previous_key = range.last_key.value_or(KeyParts{});
    while (auto built = job.queue.pop()) {
      if (shared.stop) break;
      const Batch& batch = built->batch;
      ++batch_no;
      BatchOutcome outcome;
      auto started = Clock::now();
      if (rehearsal != nullptr) {
        // No retry: the rehearsal's work is in the one transaction a lost connection ends.
        std::lock_guard lock(rehearsal->mutex);
        outcome = writer.write(*rehearsal->target, batch, range.range_no, previous_key,
                               built->last);
      } else {
        bool retrying = false;
        outcome = with_retries(
            options.retry, fmt::format("{}: batch {}", mapping.name, batch_no),
            [&] {
              if (!target || !target->is_ok()) target.emplace(options.target_url, "target");
              if (retrying && state::batch_committed(*target, mapping.name, range.range_no,
                                              batch.last_key)) {
                // The COMMIT went through before the connection broke.
                BatchOutcome committed;
                committed.written = static_cast<long>(batch.rows.size());
                committed.rejected = static_cast<long>(batch.rejects.size());
                return committed;
              }
              return writer.write(*target, batch, range.range_no, previous_key, built->last);
            },
            [&] {
              target.reset();
              retrying = true;
            });
      }
      if (!batch.last_key.empty()) previous_key = batch.last_key;
      progress.read += batch.rows_read;
      progress.written += outcome.written;
      progress.rejected += outcome.rejected;
      progress.skipped += outcome.skipped;
      log_event(spdlog::level::debug, "batch",
                fmt::format("{}: batch {} committed", mapping.name, batch_no),
                {{"table", mapping.name},
                 {"range", range.range_no},
                 {"batch", batch_no},
                 {"rows", batch.rows_read},
                 {"written", outcome.written},
                 {"rejected", outcome.rejected},
                 {"attempts", outcome.attempts},
                 {"ms", milliseconds_since(started)}});
      // A rehearsal goes on past the limit: it reports every reject (see run_mapping).
      if (rehearsal == nullptr) {
        check_reject_limit(mapping, shared.rejected_before + progress.rejected,
                           shared.read_before + progress.read,
                           shared.read_before + std::max(0LL, progress.total.load()));
      }
      if (run.interrupted != nullptr && run.interrupted->load()) {
        shared.stop = true;
        break;
      }
      if (built->last) {
        std::lock_guard lock(shared.mutex);
        shared.loaded.push_back(range.range_no);
      }
      job.pool.give(std::move(built->batch));
    }
  } catch (...) {
    shared.fail(std::current_exception());
  }
}

// Reads one key range and writes it batch by batch, the two stages overlapping (see the file's
// comment). In a dry run both stages use the rehearsal's connection, in turn.
void run_range(const RowProgram& program, const state::RangeState& range,
               const ApplyOptions& options, const RunContext& run, MappingProgress& progress,
               MappingShared& shared, int batch_size, const CutShortParents& parents) {
  RangeJob job{program, range, options, run, progress, shared, batch_size, parents,
               run.rehearsal != nullptr ? options.sample : 0};
  SourceOptions source_options = options.source;
  source_options.snapshot = run.snapshot;
  source_options.retry = options.retry;
  if (job.sample > 0) {
    // One row past the sample tells whether the sample left rows out.
    source_options.chunk_rows =
        static_cast<long>(std::min<long long>(source_options.chunk_rows, job.sample + 1));
  }
  SourceReader reader(options.source_url, program.mapping().source_query, program.mapping().key,
                      program.key_indexes(), source_options);

  std::thread producer([&] { produce_batches(job, reader); });
  write_batches(job);
  shared.stop = shared.stop || (run.interrupted && run.interrupted->load());
  job.queue.close();
  producer.join();
}

}  // namespace

CutShortParents cut_short_parents(const RowProgram& program, const spec::Project& project,
                                  const Rehearsal* rehearsal) {
  CutShortParents parents;
  if (rehearsal == nullptr) return parents;
  for (const auto& column : program.columns()) {
    if (!column.lookup_target || column.lookup_target->self ||
        !rehearsal->cut_short.count(column.lookup_target->mapping)) {
      continue;
    }
    const spec::MappingSpec* upstream = project.find_mapping(column.lookup_target->mapping);
    if (upstream == nullptr || upstream->key.size() != 1) continue;
    parents[column.name] = {upstream->source_query, upstream->key.front()};
  }
  return parents;
}

// Checks the mapping's max_rejects after a batch; throws Error(kData) when exceeded.
// A percentage is taken of the rows the mapping will read in all (`total`), so that a few bad rows
// early in the table do not abort a run that ends well within the limit.
void check_reject_limit(const spec::MappingSpec& mapping, long long rejected, long long read,
                        long long total) {
  if (!mapping.max_rejects) return;
  const spec::RejectLimit& limit = *mapping.max_rejects;
  if (limit.exceeded(rejected, std::max(read, total))) {
    throw Error(ErrorKind::kData,
                fmt::format("{}: max_rejects exceeded: {} rows rejected of {} read (limit {}); "
                            "batches written so far are committed. Rejects count against the "
                            "limit until the mapping is restarted: review them in "
                            "mapengine.rejects, then fix the data or the mapping and apply "
                            "--restart, or raise max_rejects and continue with --allow-changed",
                            mapping.name, rejected, read, limit.text()));
  }
}

void load_key_ranges(const RowProgram& program, const ApplyOptions& options,
                     const RunContext& run, MappingProgress& progress, MappingShared& shared,
                     int batch_size, const CutShortParents& parents) {
  const spec::MappingSpec& mapping = program.mapping();
  std::optional<pg::Connection> own;
  while (!shared.stop) {
    std::optional<state::RangeState> range;
    try {
      if (run.rehearsal != nullptr) {
        range = state::claim_range(*run.rehearsal->target, mapping.name, run.owner, run.run_id);
      } else {
        with_retries(
            options.retry, fmt::format("{}: claiming a key range", mapping.name),
            [&] {
              if (!own || !own->is_ok()) own.emplace(options.target_url, "target");
              range = state::claim_range(*own, mapping.name, run.owner, run.run_id);
            },
            [&] { own.reset(); });
      }
    } catch (...) {
      shared.fail(std::current_exception());
      return;
    }
    if (!range) return;
    if (range->last_key) {
      log_event(spdlog::level::info, "range_resume",
                fmt::format("{}: range {}: resuming after its last committed batch", mapping.name,
                            range->range_no),
                {{"table", mapping.name}, {"range", range->range_no}});
    }
    run_range(program, *range, options, run, progress, shared, batch_size, parents);
  }
}

}  // namespace mapengine
