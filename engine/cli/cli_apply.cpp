#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

#include "engine/apply/applier.h"
#include "engine/apply/progress_display.h"
#include "engine/apply/summary_json.h"
#include "engine/cli/build_info.h"
#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/cli/interrupt.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/common/secrets.h"
#include "engine/lint/database_rules.h"
#include "engine/pg/connection.h"
#include "engine/pg/wait_watcher.h"
#include "engine/plan/dependency_plan.h"

namespace mapengine::cli {
namespace {

struct ApplyFlags {
  std::vector<std::string> paths;
  ConnectionFlags connections;
  LogFlags log;
  ApplyOptions options;
  bool no_progress = false;
  bool async_commit = false;
  std::string copy_format = "binary";
  std::string retry_for = "60s";
  std::optional<int> retries;
  std::string summary_json;  // --summary-json FILE
};

// After a dry run: per mapping, why rows were rejected (grouped, with examples), rows the
// sample could not rehearse, and why a mapping would stop a real apply or did not run.
void print_rehearsal(const ApplySummary& summary) {
  for (const auto& result : summary.results) {
    std::string text;
    if (!result.message.empty()) text += fmt::format("\n{}: {}\n", result.name, result.message);
    text += format_reject_summary(result);
    for (const auto& [column, rows] : result.outside_sample) {
      text += fmt::format(
          "\n{}: {} rows not rehearsed: column {} looks up a parent row that exists in the "
          "source but is outside the upstream mapping's sample (not a data error)\n",
          result.name, group_digits(rows), column);
    }
    if (!result.sample.empty()) {
      text += fmt::format("\n{}: sample of transformed rows (COPY text)\n", result.name);
      for (const auto& row : result.sample) text += fmt::format("  {}\n", row);
    }
    if (text.empty()) continue;
    text.pop_back();
    print_event(spdlog::level::info, "rehearsal", text,
                {{"table", result.name},
                 {"message", result.message},
                 {"outside_sample", result.outside_sample},
                 {"sample", result.sample}},
                stdout);
  }
}

// Which databases, before anything is written: a wrong .env must be seen, not discovered.
void print_databases(const ApplyOptions& options) {
  std::string source = redact_conninfo(options.source_url);
  std::string target = redact_conninfo(options.target_url);
  print_event(spdlog::level::info, "databases",
              fmt::format("source: {}\ntarget: {}", source, target),
              {{"source", source}, {"target", target}});
}

void print_plan(const plan::Plan& plan) {
  std::string text = "plan:";
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : plan.steps) {
    long long order = &step - &plan.steps[0] + 1;
    text += fmt::format("\n  {}. {} -> {}{}", order, step.mapping->name,
                        step.mapping->table.display(),
                        step.depends_on.empty()
                            ? ""
                            : fmt::format(" (after {})", fmt::join(step.depends_on, ", ")));
    steps.push_back({{"order", order},
                     {"mapping", step.mapping->name},
                     {"table", step.mapping->table.display()},
                     {"depends_on", step.depends_on}});
  }
  print_event(spdlog::level::info, "plan", text, {{"steps", steps}});
}

// How the run ends: its exit code and the closing line, decided before anything is printed or
// written (the summary file records the exit code).
struct Ending {
  ErrorExit exit{kExitOk, ""};
  bool error = false;  // the closing line is print_error_exit's, of summary.error
  std::string event;   // otherwise the closing line's event and text (none when empty)
  std::string text;
};

Ending ending_of(const ApplySummary& summary, bool dry_run) {
  Ending end;
  if (summary.status == ApplyStatus::kInterrupted) {
    end.exit.code = kExitInterrupted;
    end.event = "interrupted";
    end.text = dry_run ? "mapengine: interrupted; the dry run was rolled back."
                       : "mapengine: interrupted. Every committed batch is kept; run the same "
                         "command again to resume.";
    return end;
  }
  if (summary.status == ApplyStatus::kFailed) {
    end.exit = error_exit(summary.error_kind, summary.error_sqlstate, summary.error_permanent,
                          !dry_run);
    end.error = true;
    return end;
  }
  if (!dry_run) {
    if (summary.status == ApplyStatus::kRejects) {
      end.exit.code = kExitFindings;
      end.event = "rejects";
      end.text =
          "mapengine: every table finished, but rejected rows need attention (see above).";
    }
    return end;
  }
  long long over = 0, rejects = 0;
  for (const auto& result : summary.results) {
    over += result.status == ApplyStatus::kOverLimit ? 1 : 0;
    rejects += result.status == ApplyStatus::kRejects ? 1 : 0;
  }
  if (over > 0) {
    end.exit.code = kExitFindings;
    end.event = "rejects";
    end.text = fmt::format(
        "mapengine: {} mapping(s) would exceed max_rejects; a real apply would stop at the "
        "first of them.",
        over);
  } else if (rejects > 0) {
    end.exit.code = kExitFindings;
    end.event = "rejects";
    end.text = fmt::format(
        "mapengine: {} mapping(s) reject rows without declaring max_rejects; a real apply would "
        "finish every table and exit 1 (see above).",
        rejects);
  }
  return end;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SummaryContext summary_context(bool dry_run, int exit_code, double started_at) {
  SummaryContext context;
  context.version = version_line();
  context.dry_run = dry_run;
  context.exit_code = exit_code;
  context.started_at = started_at;
  context.finished_at = now_seconds();
  return context;
}

// --summary-json: the document, written whole or not at all (a reader never sees half a file).
void write_summary_file(const std::string& path, const ApplySummary& summary, bool dry_run,
                        int exit_code, double started_at) {
  write_file_atomically(
      path,
      summary_to_json(summary, summary_context(dry_run, exit_code, started_at)).dump(2) + "\n");
}

// `planned` gets the plan's mappings as soon as it is made (for the summary of a failed run:
// they outlive the plan, whose steps point into this function's project).
int run_apply(const ApplyFlags& flags, double started_at, std::vector<MappingResult>& planned) {
  if (flags.options.retry_rejects && (flags.options.restart || flags.options.dry_run)) {
    throw Error::usage("--retry-rejects cannot be combined with --restart or --dry-run");
  }
  if (flags.options.join && (flags.options.restart || flags.options.dry_run ||
                             flags.options.retry_rejects || flags.options.allow_changed)) {
    throw Error::usage(
        "--join loads the key ranges of a running apply; it cannot be combined with --restart, "
        "--dry-run, --retry-rejects or --allow-changed");
  }
  spec::Project project = load_checked_project(flags.paths);
  Diagnostics diagnostics;
  const plan::Plan plan = plan::make_plan(project, diagnostics);
  for (const auto& step : plan.steps) {
    MappingResult result;
    result.name = step.mapping->name;
    result.table = step.mapping->table.display();
    result.status = ApplyStatus::kSkipped;
    planned.push_back(std::move(result));
  }
  ConnectionConfig connections = flags.connections.resolve(true, true);
  ApplyOptions options = flags.options;
  options.source_url = connections.source;
  options.target_url = connections.target;
  options.transaction.synchronous_commit = !flags.async_commit;
  options.binary_copy = flags.copy_format == "binary";
  options.retry.budget = parse_duration(flags.retry_for, "--retry-for");
  if (flags.retries) {
    options.retry.max_attempts = *flags.retries;
    log_event(spdlog::level::warn, "deprecated",
              "--retries is deprecated: it caps the retries of each piece of work, within the "
              "--retry-for budget; use --retry-for alone");
  }
  print_databases(options);
  print_plan(plan);
  const std::atomic<bool>& interrupted = install_interrupt_handler();
  options.retry.interrupted = &interrupted;
  bool progress = !flags.no_progress;
  ApplySummary summary;
  {
    pg::WaitWatcher watcher(&interrupted);
    check_databases_first(project, options);
    if (options.dry_run) {
      print_event(spdlog::level::info, "dry_run",
                  fmt::format("dry run: rehearsing in one target transaction that is rolled back "
                              "at the end; one mapping at a time, one range each (--jobs and "
                              "--parallel are ignored){}",
                              options.sample > 0
                                  ? fmt::format("; the first {} rows of each mapping",
                                                group_digits(options.sample))
                                  : ""),
                  {{"sample", options.sample}});
    }
    summary = apply(project, plan, options, &interrupted, progress);
  }

  Ending end = ending_of(summary, options.dry_run);
  std::string write_failure;
  if (!flags.summary_json.empty()) {
    try {
      write_summary_file(flags.summary_json, summary, options.dry_run, end.exit.code,
                         started_at);
    } catch (const Error& e) {
      write_failure = e.what();
    }
  }

  std::string table = format_summary(summary);
  if (!options.dry_run) table += format_reject_reasons(summary);
  table.pop_back();
  print_event(spdlog::level::info, "apply_summary", table,
              {{"summary", summary_to_json(summary, summary_context(options.dry_run,
                                                                    end.exit.code, started_at))}},
              stdout);
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  log_event(spdlog::level::info, "apply_done",
            fmt::format("apply {} in {:.1f} s; peak memory {} MiB", to_string(summary.status),
                        summary.seconds, usage.ru_maxrss / 1024),
            {{"status", summary.status},
             {"seconds", summary.seconds},
             {"max_rss_kib", usage.ru_maxrss}});
  if (options.dry_run) {
    print_rehearsal(summary);
    print_event(spdlog::level::info, "dry_run_done",
                "\ndry run: nothing was written (the rehearsal's transaction was rolled back).",
                nlohmann::json::object(), stdout);
  }
  if (end.error) {
    print_error_exit(summary.error, summary.error_sqlstate, end.exit);
  } else if (!end.event.empty()) {
    print_event(end.exit.code == kExitInterrupted ? spdlog::level::warn : spdlog::level::err,
                end.event, end.text, {{"exit_code", end.exit.code}});
  }
  if (!write_failure.empty()) {
    ErrorExit exit{end.exit.code == kExitOk ? kExitFindings : end.exit.code, ""};
    print_error_exit(write_failure, "", exit);
    return exit.code;
  }
  return end.exit.code;
}

}  // namespace

namespace {

// --dry-run and what it shows.
void add_rehearsal_options(CLI::App* sub, ApplyFlags* flags) {
  CLI::Option* dry_run =
      sub->add_flag("--dry-run", flags->options.dry_run,
                    "rehearse the whole apply in one target transaction that is rolled back: "
                    "same lookups, same server checks, same counts; nothing persists");
  sub->add_option("--sample", flags->options.sample,
                  "dry run: rehearse only the first N rows (by legacy key) of each mapping")
      ->check(CLI::Range(1LL, 1000000000LL))
      ->needs(dry_run);
  sub->add_option("--show-rows", flags->options.sample_rows,
                  "dry run: transformed rows shown per mapping (default 5; 0: none)")
      ->check(CLI::Range(0, 1000))
      ->needs(dry_run);
}

// Re-running after a change, a mistake or rejects.
void add_rerun_options(CLI::App* sub, ApplyFlags* flags) {
  sub->add_flag("--allow-changed", flags->options.allow_changed,
                "continue an interrupted mapping although its file changed since");
  sub->add_flag("--restart", flags->options.restart,
                "forget recorded progress of the given mappings and start from the beginning");
  sub->add_flag("--allow-existing-rows", flags->options.allow_existing_rows,
                "start a mapping this target has no record of although its table holds rows "
                "(refused otherwise, as its state may have been lost)");
  sub->add_flag("--retry-rejects", flags->options.retry_rejects,
                "re-process only the rejected rows of completed mappings (after fixing the data "
                "or the mapping); a changed mapping file applies to those rows only");
}

// How much runs at once, and in what batches.
void add_concurrency_options(CLI::App* sub, ApplyFlags* flags) {
  sub->add_option("-j,--jobs", flags->options.jobs, "mappings run concurrently (default 1)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--parallel", flags->options.parallel,
                  "key ranges loaded concurrently per mapping (default: the mapping's parallel)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--ranges", flags->options.ranges,
                  "key ranges a mapping is split into when it starts (default: --parallel); "
                  "more ranges than --parallel leave some for processes that --join")
      ->check(CLI::Range(1, 1024));
  sub->add_flag("--join", flags->options.join,
                "load the key ranges nobody holds of a mapping another mapengine (on this host "
                "or another) is applying, instead of being refused; the process that finds "
                "every range done finishes the mapping; with no such process, a plain apply");
  sub->add_option("--batch-size", flags->options.batch_size,
                  "rows per target transaction (default: the mapping's batch_size)")
      ->check(CLI::Range(1, 100000));
}

// How long transient failures are retried.
void add_retry_options(CLI::App* sub, ApplyFlags* flags) {
  sub->add_option("--retry-for", flags->retry_for,
                  "how long to keep retrying work that failed for a transient reason (a lost "
                  "connection, a server restarting or failing over), e.g. 60s (the default), "
                  "5min");
  sub->add_option("--retries", flags->retries,
                  "deprecated: caps the retries of each piece of work (use --retry-for)")
      ->check(CLI::Range(0, 100));
}

// How rows are read and written.
void add_load_options(CLI::App* sub, ApplyFlags* flags) {
  sub->add_flag("--consistent", flags->options.consistent,
                "read every source table from one exported snapshot");
  sub->add_flag("--bulk", flags->options.bulk,
                "bulk load every mapping whose table is empty at the start (target.bulk: true): "
                "its foreign keys are dropped for the load and re-added after it");
  sub->add_flag("--async-commit", flags->async_commit,
                "commit batches with synchronous_commit=off (faster; a server crash may undo the "
                "last batches, which resume then redoes)");
  sub->add_option("--copy-format", flags->copy_format,
                  "binary (the default): batches go in COPY's binary format when every target "
                  "column's type has an encoder, a batch with a value it does not take as text; "
                  "text: always as text")
      ->check(CLI::IsMember({"binary", "text"}));
  sub->add_option("--lookup-memory", flags->options.lookup_memory_bytes,
                  "memory for lookups loaded whole, e.g. 512MiB (the default) or 64MiB; a "
                  "lookup that does not fit is queried per batch")
      ->transform(CLI::AsSizeValue(false));
}

// What the run shows and leaves behind.
void add_output_options(CLI::App* sub, ApplyFlags* flags) {
  sub->add_flag("--no-progress", flags->no_progress, "no live progress display");
  sub->add_option("--summary-json", flags->summary_json,
                  "write the run's result (run id, status, exit code, error, per-mapping counts, "
                  "reject groups and timings) to FILE as JSON, also when the run fails")
      ->type_name("FILE");
}

// --summary-json is written on failure too, with the exit code the error gives.
void write_failure_summary(const ApplyFlags& flags, const Error& e, double started_at,
                           const std::vector<MappingResult>& planned) {
  ApplySummary failed;
  failed.status =
      e.kind() == ErrorKind::kInterrupted ? ApplyStatus::kInterrupted : ApplyStatus::kFailed;
  failed.error = e.what();
  failed.error_kind = e.kind();
  failed.error_sqlstate = e.sqlstate();
  failed.error_permanent = e.is_permanent();
  failed.seconds = now_seconds() - started_at;
  failed.results = planned;
  int code = error_exit(e.kind(), e.sqlstate(), e.is_permanent(), false).code;
  try {
    write_summary_file(flags.summary_json, failed, flags.options.dry_run, code, started_at);
  } catch (const Error& write_error) {
    log_event(spdlog::level::err, "summary_not_written", write_error.what());
  }
}

}  // namespace

Runner add_apply_command(CLI::App& app) {
  auto flags = std::make_shared<ApplyFlags>();
  CLI::App* sub = app.add_subcommand(
      "apply", "Migrate the tables of the given mapping files (or folders), in dependency order");
  sub->add_option("paths", flags->paths, "mapping files or folders")->required();
  flags->connections.add_to(*sub);
  flags->log.add_to(*sub, "log every batch");
  add_rehearsal_options(sub, flags.get());
  add_rerun_options(sub, flags.get());
  add_concurrency_options(sub, flags.get());
  add_retry_options(sub, flags.get());
  add_load_options(sub, flags.get());
  add_output_options(sub, flags.get());
  sub->footer(
      "Exit codes: 0 done; 1 lint or lint --db errors, rejects that need attention (over "
      "max_rejects, 0 unless declared) or another failure; 2 usage error; 3 a decision is "
      "needed (the mapping file changed, another process holds the mapping and --join was not "
      "given, newer state schema, a table with rows this target has no record of); 4 "
      "connection or transient "
      "database failure; 5 a database error retrying cannot fix (the message says what to "
      "fix); 130 interrupted. Committed batches are kept after 4, 5 and 130: run the same "
      "command again to resume.");

  return [flags] {
    flags->log.configure();
    double started_at = now_seconds();
    std::vector<MappingResult> planned;
    try {
      return run_apply(*flags, started_at, planned);
    } catch (const Error& e) {
      if (!flags->summary_json.empty()) write_failure_summary(*flags, e, started_at, planned);
      throw;
    }
  };
}

}  // namespace mapengine::cli
