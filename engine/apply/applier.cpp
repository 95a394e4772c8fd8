#include "engine/apply/applier.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include <unistd.h>

#include "engine/apply/deferred_reference_resolver.h"
#include "engine/apply/mapping_runner.h"
#include "engine/apply/progress_display.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/pg/connection.h"
#include "engine/pg/transaction.h"
#include "engine/source/source_reader.h"
#include "engine/state/mapping_reset.h"
#include "engine/state/reject_summary.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine {
namespace {

using Clock = std::chrono::steady_clock;

// Mappings outside this run that a planned mapping depends on must already be complete.
void check_outside_dependencies(pg::Connection& target, const plan::Plan& plan) {
  std::set<std::string> planned;
  for (const auto& step : plan.steps) planned.insert(step.mapping->name);
  for (const auto& step : plan.steps) {
    for (const auto& dep : step.depends_on) {
      if (planned.count(dep)) continue;
      pg::Result row =
          target.exec("SELECT status FROM mapengine.mappings WHERE mapping = $1", {dep});
      if (row.rows() == 0 || row.value(0, 0) != "complete") {
        throw Error::conflict(fmt::format(
            "{} depends on {}, which has not been applied to this target yet; apply {} first "
            "(or name both: mapengine apply {} ...)",
            step.mapping->name, dep, dep, step.mapping->file));
      }
    }
  }
}

// Runs one mapping. In a rehearsal it runs under a savepoint of its own, so that a mapping that
// fails leaves the held transaction usable by the mappings that do not depend on it.
MappingResult run_step(const plan::PlannedMapping& step, const spec::Project& project,
                       const ApplyOptions& options, const RunContext& run,
                       MappingProgress& progress) {
  if (run.rehearsal == nullptr) return run_mapping(*step.mapping, project, options, run, progress);
  pg::Transaction savepoint(*run.rehearsal->target);
  MappingResult result = run_mapping(*step.mapping, project, options, run, progress);
  savepoint.commit();
  return result;
}

// --restart: undoes what the planned mappings wrote (rows, id map, rejects, checkpoints), in
// reverse dependency order, with the checks of `mapengine reset`; upsert and skip_existing
// mappings keep their rows, which they rewrite. Throws Error(kConflict) when reset would refuse.
// Returns the mappings it reset that were recorded on the target (a mapping with no record,
// its state lost, has nothing reset can find: its table's rows still refuse a fresh insert).
std::set<std::string> restart_mappings(pg::Connection& target, const spec::Project& project,
                                       const plan::Plan& plan) {
  state::ResetOptions options;
  options.keep_upsert_rows = true;
  options.learn(project);
  std::vector<std::string> names;
  for (auto it = plan.steps.rbegin(); it != plan.steps.rend(); ++it) {
    names.push_back(it->mapping->name);
  }
  state::ResetPlan reset;
  try {
    reset = state::plan_reset(target, names, options);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kConflict) throw;
    throw Error::conflict(fmt::format(
        "--restart resets the mappings before applying them again; {}\n(mapengine reset "
        "--dry-run shows what a reset deletes; mapengine reset --cascade also resets the "
        "mappings that depend on them)",
        e.what()));
  }
  std::set<std::string> reset_ones;
  for (const auto& step : state::execute_reset(target, reset, 0).steps) {
    if (step.registered) reset_ones.insert(step.mapping);
    log_event(spdlog::level::info, "mapping_reset",
              fmt::format("{}: reset for --restart: {} rows, {} id map entries, {} rejects "
                          "deleted{}",
                          step.mapping, step.rows, step.id_map, step.rejects,
                          step.keep_rows ? " (mode upsert/skip_existing: rows kept)" : ""),
              {{"table", step.mapping}, {"rows", step.rows}});
  }
  return reset_ones;
}

std::string options_json(const ApplyOptions& options) {
  return nlohmann::json{{"dry_run", options.dry_run},
                        {"sample", options.sample},
                        {"allow_changed", options.allow_changed},
                        {"restart", options.restart},
                        {"retry_rejects", options.retry_rejects},
                        {"allow_existing_rows", options.allow_existing_rows},
                        {"jobs", options.jobs},
                        {"parallel", options.parallel},
                        {"ranges", options.ranges},
                        {"join", options.join},
                        {"batch_size", options.batch_size},
                        {"consistent", options.consistent}}
      .dump();
}

// Fills deferred lookups whose two sides are written: the mapping (complete on the target) and
// the mapping it looks up. Every loaded mapping is considered, not only the planned ones, so that
// applying the looked-up side alone fills a sibling applied before, and a fill that a crash cut
// short is done by the next run. A planned mapping whose references still wait for a mapping
// not applied yet gets the status "waiting".
void fill_deferred(const spec::Project& project, const ApplyOptions& options,
                   std::optional<pg::Connection>& target, ApplySummary& summary) {
  for (const auto* list : {&project.mappings, &project.context}) {
    for (const auto& mapping : *list) {
      if (!has_deferred_lookups(mapping)) continue;
      DeferredOutcome outcome = with_retries(
          options.retry, fmt::format("{}: deferred references", mapping.name),
          [&] {
            // A held connection (a dry run's) is never replaced: its transaction holds the run.
            if (!target->is_ok() && !target->held()) target.emplace(options.target_url, "target");
            pg::Result row = target->exec(
                "SELECT status = 'complete' FROM mapengine.mappings WHERE mapping = $1",
                {mapping.name});
            bool complete = row.rows() == 1 && row.value(0, 0) == "t";
            return complete ? fill_deferred_references(*target, mapping, project)
                            : DeferredOutcome{};
          });
      std::string message;
      if (outcome.filled > 0 || outcome.unresolved > 0) {
        message = fmt::format("{} deferred references filled", outcome.filled);
        if (outcome.unresolved > 0) {
          message += fmt::format(", {} found no row and were left NULL", outcome.unresolved);
        }
        log_event(spdlog::level::info, "deferred_filled",
                  fmt::format("{}: {}", mapping.name, message),
                  {{"table", mapping.name},
                   {"filled", outcome.filled},
                   {"unresolved", outcome.unresolved}});
      }
      if (outcome.waiting > 0) {
        std::string waits = fmt::format("{} deferred references wait for {}: apply it to fill them",
                                        outcome.waiting, fmt::join(outcome.waiting_for, ", "));
        message += (message.empty() ? "" : "; ") + waits;
        log_event(spdlog::level::warn, "deferred_waiting",
                  fmt::format("{}: {}", mapping.name, waits),
                  {{"table", mapping.name}, {"waiting", outcome.waiting}});
      }
      for (auto& result : summary.results) {
        if (result.name != mapping.name || message.empty()) continue;
        // Rejects that need attention outrank the wait: both are in the message.
        if (outcome.waiting > 0 && result.status != ApplyStatus::kRejects) {
          result.status = ApplyStatus::kWaiting;
        }
        result.message += (result.message.empty() ? "" : "; ") + message;
      }
    }
  }
}

}  // namespace

ApplySummary apply(const spec::Project& project, const plan::Plan& plan,
                   const ApplyOptions& requested, const std::atomic<bool>* interrupted,
                   bool show_progress) {
  auto started = Clock::now();
  ApplySummary summary;
  RunContext run;
  run.interrupted = interrupted;
  // A rehearsal has one target connection: one mapping at a time, one range each, and no retry
  // (a lost connection has lost the rehearsal's transaction).
  ApplyOptions options = requested;
  if (options.dry_run) {
    options.jobs = 1;
    options.parallel = 1;
    options.retry.max_attempts = 0;
  }

  // --consistent: one exported snapshot for every source read of this run. The exporting
  // transaction stays open until the run ends.
  std::optional<pg::Connection> snapshot_holder;
  run.snapshot = options.source_snapshot;
  if (options.consistent && options.source_snapshot.empty()) {
    snapshot_holder.emplace(options.source_url, "source");
    snapshot_holder->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    run.snapshot = std::string(snapshot_holder->exec("SELECT pg_export_snapshot()").value(0, 0));
    log_event(spdlog::level::info, "snapshot",
              fmt::format("reading every source from snapshot {}", run.snapshot),
              {{"snapshot", run.snapshot}});
  }

  // A dry run rehearses everything a real apply does, state included, in one transaction on
  // one connection that is rolled back at the end (even if this process dies: the server rolls
  // back a transaction whose connection is gone).
  std::optional<pg::Connection> target;
  std::optional<Rehearsal> rehearsal;
  state::RunIdentity who = state::RunIdentity::of_this_process();
  target.emplace(options.target_url, "target");
  if (options.dry_run) {
    target->hold_transaction();
    rehearsal.emplace();
    rehearsal->target = &*target;
    run.rehearsal = &*rehearsal;
  }
  state::ensure_state_schema(*target);
  if (options.restart && !options.dry_run) {
    run.reset_for_restart = restart_mappings(*target, project, plan);
  }
  check_outside_dependencies(*target, plan);
  run.run_id = state::begin_run(*target, "apply", who, options_json(options), run.snapshot);
  run.owner = who.owner(run.run_id);
  if (!options.dry_run) summary.run_id = run.run_id;

  std::deque<MappingProgress> progress(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) progress[i].name = plan.steps[i].mapping->name;
  summary.results.resize(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    summary.results[i].name = plan.steps[i].mapping->name;
    summary.results[i].table = plan.steps[i].mapping->table.display();
    summary.results[i].status = ApplyStatus::kSkipped;
  }

  // Scheduler: start a mapping when its dependencies within the plan have succeeded.
  std::mutex mutex;
  std::condition_variable changed;
  // kHandedOver: another process finishes the mapping (apply --join); its dependents wait.
  enum class StepState { kPending, kRunning, kSucceeded, kHandedOver, kFailed };
  std::map<std::string, StepState> status_of;  // by mapping name
  for (const auto& step : plan.steps) status_of[step.mapping->name] = StepState::kPending;
  int running = 0;
  bool stop = false;
  std::vector<std::thread> threads;
  std::optional<ProgressDisplay> display;
  if (show_progress) {
    // The overall line's total over the whole plan: the planner's estimate of every mapping's
    // rows until the mapping itself counts them. Progress only: a failure here is ignored.
    try {
      pg::Connection source(options.source_url, "source");
      for (size_t i = 0; i < plan.steps.size(); ++i) {
        progress[i].total_estimated = true;
        progress[i].total = estimate_source_rows(source, plan.steps[i].mapping->source_query);
      }
    } catch (const std::exception&) {
    }
    display.emplace(progress, log_format() == LogFormat::kText && isatty(STDERR_FILENO));
  }

  auto ready = [&](const plan::PlannedMapping& step) {
    for (const auto& dep : step.depends_on) {
      auto it = status_of.find(dep);
      if (it != status_of.end() && it->second != StepState::kSucceeded) return false;
    }
    return true;
  };

  {
    std::unique_lock lock(mutex);
    for (;;) {
      bool started_one = false;
      for (size_t i = 0; i < plan.steps.size() && !stop; ++i) {
        const auto& step = plan.steps[i];
        if (status_of[step.mapping->name] != StepState::kPending) continue;
        if (running >= std::max(1, options.jobs) || !ready(step)) continue;
        status_of[step.mapping->name] = StepState::kRunning;
        ++running;
        started_one = true;
        threads.emplace_back([&, i] {
          const auto& s = plan.steps[i];
          MappingResult result;
          ApplyStatus outcome = ApplyStatus::kSucceeded;
          try {
            log_event(spdlog::level::info, "mapping_start",
                      fmt::format("{}: {} -> {}", s.mapping->name, s.mapping->file,
                                  s.mapping->table.display()),
                      {{"table", s.mapping->name}});
            result = run_step(s, project, options, run, progress[i]);
            log_event(spdlog::level::info, "mapping_done",
                      fmt::format("{}: {} ({} read, {} written, {} rejected, {:.1f} s)",
                                  s.mapping->name, to_string(result.status), result.read,
                                  result.written, result.rejected, result.seconds),
                      {{"table", s.mapping->name},
                       {"status", result.status},
                       {"rows", result.read},
                       {"written", result.written},
                       {"rejected", result.rejected},
                       {"seconds", result.seconds}});
          } catch (const Error& e) {
            outcome = e.kind() == ErrorKind::kInterrupted ? ApplyStatus::kInterrupted
                                                          : ApplyStatus::kFailed;
            result.name = s.mapping->name;
            result.table = s.mapping->table.display();
            result.status = outcome;
            result.message = e.what();
            result.read = progress[i].read;
            result.written = progress[i].written;
            result.rejected = progress[i].rejected;
            std::lock_guard guard(mutex);
            if (summary.error.empty()) {
              summary.error = e.what();
              summary.error_kind = e.kind();
              summary.error_sqlstate = e.sqlstate();
              summary.error_permanent = e.is_permanent();
            }
          } catch (const std::exception& e) {
            outcome = ApplyStatus::kFailed;
            result.name = s.mapping->name;
            result.status = outcome;
            result.message = e.what();
            std::lock_guard guard(mutex);
            if (summary.error.empty()) {
              summary.error = e.what();
              summary.error_kind = ErrorKind::kInternal;
            }
          }
          std::lock_guard guard(mutex);
          summary.results[i] = std::move(result);
          bool succeeded = outcome == ApplyStatus::kSucceeded;
          status_of[s.mapping->name] = succeeded ? StepState::kSucceeded : StepState::kFailed;
          if (succeeded && result.status == ApplyStatus::kHandedOver) {
            status_of[s.mapping->name] = StepState::kHandedOver;
          }
          // A rehearsal goes on with the mappings that do not depend on a failed one.
          if (!succeeded && (!rehearsal || outcome == ApplyStatus::kInterrupted ||
                             !rehearsal->target->is_ok())) {
            stop = true;
          }
          --running;
          changed.notify_all();
        });
      }
      if (interrupted != nullptr && interrupted->load()) stop = true;
      // Nothing running and nothing started: no mapping left can ever become ready.
      if (running == 0 && !started_one) break;
      if (!started_one) changed.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  for (auto& t : threads) t.join();
  if (display) display->stop();

  // A mapping that was "up-to-date" or succeeded counts as success.
  bool interrupted_now = interrupted != nullptr && interrupted->load();
  if (target && summary.error.empty() && !interrupted_now) {
    try {
      fill_deferred(project, options, target, summary);
    } catch (const Error& e) {
      summary.error = e.what();
      summary.error_kind = e.kind();
    }
  }
  if (!summary.error.empty()) {
    summary.status = summary.error_kind == ErrorKind::kInterrupted ? ApplyStatus::kInterrupted
                                                                   : ApplyStatus::kFailed;
  } else if (interrupted_now) {
    summary.status = ApplyStatus::kInterrupted;
  } else {
    summary.status = options.dry_run ? ApplyStatus::kDryRun : ApplyStatus::kSucceeded;
    for (const auto& r : summary.results) {
      if (r.status == ApplyStatus::kRejects && !options.dry_run) {
        summary.status = ApplyStatus::kRejects;
      }
    }
  }
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (summary.results[i].status != ApplyStatus::kSkipped) continue;
    for (const auto& dep : plan.steps[i].depends_on) {
      auto it = status_of.find(dep);
      if (it != status_of.end() && it->second == StepState::kFailed) {
        summary.results[i].message = fmt::format("not run: it depends on {}, which failed", dep);
        break;
      }
      if (it != status_of.end() && it->second == StepState::kHandedOver) {
        summary.results[i].message = fmt::format(
            "not run: it depends on {}, which another process is finishing; apply it again "
            "once that is complete",
            dep);
        break;
      }
    }
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (rehearsal) {
    target->end_held_transaction();
  } else if (target) {
    try {
      if (!target->is_ok()) target.emplace(options.target_url, "target");
      // Why rows were set aside, for the mappings whose rejects need attention or that failed
      // (perhaps at their max_rejects): every reject the mapping holds.
      for (auto& r : summary.results) {
        if (r.status == ApplyStatus::kRejects || r.status == ApplyStatus::kFailed) {
          r.reject_summary = state::summarize_rejects(*target, r.name);
        }
      }
      state::finish_run(*target, run.run_id, std::string(to_string(summary.status)),
                        summary.error);
    } catch (const Error&) {
      // Unreachable target: the run stays "running" in the record; progress is safe.
    }
  }
  return summary;
}

std::string format_summary(const ApplySummary& summary) {
  // Each column is as wide as its widest cell, so that long names keep the figures in their
  // columns and short ones keep the table within a narrow terminal.
  struct Row {
    std::string cells[7];
  };
  std::vector<Row> rows;
  rows.push_back({{"mapping", "status", "read", "written", "rejected", "skipped", "seconds"}});
  auto add = [&](std::string_view name, std::string_view status, long long read,
                 long long written, long long rejected, long long skipped, double seconds) {
    rows.push_back({{std::string(name), std::string(status), group_digits(read),
                     group_digits(written), group_digits(rejected), group_digits(skipped),
                     fmt::format("{:.1f}", seconds)}});
  };
  RowCounts total;
  for (const auto& r : summary.results) {
    add(r.name, to_string(r.status), r.read, r.written, r.rejected, r.skipped, r.seconds);
    total += r;
  }
  add("total", to_string(summary.status), total.read, total.written, total.rejected,
      total.skipped, summary.seconds);
  size_t width[7] = {};
  for (const Row& row : rows) {
    for (int c = 0; c < 7; ++c) width[c] = std::max(width[c], row.cells[c].size());
  }
  std::string out;
  for (const Row& row : rows) {
    out += fmt::format("{:<{}}  {:<{}}", row.cells[0], width[0], row.cells[1], width[1]);
    for (int c = 2; c < 7; ++c) out += fmt::format("  {:>{}}", row.cells[c], width[c]);
    out += '\n';
  }
  return out;
}

std::string format_reject_summary(const MappingResult& result) {
  const state::RejectSummary& rejects = result.reject_summary;
  if (rejects.groups.empty()) return "";
  // The rows the groups hold: a failed re-run's own counters may be 0 while its rejects are not.
  std::string out = fmt::format("\n{}: {} rejected rows, by rule and column:\n", result.name,
                                group_digits(rejects.rows_total));
  for (const auto& group : rejects.groups) {
    out += fmt::format("  {} {}: {} rows\n", group.rule,
                       group.column.empty() ? "(row)" : group.column, group_digits(group.rows));
    for (const auto& example : group.examples) out += fmt::format("    {}\n", example);
  }
  auto listed = static_cast<long long>(rejects.groups.size());
  if (rejects.groups_total > listed) {
    out += fmt::format("  ... and {} more rule/column groups\n", rejects.groups_total - listed);
  }
  return out;
}

std::string format_reject_reasons(const ApplySummary& summary) {
  std::string out;
  for (const auto& r : summary.results) {
    out += format_reject_summary(r);
    if (r.status == ApplyStatus::kRejects && !r.message.empty()) {
      out += fmt::format("  {}\n", r.message);
    }
  }
  return out;
}

}  // namespace mapengine
