#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "engine/apply/applier.h"
#include "engine/apply/progress_display.h"
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
  std::string retry_for = "60s";
  std::optional<int> retries;
};

// After a dry run: per mapping, why rows were rejected (grouped, with examples), rows the
// sample could not rehearse, and why a mapping would stop a real apply or did not run.
void print_rehearsal(const ApplySummary& summary) {
  for (const auto& result : summary.results) {
    if (!result.message.empty()) fmt::print("\n{}: {}\n", result.name, result.message);
    fmt::print("{}", format_reject_summary(result));
    for (const auto& [column, rows] : result.outside_sample) {
      fmt::print(
          "\n{}: {} rows not rehearsed: column {} looks up a parent row that exists in the "
          "source but is outside the upstream mapping's sample (not a data error)\n",
          result.name, group_digits(rows), column);
    }
    if (!result.sample.empty()) {
      fmt::print("\n{}: sample of transformed rows (COPY text)\n", result.name);
      for (const auto& row : result.sample) fmt::print("  {}\n", row);
    }
  }
}

// The checks of `lint --db` (source queries, target tables and columns, lookups, key columns),
// before anything is written or any state is touched: a finding stops apply with lint's
// file:line:col message. A database that cannot be reached at all fails at once (as apply's
// own first connection does); a connection lost during the checks is retried.
void check_databases_first(const spec::Project& project, const ApplyOptions& options) {
  std::optional<pg::Connection> source(std::in_place, options.source_url, "source");
  std::optional<pg::Connection> target(std::in_place, options.target_url, "target");
  std::vector<std::string> files;
  for (const auto& mapping : project.mappings) files.push_back(mapping.file);
  Diagnostics diagnostics;
  with_retries(options.retry, "checking the mappings against the databases", [&] {
    diagnostics = Diagnostics();
    if (!source->is_ok()) source.emplace(options.source_url, "source");
    if (!target->is_ok()) target.emplace(options.target_url, "target");
    lint::check_databases(project, files, *source, *target, diagnostics);
  });
  stop_on_errors(diagnostics, "error(s) against the databases",
                 "fix them before applying; nothing was written (mapengine lint --db shows the "
                 "same findings)");
}

void print_plan(const plan::Plan& plan) {
  std::string text = "plan:";
  for (const auto& step : plan.steps) {
    text += fmt::format("\n  {}. {} -> {}{}", &step - &plan.steps[0] + 1, step.mapping->name,
                        step.mapping->table.display(),
                        step.depends_on.empty()
                            ? ""
                            : fmt::format(" (after {})", fmt::join(step.depends_on, ", ")));
  }
  fmt::print(stderr, "{}\n", text);
}

}  // namespace

Runner add_apply_command(CLI::App& app) {
  auto flags = std::make_shared<ApplyFlags>();
  CLI::App* sub = app.add_subcommand(
      "apply", "Migrate the tables of the given mapping files (or folders), in dependency order");
  sub->add_option("paths", flags->paths, "mapping files or folders")->required();
  flags->connections.add_to(*sub);
  flags->log.add_to(*sub, "log every batch");
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
  sub->add_option("-j,--jobs", flags->options.jobs, "mappings run concurrently (default 1)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--parallel", flags->options.parallel,
                  "key ranges loaded concurrently per mapping (default: the mapping's parallel)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--batch-size", flags->options.batch_size,
                  "rows per target transaction (default: the mapping's batch_size)")
      ->check(CLI::Range(1, 100000));
  sub->add_option("--retry-for", flags->retry_for,
                  "how long to keep retrying work that failed for a transient reason (a lost "
                  "connection, a server restarting or failing over), e.g. 60s (the default), "
                  "5min");
  sub->add_option("--retries", flags->retries,
                  "deprecated: caps the retries of each piece of work (use --retry-for)")
      ->check(CLI::Range(0, 100));
  sub->add_flag("--consistent", flags->options.consistent,
                "read every source table from one exported snapshot");
  sub->add_flag("--async-commit", flags->async_commit,
                "commit batches with synchronous_commit=off (faster; a server crash may undo the "
                "last batches, which resume then redoes)");
  sub->add_option("--lookup-memory", flags->options.lookup_memory_bytes,
                  "memory for lookups loaded whole, e.g. 512MiB (the default) or 64MiB; a "
                  "lookup that does not fit is queried per batch")
      ->transform(CLI::AsSizeValue(false));
  sub->add_flag("--no-progress", flags->no_progress, "no live progress display");
  sub->footer(
      "Exit codes: 0 done; 1 lint or lint --db errors, rejects that need attention (over "
      "max_rejects, 0 unless declared) or another failure; 2 usage error; 3 a decision is "
      "needed (the mapping file changed, another process holds the mapping, newer state "
      "schema, a table with rows this target has no record of); 4 connection or transient "
      "database failure; 5 a database error retrying cannot fix (the message says what to "
      "fix); 130 interrupted. Committed batches are kept after 4, 5 and 130: run the same "
      "command again to resume.");

  return [flags] {
    flags->log.configure();
    if (flags->options.retry_rejects && (flags->options.restart || flags->options.dry_run)) {
      throw Error::usage("--retry-rejects cannot be combined with --restart or --dry-run");
    }
    spec::Project project = load_checked_project(flags->paths);
    Diagnostics diagnostics;
    plan::Plan plan = plan::make_plan(project, diagnostics);
    ConnectionConfig connections = flags->connections.resolve(true, true);
    ApplyOptions options = flags->options;
    options.source_url = connections.source;
    options.target_url = connections.target;
    options.transaction.synchronous_commit = !flags->async_commit;
    options.retry.budget = parse_duration(flags->retry_for, "--retry-for");
    if (flags->retries) {
      options.retry.max_attempts = *flags->retries;
      log_event(spdlog::level::warn, "deprecated",
                "--retries is deprecated: it caps the retries of each piece of work, within the "
                "--retry-for budget; use --retry-for alone");
    }
    // Which databases, before anything is written: a wrong .env must be seen, not discovered.
    fmt::print(stderr, "source: {}\ntarget: {}\n", redact_conninfo(options.source_url),
               redact_conninfo(options.target_url));
    print_plan(plan);
    const std::atomic<bool>& interrupted = install_interrupt_handler();
    options.retry.interrupted = &interrupted;
    bool progress = !flags->no_progress;
    ApplySummary summary;
    {
      pg::WaitWatcher watcher(&interrupted);
      check_databases_first(project, options);
      if (options.dry_run) {
        fmt::print(stderr,
                   "dry run: rehearsing in one target transaction that is rolled back at the "
                   "end; one mapping at a time, one range each (--jobs and --parallel are "
                   "ignored){}\n",
                   options.sample > 0 ? fmt::format("; the first {} rows of each mapping",
                                                    group_digits(options.sample))
                                      : "");
      }
      summary = apply(project, plan, options, &interrupted, progress);
    }
    fmt::print("{}", format_summary(summary));
    if (!options.dry_run) fmt::print("{}", format_reject_reasons(summary));
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    log_event(spdlog::level::info, "apply_done",
              fmt::format("apply {} in {:.1f} s; peak memory {} MiB", summary.status,
                          summary.seconds, usage.ru_maxrss / 1024),
              {{"status", summary.status},
               {"seconds", summary.seconds},
               {"max_rss_kib", usage.ru_maxrss}});
    if (options.dry_run) {
      print_rehearsal(summary);
      fmt::print("\ndry run: nothing was written (the rehearsal's transaction was rolled back).\n");
      if (summary.status == "interrupted") {
        fmt::print(stderr, "mapengine: interrupted; the dry run was rolled back.\n");
        return kExitInterrupted;
      }
      if (summary.status == "failed") {
        fmt::print(stderr, "mapengine: error: {}\n", redact_known_secrets(summary.error));
        auto kind = static_cast<ErrorKind>(summary.error_kind);
        if (kind == ErrorKind::kConnection || kind == ErrorKind::kDatabase) {
          return database_failure_exit(summary.error_sqlstate, summary.error_permanent, false);
        }
        if (kind == ErrorKind::kConflict) return kExitConflict;
        return kExitFindings;
      }
      long long over = 0, rejects = 0;
      for (const auto& result : summary.results) {
        over += result.status == "over-limit" ? 1 : 0;
        rejects += result.status == "rejects" ? 1 : 0;
      }
      if (over > 0) {
        fmt::print(stderr,
                   "mapengine: {} mapping(s) would exceed max_rejects; a real apply would stop "
                   "at the first of them.\n",
                   over);
        return kExitFindings;
      }
      if (rejects > 0) {
        fmt::print(stderr,
                   "mapengine: {} mapping(s) reject rows without declaring max_rejects; a real "
                   "apply would finish every table and exit 1 (see above).\n",
                   rejects);
        return kExitFindings;
      }
      return kExitOk;
    }
    if (summary.status == "interrupted") {
      fmt::print(stderr,
                 "mapengine: interrupted. Every committed batch is kept; run the same command "
                 "again to resume.\n");
      return kExitInterrupted;
    }
    if (summary.status == "failed") {
      fmt::print(stderr, "mapengine: error: {}\n", redact_known_secrets(summary.error));
      auto kind = static_cast<ErrorKind>(summary.error_kind);
      if (kind == ErrorKind::kConnection || kind == ErrorKind::kDatabase) {
        return database_failure_exit(summary.error_sqlstate, summary.error_permanent, true);
      }
      if (kind == ErrorKind::kConflict) return kExitConflict;
      return kExitFindings;
    }
    if (summary.status == "rejects") {
      fmt::print(stderr,
                 "mapengine: every table finished, but rejected rows need attention (see "
                 "above).\n");
      return kExitFindings;
    }
    return kExitOk;
  };
}

}  // namespace mapengine::cli
