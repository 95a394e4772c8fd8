#include "engine/apply/mapping_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "engine/apply/batch_builder.h"
#include "engine/apply/bulk_load.h"
#include "engine/apply/range_loader.h"
#include "engine/apply/reject_retry.h"
#include "engine/apply/row_program.h"
#include "engine/apply/self_reference_resolver.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/source/source_reader.h"
#include "engine/state/checkpoint_store.h"
#include "engine/state/lease.h"
#include "engine/state/range_lease.h"
#include "engine/state/run_store.h"

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

// One mapping's run, step by step; run() gives the order.
class MappingRun {
 public:
  MappingRun(const spec::MappingSpec& mapping, const spec::Project& project,
             const ApplyOptions& options, const RunContext& run, MappingProgress& progress)
      : mapping_(mapping),
        project_(project),
        options_(options),
        run_(run),
        progress_(progress),
        rehearsal_(run.rehearsal),
        bulk_(mapping, options, run.rehearsal != nullptr, run.run_id, run.owner) {
    result_.name = mapping.name;
    result_.table = mapping.table.display();
    progress.name = mapping.name;
    progress.started_at = epoch_seconds();
  }

  MappingResult run() {
    prepare();
    state::ClaimStatus claim = claim_mapping();
    if (claim == state::ClaimStatus::kComplete) return up_to_date();
    shared_.joined = claim == state::ClaimStatus::kJoin;
    try {
      if (options_.retry_rejects) return retry_rejects();
      std::vector<state::RangeState> ranges = shared_.joined ? join_ranges() : split_ranges();
      load(ranges);
      // The mapping-level steps run once, in the process that finds every range done.
      state::FinishClaim finishing;
      on_target("finding every key range done", [&](pg::Connection& c) {
        finishing = state::claim_finish(c, mapping_.name, run_.owner, run_.run_id);
      });
      if (!finishing.finish) return hand_over(finishing, ranges.size());
      return finish();
    } catch (const Error& e) {
      record_failure(e);
      throw;
    }
  }

 private:
  pg::Connection& target() {
    return rehearsal_ != nullptr ? *rehearsal_->target : *target_slot_;
  }
  pg::Connection& source() { return *source_slot_; }

  template <typename Step>
  void on_target(std::string_view what, Step&& step) {
    mapengine::on_target(target(), options_, mapping_, what, step);
  }

  // The start reads both databases before anything is written; a server that restarts or fails
  // over meanwhile is waited for like one that does so mid-run. A dry run rehearses on the
  // rehearsal's held connection, which is never replaced: its transaction holds the run.
  void prepare();
  state::ClaimStatus claim_mapping();
  MappingResult up_to_date();
  MappingResult retry_rejects();
  std::vector<state::RangeState> join_ranges();
  std::vector<state::RangeState> split_ranges();
  void load(const std::vector<state::RangeState>& ranges);
  MappingResult hand_over(const state::FinishClaim& finishing, size_t range_count);
  MappingResult finish();
  void describe_rehearsal(const RowCounts& counts);
  void record_outcome();
  void choose_copy_format();
  void record_failure(const Error& error);

  const spec::MappingSpec& mapping_;
  const spec::Project& project_;
  const ApplyOptions& options_;
  const RunContext& run_;
  MappingProgress& progress_;
  Rehearsal* rehearsal_;
  Clock::time_point started_ = Clock::now();
  MappingResult result_;
  std::optional<pg::Connection> target_slot_, source_slot_;
  std::vector<std::string> columns_;
  LookupSet lookups_;
  std::optional<RowProgram> program_;  // once prepared
  int batch_size_ = 0;
  std::optional<std::string> applied_checksum_;  // --retry-rejects: the file the rows came from
  MappingShared shared_;
  BulkLoad bulk_;
};

void MappingRun::prepare() {
  bool percent_limit = mapping_.max_rejects && mapping_.max_rejects->percent;
  with_retries(
      options_.retry, fmt::format("{}: preparing", mapping_.name),
      [&] {
        if (rehearsal_ == nullptr && (!target_slot_ || !target_slot_->is_ok())) {
          target_slot_.emplace(options_.target_url, "target");
        }
        if (!source_slot_ || !source_slot_->is_ok()) {
          source_slot_.emplace(options_.source_url, "source");
        }
        columns_ = describe_source(source(), mapping_.source_query);
        // Mappings running side by side (--jobs) share the lookup memory budget.
        lookups_ = load_lookups(target(), RowProgram::lookup_targets(mapping_, project_),
                                options_.lookup_memory_bytes / std::max(1, options_.jobs),
                                mapping_.name);
        // The legacy key must be non-NULL: rows with a NULL key could be neither ordered nor
        // resumed.
        if (auto row = find_null_key(source(), mapping_.source_query, mapping_.key)) {
          throw Error(ErrorKind::kData,
                      fmt::format("{}: source rows have a NULL legacy key ({}), for example {}; "
                                  "filter them in source.query or choose another key",
                                  mapping_.name, fmt::join(mapping_.key, ", "),
                                  row->substr(0, 200)));
        }
        // Progress needs only the planner's estimate; a max_rejects percentage is of the rows
        // the mapping reads in all, so it takes a count.
        progress_.total_estimated = !percent_limit;
        progress_.total =
            percent_limit
                ? count_source_rows(source(), mapping_.source_query, mapping_.key, {})
                : estimate_source_rows(source(), mapping_.source_query);
        if (rehearsal_ != nullptr && options_.sample > 0) {
          progress_.total = std::min<long long>(progress_.total, options_.sample);
        }
      },
      [&] {
        target_slot_.reset();
        source_slot_.reset();
      });
  program_.emplace(mapping_, project_, columns_, lookups_);
  batch_size_ = options_.batch_size > 0 ? options_.batch_size : mapping_.batch_size;
}

state::ClaimStatus MappingRun::claim_mapping() {
  state::ClaimOptions claim_options;
  claim_options.allow_changed = options_.allow_changed;
  claim_options.restart = options_.restart;
  claim_options.retry_rejects = options_.retry_rejects;
  claim_options.allow_existing_rows =
      options_.allow_existing_rows || run_.reset_for_restart.count(mapping_.name) > 0;
  claim_options.join = options_.join;
  state::ClaimStatus claim = state::ClaimStatus::kFresh;
  on_target("claiming the mapping", [&](pg::Connection& c) {
    if (options_.retry_rejects) applied_checksum_ = state::recorded_checksum(c, mapping_.name);
    claim = state::claim_mapping(c, mapping_, run_.owner, run_.run_id, claim_options);
  });
  return claim;
}

MappingResult MappingRun::up_to_date() {
  result_.status = ApplyStatus::kUpToDate;
  RowCounts counts = recorded_counts(target(), mapping_.name);
  static_cast<RowCounts&>(result_) = counts;
  judge_rejects(mapping_, counts, result_);
  progress_.finished = true;
  result_.seconds = seconds_since(started_);
  log_event(spdlog::level::info, "mapping_up_to_date",
            fmt::format("{}: already applied with this file; nothing to do", mapping_.name),
            {{"table", mapping_.name}});
  return result_;
}

// apply --retry-rejects: the rejected keys again, then the mapping-level steps.
MappingResult MappingRun::retry_rejects() {
  if (applied_checksum_ && *applied_checksum_ != mapping_.checksum) {
    log_event(spdlog::level::warn, "retry_changed_file",
              fmt::format("{}: {} changed since it was applied; the changed file applies to "
                          "the retried rows only, rows written before keep what the old "
                          "file made of them (apply --restart redoes them all)",
                          mapping_.name, mapping_.file),
              {{"table", mapping_.name}});
  }
  progress_.running = true;
  RetryOutcome retried =
      retry_rejected_rows(*program_, target(), source(), options_, run_, progress_);
  progress_.running = false;
  if (program_->has_self_refs()) {
    on_target("resolving self-references",
              [&](pg::Connection& c) { resolve_self_references(c, *program_); });
  }
  RowCounts counts;
  on_target("completing the mapping", [&](pg::Connection& c) {
    state::complete_mapping(c, mapping_.name, run_.owner);
    counts = recorded_counts(c, mapping_.name);
  });
  result_.status = ApplyStatus::kSucceeded;
  static_cast<RowCounts&>(result_) = progress_.counts();
  result_.message = fmt::format("retried {} rejected keys: {} written, {} rejected again",
                                retried.keys, progress_.written.load(), progress_.rejected.load());
  if (retried.missing > 0) {
    result_.message +=
        fmt::format("; {} no longer in the source (their rejects stay)", retried.missing);
  }
  judge_rejects(mapping_, counts, result_);
  result_.seconds = seconds_since(started_);
  log_event(spdlog::level::info, "retry_done", fmt::format("{}: {}", mapping_.name, result_.message),
            {{"table", mapping_.name}});
  record_outcome();
  progress_.finished = true;
  return result_;
}

// apply --join: the ranges the process applying the mapping split.
std::vector<state::RangeState> MappingRun::join_ranges() {
  std::vector<state::RangeState> ranges;
  on_target("waiting for the key ranges",
            [&](pg::Connection& c) { ranges = wait_for_ranges(c, mapping_, run_); });
  log_event(spdlog::level::info, "mapping_join",
            fmt::format("{}: joining the run that applies it: loading the key ranges "
                        "nobody holds",
                        mapping_.name),
            {{"table", mapping_.name}});
  return ranges;
}

// The ranges recorded by an earlier attempt, or the key split into new ones.
std::vector<state::RangeState> MappingRun::split_ranges() {
  // Before the ranges are recorded: a process joining waits for them, so it never writes
  // into a table whose definitions are not yet set aside.
  on_target("setting definitions aside for a bulk load",
            [&](pg::Connection& c) { bulk_.begin(c); });
  std::vector<state::RangeState> ranges;
  bool fresh = false;
  on_target("splitting the key ranges", [&](pg::Connection& c) {
    ranges = state::load_ranges(c, mapping_.name);
    if (!ranges.empty()) return;
    fresh = true;
    if (!source().is_ok()) source() = pg::Connection(options_.source_url, "source");
    // A rehearsal reads each mapping as one range, on its one connection.
    int parts = rehearsal_ != nullptr   ? 1
                : options_.ranges > 0   ? options_.ranges
                : options_.parallel > 0 ? options_.parallel
                                        : mapping_.parallel;
    state::create_ranges(c, mapping_.name,
                         split_key_ranges(source(), mapping_.source_query, mapping_.key,
                                          progress_.total, parts));
    ranges = state::load_ranges(c, mapping_.name);
  });
  if (!fresh) {
    log_event(spdlog::level::info, "mapping_resume",
              fmt::format("{}: resuming after the last committed batch", mapping_.name),
              {{"table", mapping_.name}});
  }
  return ranges;
}

// Batches go in COPY's binary format when every target column's type has an encoder.
void MappingRun::choose_copy_format() {
  if (!options_.binary_copy) return;
  std::vector<std::string> names;
  for (const auto& column : program_->columns()) names.push_back(column.name);
  std::string why;
  on_target("reading the target's column types", [&](pg::Connection& c) {
    shared_.binary = binary_encoder_for(c, mapping_.table, names, why);
  });
  if (!shared_.binary) {
    log_event(spdlog::level::debug, "copy_format",
              fmt::format("{}: rows are sent as COPY text: {}", mapping_.name, why),
              {{"table", mapping_.name}});
  }
}

// Loads the ranges nobody holds, --parallel at a time; throws the first failure.
void MappingRun::load(const std::vector<state::RangeState>& ranges) {
  int open_ranges = 0;
  for (const auto& r : ranges) {
    shared_.rejected_before += r.rejected;
    shared_.read_before += r.read;
    open_ranges += r.done ? 0 : 1;
  }
  progress_.read = 0;
  progress_.total = progress_.total - shared_.read_before;
  choose_copy_format();
  progress_.running = true;
  CutShortParents parents = cut_short_parents(*program_, project_, rehearsal_);
  auto work = [&] {
    load_key_ranges(*program_, options_, run_, progress_, shared_, batch_size_, parents);
  };
  if (rehearsal_ != nullptr) {
    work();
  } else {
    // Each worker loads one range at a time and then claims the next nobody holds.
    int workers =
        std::min(open_ranges, options_.parallel > 0 ? options_.parallel : mapping_.parallel);
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back(work);
    for (auto& t : threads) t.join();
  }
  if (shared_.text_batches > 0) {
    // Which column and value kept the first batch in text, so that a user can tell why.
    std::string why = "a value had no binary spelling the engine is sure of";
    if (const auto& d = shared_.first_declined; d && d->column < program_->columns().size()) {
      why = fmt::format("column {} value '{}' (first seen) has no binary spelling the engine is "
                        "sure of",
                        program_->columns()[d->column].name, d->value);
    }
    log_event(spdlog::level::debug, "copy_format",
              fmt::format("{}: {} batch(es) sent as COPY text: {}", mapping_.name,
                          shared_.text_batches.load(), why),
              {{"table", mapping_.name}});
  }
  progress_.running = false;
  if (shared_.failure) std::rethrow_exception(shared_.failure);
  if (run_.interrupted != nullptr && run_.interrupted->load()) {
    throw Error(ErrorKind::kInterrupted,
                rehearsal_ != nullptr
                    ? fmt::format("{}: interrupted; the dry run wrote nothing", mapping_.name)
                    : fmt::format("{}: interrupted; every committed batch is kept",
                                  mapping_.name));
  }
}

// Another process finishes the mapping: this one says what it loaded.
MappingResult MappingRun::hand_over(const state::FinishClaim& finishing, size_t range_count) {
  result_.status = ApplyStatus::kHandedOver;
  static_cast<RowCounts&>(result_) = progress_.counts();
  std::vector<int> loaded = shared_.loaded;
  std::sort(loaded.begin(), loaded.end());
  result_.message = fmt::format(
      "loaded {} of its {} key ranges ({}); {} finishes the mapping", loaded.size(), range_count,
      loaded.empty() ? std::string("none") : fmt::format("{}", fmt::join(loaded, ", ")),
      finishing.finisher.empty()
          ? std::string("the process that loads its last range")
          : fmt::format("another process ({})", state::describe_lease_owner(finishing.finisher)));
  result_.seconds = seconds_since(started_);
  log_event(spdlog::level::info, "mapping_handed_over",
            fmt::format("{}: {}", mapping_.name, result_.message), {{"table", mapping_.name}});
  record_outcome();
  progress_.finished = true;
  return result_;
}

// Every range is loaded: the mapping-level steps, once.
MappingResult MappingRun::finish() {
  on_target("re-creating the definitions set aside",
            [&](pg::Connection& c) { bulk_.finish(c, result_.message); });
  // Every row is read: the whole life's rejects against a declared limit, also when the
  // batch that exceeded it was the last (a re-run must not complete such a mapping). A
  // rehearsal goes on past the limit and reports it.
  if (mapping_.max_rejects && rehearsal_ == nullptr) {
    RowCounts counts;
    on_target("counting the rejects",
              [&](pg::Connection& c) { counts = recorded_counts(c, mapping_.name); });
    check_reject_limit(mapping_, counts.rejected, counts.read, counts.read);
  }
  if (program_->has_self_refs()) {
    on_target("resolving self-references", [&](pg::Connection& c) {
      SelfReferenceOutcome refs = resolve_self_references(c, *program_);
      if (refs.unresolved > 0) {
        std::string note = fmt::format("{} self-references found no row and were left NULL",
                                       refs.unresolved);
        result_.message = result_.message.empty() ? note : result_.message + "; " + note;
      }
    });
  }
  RowCounts counts;
  on_target("recording the outcome", [&](pg::Connection& c) {
    state::complete_mapping(c, mapping_.name, run_.owner);
    counts = recorded_counts(c, mapping_.name);
  });
  static_cast<RowCounts&>(result_) = counts;
  result_.status = ApplyStatus::kSucceeded;
  if (rehearsal_ == nullptr) judge_rejects(mapping_, counts, result_);
  result_.seconds = seconds_since(started_);
  record_outcome();
  if (rehearsal_ != nullptr) describe_rehearsal(counts);
  progress_.finished = true;
  return result_;
}

// A dry run's result: what a real apply would have done, the rejects, the sample.
void MappingRun::describe_rehearsal(const RowCounts& counts) {
  result_.status = ApplyStatus::kDryRun;
  if (!spec::rejects_accepted(mapping_.max_rejects, counts.rejected, counts.read)) {
    // What a real apply would do: stop at a declared limit; finish the table but exit 1
    // under the default one.
    result_.status = mapping_.max_rejects ? ApplyStatus::kOverLimit : ApplyStatus::kRejects;
    result_.message =
        mapping_.max_rejects
            ? fmt::format("{} of {} rows rejected exceed max_rejects {}: a real apply would "
                          "stop at this mapping",
                          counts.rejected, counts.read, mapping_.max_rejects->text())
            : fmt::format("{} of {} rows rejected and no max_rejects declared (the default "
                          "allows none): a real apply would set them aside, finish the "
                          "table and exit 1",
                          counts.rejected, counts.read);
  }
  if (shared_.cut_short) rehearsal_->cut_short.insert(mapping_.name);
  result_.outside_sample = shared_.outside_sample;
  result_.reject_summary = state::summarize_rejects(target(), mapping_.name, run_.run_id);
  if (options_.sample_rows > 0) {
    result_.sample = transformed_sample(source(), target(), *program_, options_.sample_rows);
  }
}

// The run's record of this mapping: its status, figures, time and message.
void MappingRun::record_outcome() {
  on_target("recording the outcome", [&](pg::Connection& c) {
    state::finish_run_mapping(c, run_.run_id, mapping_.name,
                              std::string(to_string(result_.status)), progress_.counts(),
                              result_.seconds, result_.message);
  });
}

// On the way out of a failed or interrupted run: gives the ranges and the lease back, restores
// what a bulk load set aside (unless other processes still load ranges), records the failure.
// The target may be unreachable: the leases then expire by themselves, and progress is in the
// checkpoints.
void MappingRun::record_failure(const Error& error) {
  progress_.running = false;
  ApplyStatus status =
      error.kind() == ErrorKind::kInterrupted ? ApplyStatus::kInterrupted : ApplyStatus::kFailed;
  try {
    pg::Connection& c = target();
    if (!c.is_ok() && !c.held()) c = pg::Connection(options_.target_url, "target");
    state::release_ranges(c, mapping_.name, run_.owner);
    // While other processes load ranges, the set-aside definitions wait for the one that
    // finishes the mapping.
    if (!shared_.joined &&
        !state::live_range_holder(state::range_holders(c, mapping_.name), run_.owner)) {
      bulk_.abandon(c);
    }
    state::release_lease(c, mapping_.name, run_.owner);
    state::finish_run_mapping(c, run_.run_id, mapping_.name, std::string(to_string(status)),
                              progress_.counts(), seconds_since(started_), error.what());
  } catch (const Error&) {
  }
}

}  // namespace

MappingResult run_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                          const ApplyOptions& options, const RunContext& run,
                          MappingProgress& progress) {
  return MappingRun(mapping, project, options, run, progress).run();
}

}  // namespace mapengine
