#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "engine/apply/applier.h"
#include "engine/apply/progress_display.h"
#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/cli/interrupt.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/common/secrets.h"
#include "engine/follow/follower.h"
#include "engine/pg/wait_watcher.h"
#include "engine/plan/dependency_plan.h"

namespace mapengine::cli {
namespace {

struct SyncFlags {
  std::vector<std::string> paths;
  ConnectionFlags connections;
  LogFlags log;
  follow::FollowOptions options;
  bool drop = false;
  bool no_progress = false;
  std::string retry_for = "60s";
};

// The initial load: apply's run, summary and verdict.
int initial_load(const spec::Project& project, const plan::Plan& plan,
                 const ApplyOptions& options, const std::atomic<bool>& interrupted,
                 bool progress) {
  ApplySummary summary = apply(project, plan, options, &interrupted, progress);
  std::string table = format_summary(summary) + format_reject_reasons(summary);
  table.pop_back();
  print_event(spdlog::level::info, "apply_summary", table,
              {{"summary", {{"status", to_string(summary.status)}, {"run_id", summary.run_id}}}},
              stdout);
  if (summary.status == ApplyStatus::kSucceeded) return kExitOk;
  if (summary.status == ApplyStatus::kInterrupted) return kExitInterrupted;
  if (summary.status == ApplyStatus::kRejects) {
    fmt::print(stderr,
               "mapengine: the initial load finished with rejected rows that need attention "
               "(see above); following starts once they are accepted or fixed.\n");
    return kExitFindings;
  }
  ErrorExit exit =
      error_exit(summary.error_kind, summary.error_sqlstate, summary.error_permanent, true);
  print_error_exit(summary.error, summary.error_sqlstate, exit);
  return exit.code;
}

}  // namespace

Runner add_sync_command(CLI::App& app) {
  auto flags = std::make_shared<SyncFlags>();
  CLI::App* sub = app.add_subcommand(
      "sync",
      "Load the given mappings, then follow the legacy database's changes (logical "
      "replication) until interrupted: near-zero-downtime cutover");
  sub->add_option("paths", flags->paths, "mapping files or folders")->required();
  flags->connections.add_to(*sub, " (a direct connection with the REPLICATION privilege)");
  flags->log.add_to(*sub, "log every batch of the initial load");
  sub->add_option("--name", flags->options.name,
                  "the setup's name: slot and publication mapengine_<name> (default: default)");
  sub->add_flag("--until-caught-up", flags->options.until_caught_up,
                "return once every change the legacy database committed so far is applied (the "
                "cutover step, after its writes stopped)");
  sub->add_flag("--drop", flags->drop,
                "drop the setup's slot and publication from the legacy database and forget it "
                "(the rows stay); an abandoned slot keeps the legacy server's WAL forever");
  sub->add_option("--warn-retained", flags->options.warn_retained_bytes,
                  "warn at startup when the setup's slot, unread, retained more WAL than this on "
                  "the legacy server, e.g. 1GiB (the default)")
      ->transform(CLI::AsSizeValue(false));
  sub->add_option("--retry-for", flags->retry_for,
                  "how long to keep retrying after a transient failure, e.g. 60s (the default)");
  sub->add_flag("--no-progress", flags->no_progress,
                "no live display: neither the load's progress nor the lag line while following");
  sub->footer(
      "Exit codes: 0 caught up (--until-caught-up) or dropped; 1 lint errors or rejects of the "
      "initial load that need attention; 2 usage error; 3 a decision is needed (the setup "
      "follows other mappings, a mapping was applied without a slot, another process follows, "
      "wal_level is not logical); 4 connection or transient database failure; 5 a database "
      "error retrying cannot fix; 130 interrupted (the position reached is kept: run the same "
      "command again to go on).");

  return [flags] {
    flags->log.configure();
    ConnectionConfig connections = flags->connections.resolve(true, true);
    follow::FollowOptions options = flags->options;
    options.apply.source_url = connections.source;
    options.apply.target_url = connections.target;
    options.apply.retry.budget = parse_duration(flags->retry_for, "--retry-for");
    options.show_progress = !flags->no_progress;
    options.live_display = log_format() == LogFormat::kText && isatty(STDERR_FILENO);
    options.report_every = plain_interval();
    follow::follow_object_name(options.name);  // refuses a bad name before connecting
    std::string source = redact_conninfo(options.apply.source_url);
    std::string target = redact_conninfo(options.apply.target_url);
    print_event(spdlog::level::info, "databases",
                fmt::format("source: {}\ntarget: {}", source, target),
                {{"source", source}, {"target", target}});
    const std::atomic<bool>& interrupted = install_interrupt_handler();
    options.apply.retry.interrupted = &interrupted;
    pg::WaitWatcher watcher(&interrupted);
    if (flags->drop) {
      follow::drop_follow(options);
      return kExitOk;
    }
    spec::Project project = load_checked_project(flags->paths);
    Diagnostics diagnostics;
    plan::Plan plan = plan::make_plan(project, diagnostics);
    check_databases_first(project, options.apply);
    follow::FollowOutcome outcome;
    try {
      outcome = follow::follow(
          project, plan, options,
          [&](const ApplyOptions& load) {
            return initial_load(project, plan, load, interrupted, options.show_progress);
          },
          &interrupted);
    } catch (const Error& e) {
      // Out of retries (a server down longer than --retry-for): what was applied is committed
      // with its position, so a re-run goes on from there.
      ErrorExit exit = error_exit(e.kind(), e.sqlstate(), e.is_permanent(), false);
      if (exit.code != kExitDatabase) throw;
      exit.advice =
          "mapengine: every change applied is committed with its position; run the same command "
          "again to go on following.";
      print_error_exit(e.what(), e.sqlstate(), exit);
      return exit.code;
    }
    if (outcome.status == "load-failed") return outcome.exit_code;
    print_event(spdlog::level::info, "sync_done",
                fmt::format("sync {}: {} source transactions applied ({} rows written, {} "
                            "deleted, {} rejected); confirmed {}",
                            outcome.status, outcome.transactions, outcome.upserted,
                            outcome.deleted, outcome.rejected, outcome.confirmed.to_string()),
                {{"status", outcome.status},
                 {"transactions", outcome.transactions},
                 {"upserted", outcome.upserted},
                 {"deleted", outcome.deleted},
                 {"rejected", outcome.rejected},
                 {"confirmed", outcome.confirmed.to_string()}},
                stdout);
    if (outcome.status == "interrupted") {
      print_event(spdlog::level::warn, "interrupted",
                  "mapengine: interrupted. The position reached is recorded; run the same "
                  "command again to go on following.");
      return kExitInterrupted;
    }
    return kExitOk;
  };
}

}  // namespace mapengine::cli
