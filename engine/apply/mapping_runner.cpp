#include "engine/apply/mapping_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "engine/apply/batch_builder.h"
#include "engine/apply/bulk_load.h"
#include "engine/apply/reject_retry.h"
#include "engine/apply/row_program.h"
#include "engine/apply/self_reference_resolver.h"
#include "engine/common/bounded_queue.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/pg/quote.h"
#include "engine/sink/batch_writer.h"
#include "engine/source/source_reader.h"
#include "engine/state/batch_record.h"
#include "engine/state/checkpoint_store.h"
#include "engine/state/lease.h"
#include "engine/state/range_lease.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// State shared by the range workers of one mapping.
struct MappingShared {
  std::mutex mutex;
  std::exception_ptr failure;
  std::atomic<bool> stop{false};
  long long rejected_before = 0;  // rejects recorded by earlier attempts
  long long read_before = 0;
  state::LeaseRenewal lease;
  bool joined = false;      // apply --join found another process applying the mapping
  std::vector<int> loaded;  // ranges this process finished, guarded by mutex
  // Dry run with --sample: rows taken so far, whether rows were left out, and the rows set
  // aside because their parent row is outside an upstream mapping's sample (by column).
  std::atomic<long long> sampled{0};
  std::atomic<bool> cut_short{false};
  std::map<std::string, long long> outside_sample;  // guarded by mutex

  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex);
    if (!failure) failure = error;
    stop = true;
  }
};

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

// The mapping's figures since it was last (re)started, from its checkpoints.
RowCounts recorded_counts(pg::Connection& target, const std::string& mapping) {
  RowCounts counts;
  for (const auto& r : state::load_ranges(target, mapping)) counts += r;
  return counts;
}

// Sets result's status to "rejects" when the mapping's recorded rejects (`counts`) are not
// accepted by the limit the file declares (none declared: any reject), with what to do.
void judge_rejects(const spec::MappingSpec& mapping, const RowCounts& counts,
                   MappingResult& result) {
  if (spec::rejects_accepted(mapping.max_rejects, counts.rejected, counts.read)) return;
  result.status = ApplyStatus::kRejects;
  std::string why =
      mapping.max_rejects
          ? fmt::format("over its max_rejects {}", mapping.max_rejects->text())
          : std::string("and no max_rejects declared (the default allows none)");
  std::string note = fmt::format(
      "{} of {} rows rejected {}: review them in mapengine.rejects; fix the data or the "
      "mapping and apply --restart, or declare the rejects you accept (max_rejects: {}) and "
      "run apply --allow-changed",
      counts.rejected, counts.read, why, counts.rejected);
  result.message = result.message.empty() ? note : result.message + "; " + note;
}

// Runs `step` on the target; after a transient error (the server restarted, the connection
// broke) reconnects and runs it again, within the retry budget. For the state steps, which are
// idempotent.
template <typename Step>
void on_target(pg::Connection& target, const ApplyOptions& options,
               const spec::MappingSpec& mapping, std::string_view what, Step&& step) {
  with_retries(options.retry, fmt::format("{}: {}", mapping.name, what), [&] {
    // A held connection (a dry run's) is never replaced: its transaction holds the run.
    if (!target.is_ok() && !target.held()) target = pg::Connection(options.target_url, "target");
    step(target);
  });
}

// A sampled rehearsal's lookups into upstream mappings the sample cut short, by target column:
// a miss there may be a parent row the upstream sample left out rather than a missing one.
struct CutShortParent {
  std::string query;  // the upstream mapping's source query
  std::string key;    // its (single) key column
};
using CutShortParents = std::map<std::string, CutShortParent>;

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

// Reads one key range and writes it batch by batch. Two stages overlap: the producer thread
// reads source rows and transforms them into batches while this thread writes the previous
// batch, so the target server never waits for the transforms. In a dry run both stages use the
// rehearsal's connection, in turn.
void run_range(const RowProgram& program, const state::RangeState& range,
               const ApplyOptions& options, const RunContext& run, MappingProgress& progress,
               MappingShared& shared, int batch_size, const CutShortParents& parents) {
  const spec::MappingSpec& mapping = program.mapping();
  Rehearsal* rehearsal = run.rehearsal;
  const long long sample = rehearsal != nullptr ? options.sample : 0;
  BoundedQueue<BuiltBatch> queue(2);
  BatchPool pool;
  SourceOptions source_options = options.source;
  source_options.snapshot = run.snapshot;
  source_options.retry = options.retry;
  if (sample > 0) {
    // One row past the sample tells whether the sample left rows out.
    source_options.chunk_rows =
        static_cast<long>(std::min<long long>(source_options.chunk_rows, sample + 1));
  }
  SourceReader reader(options.source_url, mapping.source_query, mapping.key,
                      program.key_indexes(), source_options);

  std::thread producer([&] {
    try {
      // Batched lookups are answered on a connection of their own (but in a dry run).
      std::optional<pg::Connection> lookups;
      std::optional<pg::Connection> upstream_source;  // for `parents`
      BatchBuilder builder(program);
      long long built_no = 0;
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
  });

  try {
    std::optional<pg::Connection> target;
    BatchWriter writer(mapping, program.target_column_list(), run.run_id, run.owner,
                       options.transaction, shared.lease);
    if (shared.joined) writer.fence_by_ranges_only();
    long long batch_no = 0;
    std::vector<std::string> previous_key = range.last_key.value_or(KeyParts{});
    while (auto built = queue.pop()) {
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
                 {"ms", static_cast<long long>(seconds_since(started) * 1000)}});
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
      pool.give(std::move(built->batch));
    }
  } catch (...) {
    shared.fail(std::current_exception());
  }
  shared.stop = shared.stop || (run.interrupted && run.interrupted->load());
  queue.close();
  producer.join();
}

// Claims key ranges nobody holds, one at a time, and loads each, until none is left or the
// mapping stops. A dry run claims on the rehearsal's connection.
void run_ranges(const RowProgram& program, const ApplyOptions& options, const RunContext& run,
                MappingProgress& progress, MappingShared& shared, int batch_size,
                const CutShortParents& parents) {
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

// apply --join: the ranges the process that started the run split, once they are recorded.
// Throws Error(kConflict) when that process stopped before recording them.
std::vector<state::RangeState> wait_for_ranges(pg::Connection& target,
                                               const spec::MappingSpec& mapping,
                                               const RunContext& run) {
  for (;;) {
    std::vector<state::RangeState> ranges = state::load_ranges(target, mapping.name);
    if (!ranges.empty()) return ranges;
    if (run.interrupted != nullptr && run.interrupted->load()) {
      throw Error(ErrorKind::kInterrupted,
                  fmt::format("{}: interrupted before joining", mapping.name));
    }
    pg::Result holder = target.exec(
        "SELECT COALESCE(lease_owner, ''), COALESCE(lease_until > clock_timestamp(), false) "
        "FROM mapengine.mappings WHERE mapping = $1",
        {mapping.name});
    if (holder.rows() == 0 ||
        state::decide_lease(std::string(holder.value(0, 0)), holder.value(0, 1) == "t",
                            run.owner) != state::LeaseDecision::kRefuse) {
      throw Error::conflict(fmt::format(
          "{}: the process that started this mapping stopped before splitting its key ranges; "
          "run apply again (with or without --join) to start it",
          mapping.name));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Dry run: the first rows of the source transformed again, for the eye (COPY text), with the
// rejects among them. Lookups now see the rows the rehearsal wrote before.
std::vector<std::string> transformed_sample(pg::Connection& source, pg::Connection& target,
                                            const RowProgram& program, int rows) {
  const spec::MappingSpec& mapping = program.mapping();
  std::string sql =
      source_chunk_sql(&source, mapping.source_query, mapping.key, {}, std::nullopt, rows);
  RowBlock block;
  source.copy_out("COPY (" + sql + ") TO STDOUT", [&](std::string_view data) {
    for (size_t i = 0; i < data.size(); ++i) {
      block.data += data[i];
      if (data[i] == '\n') block.ends.push_back(block.data.size());
    }
    return true;
  });
  Batch batch;
  BatchBuilder(program).build(block, &target, batch);
  std::vector<std::string> sample;
  for (const auto& row : batch.rows) {
    sample.push_back(batch.encoded.substr(row.begin, row.end - row.begin - 1));
  }
  for (const auto& reject : batch.rejects) {
    sample.push_back(fmt::format("(rejected: legacy key {}: {} {})", reject.legacy_key,
                                 reject.column, reject.reason));
  }
  return sample;
}

}  // namespace

MappingResult run_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                          const ApplyOptions& options, const RunContext& run,
                          MappingProgress& progress) {
  auto started = Clock::now();
  MappingResult result;
  result.name = mapping.name;
  result.table = mapping.table.display();
  progress.name = mapping.name;
  progress.started_at = epoch_seconds();

  // The start reads both databases before anything is written; a server that restarts or fails
  // over meanwhile is waited for like one that does so mid-run. A dry run rehearses on the
  // rehearsal's held connection, which is never replaced: its transaction holds the run.
  Rehearsal* rehearsal = run.rehearsal;
  std::optional<pg::Connection> target_slot, source_slot;
  auto target_of = [&]() -> pg::Connection& {
    return rehearsal != nullptr ? *rehearsal->target : *target_slot;
  };
  std::vector<std::string> columns;
  LookupSet lookups;
  bool percent_limit = mapping.max_rejects && mapping.max_rejects->percent;
  with_retries(
      options.retry, fmt::format("{}: preparing", mapping.name),
      [&] {
        if (rehearsal == nullptr && (!target_slot || !target_slot->is_ok())) {
          target_slot.emplace(options.target_url, "target");
        }
        if (!source_slot || !source_slot->is_ok()) source_slot.emplace(options.source_url, "source");
        columns = describe_source(*source_slot, mapping.source_query);
        // Mappings running side by side (--jobs) share the lookup memory budget.
        lookups = load_lookups(target_of(), RowProgram::lookup_targets(mapping, project),
                               options.lookup_memory_bytes / std::max(1, options.jobs),
                               mapping.name);
        // The legacy key must be non-NULL: rows with a NULL key could be neither ordered nor
        // resumed.
        if (auto row = find_null_key(*source_slot, mapping.source_query, mapping.key)) {
          throw Error(ErrorKind::kData,
                      fmt::format("{}: source rows have a NULL legacy key ({}), for example {}; "
                                  "filter them in source.query or choose another key",
                                  mapping.name, fmt::join(mapping.key, ", "),
                                  row->substr(0, 200)));
        }
        // Progress needs only the planner's estimate; a max_rejects percentage is of the rows
        // the mapping reads in all, so it takes a count.
        progress.total_estimated = !percent_limit;
        progress.total =
            percent_limit
                ? count_source_rows(*source_slot, mapping.source_query, mapping.key, {})
                : estimate_source_rows(*source_slot, mapping.source_query);
        if (rehearsal != nullptr && options.sample > 0) {
          progress.total = std::min<long long>(progress.total, options.sample);
        }
      },
      [&] {
        target_slot.reset();
        source_slot.reset();
      });
  pg::Connection& target = target_of();
  pg::Connection& source = *source_slot;
  RowProgram program(mapping, project, columns, lookups);
  int batch_size = options.batch_size > 0 ? options.batch_size : mapping.batch_size;

  MappingShared shared;
  std::optional<std::string> applied_checksum;
  state::ClaimOptions claim_options;
  claim_options.allow_changed = options.allow_changed;
  claim_options.restart = options.restart;
  claim_options.retry_rejects = options.retry_rejects;
  claim_options.allow_existing_rows =
      options.allow_existing_rows || run.reset_for_restart.count(mapping.name) > 0;
  claim_options.join = options.join;
  state::ClaimStatus claim = state::ClaimStatus::kFresh;
  on_target(target, options, mapping, "claiming the mapping", [&](pg::Connection& c) {
    if (options.retry_rejects) applied_checksum = state::recorded_checksum(c, mapping.name);
    claim = state::claim_mapping(c, mapping, run.owner, run.run_id, claim_options);
  });
  if (claim == state::ClaimStatus::kComplete) {
    result.status = ApplyStatus::kUpToDate;
    RowCounts counts = recorded_counts(target, mapping.name);
    static_cast<RowCounts&>(result) = counts;
    judge_rejects(mapping, counts, result);
    progress.finished = true;
    result.seconds = seconds_since(started);
    log_event(spdlog::level::info, "mapping_up_to_date",
              fmt::format("{}: already applied with this file; nothing to do", mapping.name),
              {{"table", mapping.name}});
    return result;
  }

  shared.joined = claim == state::ClaimStatus::kJoin;
  BulkLoad bulk(mapping, options, rehearsal != nullptr, run.run_id, run.owner);
  try {
    if (options.retry_rejects) {
      if (applied_checksum && *applied_checksum != mapping.checksum) {
        log_event(spdlog::level::warn, "retry_changed_file",
                  fmt::format("{}: {} changed since it was applied; the changed file applies to "
                              "the retried rows only, rows written before keep what the old "
                              "file made of them (apply --restart redoes them all)",
                              mapping.name, mapping.file),
                  {{"table", mapping.name}});
      }
      progress.running = true;
      RetryOutcome retried = retry_rejected_rows(program, target, source, options, run, progress);
      progress.running = false;
      if (program.has_self_refs()) {
        on_target(target, options, mapping, "resolving self-references", [&](pg::Connection& c) {
          resolve_self_references(c, program);
        });
      }
      RowCounts counts;
      on_target(target, options, mapping, "completing the mapping", [&](pg::Connection& c) {
        state::complete_mapping(c, mapping.name, run.owner);
        counts = recorded_counts(c, mapping.name);
      });
      result.status = ApplyStatus::kSucceeded;
      static_cast<RowCounts&>(result) = progress.counts();
      result.message = fmt::format("retried {} rejected keys: {} written, {} rejected again",
                                   retried.keys, progress.written.load(), progress.rejected.load());
      if (retried.missing > 0) {
        result.message += fmt::format("; {} no longer in the source (their rejects stay)",
                                      retried.missing);
      }
      judge_rejects(mapping, counts, result);
      result.seconds = seconds_since(started);
      log_event(spdlog::level::info, "retry_done", fmt::format("{}: {}", mapping.name, result.message),
                {{"table", mapping.name}});
      on_target(target, options, mapping, "recording the outcome", [&](pg::Connection& c) {
        state::finish_run_mapping(c, run.run_id, mapping.name,
                                  std::string(to_string(result.status)), progress.counts(),
                                  result.seconds, result.message);
      });
      progress.finished = true;
      return result;
    }
    std::vector<state::RangeState> ranges;
    bool fresh = false;
    if (shared.joined) {
      on_target(target, options, mapping, "waiting for the key ranges",
                [&](pg::Connection& c) { ranges = wait_for_ranges(c, mapping, run); });
      log_event(spdlog::level::info, "mapping_join",
                fmt::format("{}: joining the run that applies it: loading the key ranges "
                            "nobody holds",
                            mapping.name),
                {{"table", mapping.name}});
    } else {
      // Before the ranges are recorded: a process joining waits for them, so it never writes
      // into a table whose definitions are not yet set aside.
      on_target(target, options, mapping, "setting definitions aside for a bulk load",
                [&](pg::Connection& c) { bulk.begin(c); });
      on_target(target, options, mapping, "splitting the key ranges", [&](pg::Connection& c) {
        ranges = state::load_ranges(c, mapping.name);
        if (!ranges.empty()) return;
        fresh = true;
        if (!source.is_ok()) source = pg::Connection(options.source_url, "source");
        // A rehearsal reads each mapping as one range, on its one connection.
        int parts = rehearsal != nullptr   ? 1
                    : options.ranges > 0   ? options.ranges
                    : options.parallel > 0 ? options.parallel
                                           : mapping.parallel;
        state::create_ranges(
            c, mapping.name,
            split_key_ranges(source, mapping.source_query, mapping.key, progress.total, parts));
        ranges = state::load_ranges(c, mapping.name);
      });
      if (!fresh) {
        log_event(spdlog::level::info, "mapping_resume",
                  fmt::format("{}: resuming after the last committed batch", mapping.name),
                  {{"table", mapping.name}});
      }
    }
    int open_ranges = 0;
    for (const auto& r : ranges) {
      shared.rejected_before += r.rejected;
      shared.read_before += r.read;
      open_ranges += r.done ? 0 : 1;
    }
    progress.read = 0;
    progress.total = progress.total - shared.read_before;
    progress.running = true;
    CutShortParents parents = cut_short_parents(program, project, rehearsal);
    if (rehearsal != nullptr) {
      run_ranges(program, options, run, progress, shared, batch_size, parents);
    } else {
      // Each worker loads one range at a time and then claims the next nobody holds.
      int workers =
          std::min(open_ranges, options.parallel > 0 ? options.parallel : mapping.parallel);
      std::vector<std::thread> threads;
      for (int w = 0; w < workers; ++w) {
        threads.emplace_back(
            [&] { run_ranges(program, options, run, progress, shared, batch_size, parents); });
      }
      for (auto& t : threads) t.join();
    }
    progress.running = false;
    if (shared.failure) std::rethrow_exception(shared.failure);
    if (run.interrupted != nullptr && run.interrupted->load()) {
      throw Error(ErrorKind::kInterrupted,
                  rehearsal != nullptr
                      ? fmt::format("{}: interrupted; the dry run wrote nothing", mapping.name)
                      : fmt::format("{}: interrupted; every committed batch is kept",
                                    mapping.name));
    }
    // The mapping-level steps run once, in the process that finds every range done.
    state::FinishClaim finishing;
    on_target(target, options, mapping, "finding every key range done", [&](pg::Connection& c) {
      finishing = state::claim_finish(c, mapping.name, run.owner, run.run_id);
    });
    if (!finishing.finish) {
      result.status = ApplyStatus::kHandedOver;
      static_cast<RowCounts&>(result) = progress.counts();
      std::vector<int> loaded = shared.loaded;
      std::sort(loaded.begin(), loaded.end());
      result.message = fmt::format(
          "loaded {} of its {} key ranges ({}); {} finishes the mapping", loaded.size(),
          ranges.size(),
          loaded.empty() ? std::string("none") : fmt::format("{}", fmt::join(loaded, ", ")),
          finishing.finisher.empty()
              ? std::string("the process that loads its last range")
              : fmt::format("another process ({})",
                            state::describe_lease_owner(finishing.finisher)));
      result.seconds = seconds_since(started);
      log_event(spdlog::level::info, "mapping_handed_over",
                fmt::format("{}: {}", mapping.name, result.message), {{"table", mapping.name}});
      on_target(target, options, mapping, "recording the outcome", [&](pg::Connection& c) {
        state::finish_run_mapping(c, run.run_id, mapping.name,
                                  std::string(to_string(result.status)), progress.counts(),
                                  result.seconds, result.message);
      });
      progress.finished = true;
      return result;
    }
    on_target(target, options, mapping, "re-creating the definitions set aside",
              [&](pg::Connection& c) { bulk.finish(c, result.message); });
    // Every row is read: the whole life's rejects against a declared limit, also when the
    // batch that exceeded it was the last (a re-run must not complete such a mapping). A
    // rehearsal goes on past the limit and reports it.
    if (mapping.max_rejects && rehearsal == nullptr) {
      RowCounts counts;
      on_target(target, options, mapping, "counting the rejects",
                [&](pg::Connection& c) { counts = recorded_counts(c, mapping.name); });
      check_reject_limit(mapping, counts.rejected, counts.read, counts.read);
    }
    if (program.has_self_refs()) {
      on_target(target, options, mapping, "resolving self-references", [&](pg::Connection& c) {
        SelfReferenceOutcome refs = resolve_self_references(c, program);
        if (refs.unresolved > 0) {
          std::string note = fmt::format("{} self-references found no row and were left NULL",
                                         refs.unresolved);
          result.message = result.message.empty() ? note : result.message + "; " + note;
        }
      });
    }
    RowCounts counts;
    on_target(target, options, mapping, "recording the outcome", [&](pg::Connection& c) {
      state::complete_mapping(c, mapping.name, run.owner);
      counts = recorded_counts(c, mapping.name);
    });
    static_cast<RowCounts&>(result) = counts;
    result.status = ApplyStatus::kSucceeded;
    if (rehearsal == nullptr) judge_rejects(mapping, counts, result);
    result.seconds = seconds_since(started);
    on_target(target, options, mapping, "recording the outcome", [&](pg::Connection& c) {
      state::finish_run_mapping(c, run.run_id, mapping.name,
                                std::string(to_string(result.status)), progress.counts(),
                                result.seconds, result.message);
    });
    if (rehearsal != nullptr) {
      result.status = ApplyStatus::kDryRun;
      if (!spec::rejects_accepted(mapping.max_rejects, counts.rejected, counts.read)) {
        // What a real apply would do: stop at a declared limit; finish the table but exit 1
        // under the default one.
        result.status = mapping.max_rejects ? ApplyStatus::kOverLimit : ApplyStatus::kRejects;
        result.message =
            mapping.max_rejects
                ? fmt::format("{} of {} rows rejected exceed max_rejects {}: a real apply would "
                              "stop at this mapping",
                              counts.rejected, counts.read, mapping.max_rejects->text())
                : fmt::format("{} of {} rows rejected and no max_rejects declared (the default "
                              "allows none): a real apply would set them aside, finish the "
                              "table and exit 1",
                              counts.rejected, counts.read);
      }
      if (shared.cut_short) rehearsal->cut_short.insert(mapping.name);
      result.outside_sample = shared.outside_sample;
      result.reject_summary = state::summarize_rejects(target, mapping.name, run.run_id);
      if (options.sample_rows > 0) {
        result.sample = transformed_sample(source, target, program, options.sample_rows);
      }
    }
    progress.finished = true;
    return result;
  } catch (const Error& e) {
    progress.running = false;
    ApplyStatus status =
        e.kind() == ErrorKind::kInterrupted ? ApplyStatus::kInterrupted : ApplyStatus::kFailed;
    try {
      if (!target.is_ok() && !target.held()) target = pg::Connection(options.target_url, "target");
      state::release_ranges(target, mapping.name, run.owner);
      // While other processes load ranges, the set-aside definitions wait for the one that
      // finishes the mapping.
      if (!shared.joined &&
          !state::live_range_holder(state::range_holders(target, mapping.name), run.owner)) {
        bulk.abandon(target);
      }
      state::release_lease(target, mapping.name, run.owner);
      state::finish_run_mapping(target, run.run_id, mapping.name,
                                std::string(to_string(status)), progress.counts(),
                                seconds_since(started), e.what());
    } catch (const Error&) {
      // The target is unreachable: the lease expires by itself; progress is in the checkpoints.
    }
    throw;
  }
}

}  // namespace mapengine
