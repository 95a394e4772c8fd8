#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/common/secrets.h"
#include "engine/pg/connection.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/spec_loader.h"
#include "engine/state/mapping_reset.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine::cli {
namespace {

struct ResetFlags {
  std::vector<std::string> paths;
  ConnectionFlags connections;
  LogFlags log;
  bool dry_run = false;
  bool cascade = false;
  bool include_existing = false;
};

}  // namespace

Runner add_reset_command(CLI::App& app) {
  auto flags = std::make_shared<ResetFlags>();
  CLI::App* sub = app.add_subcommand(
      "reset",
      "Undo what the given mappings wrote to the target (their rows, id map, rejects, "
      "checkpoints), in reverse dependency order, so they can be applied from the start");
  sub->add_option("paths", flags->paths, "mapping files or folders")->required();
  flags->connections.add_to(*sub);
  flags->log.add_to(*sub);
  sub->add_flag("--dry-run", flags->dry_run, "show what would be deleted; change nothing");
  sub->add_flag("--cascade", flags->cascade,
                "reset first the mappings whose rows reference these (named in the output)");
  sub->add_flag("--include-existing", flags->include_existing,
                "mode upsert / skip_existing: also delete rows that may have existed before the "
                "mapping ran");
  sub->footer(
      "Exit codes: 0 reset (or nothing to reset), 2 usage, 3 refused (rows of other mappings "
      "or tables\nreference these, another process holds a mapping, upsert rows), 4 database "
      "failure, 5 a database error retrying cannot fix.");

  return [flags] {
    flags->log.configure();
    // Lint errors do not stop a reset: undoing a mapping with a mistake is what it is for.
    Diagnostics diagnostics;
    spec::Project project = spec::load_project(flags->paths, diagnostics);
    if (project.mappings.empty()) {
      for (const auto& d : diagnostics.items()) fmt::print(stderr, "{}\n", d.to_string());
      throw Error::usage("no mapping files to reset");
    }
    // Reverse dependency order when the files can be ordered; the reset plan also orders by the
    // references it finds in the target.
    std::vector<std::string> names;
    Diagnostics plan_diagnostics;
    plan::Plan plan = plan::make_plan(project, plan_diagnostics);
    if (!plan_diagnostics.has_errors() && plan.steps.size() == project.mappings.size()) {
      for (auto it = plan.steps.rbegin(); it != plan.steps.rend(); ++it) {
        names.push_back(it->mapping->name);
      }
    } else {
      for (auto it = project.mappings.rbegin(); it != project.mappings.rend(); ++it) {
        names.push_back(it->name);
      }
    }

    ConnectionConfig connections = flags->connections.resolve(false, true);
    fmt::print(stderr, "target: {}\n", redact_conninfo(connections.target));
    pg::Connection target(connections.target, "target");
    if (state::readable_state_version(target) == 0) {
      fmt::print("nothing has been applied to this target (no mapengine state schema); nothing "
                 "to reset\n");
      return kExitOk;
    }
    if (!flags->dry_run) state::ensure_state_schema(target);  // refuses a newer layout

    state::ResetOptions options;
    options.cascade = flags->cascade;
    options.include_existing = flags->include_existing;
    options.learn(project);
    state::ResetPlan reset = state::plan_reset(target, names, options);
    if (flags->dry_run) {
      fmt::print("{}", state::format_reset_plan(reset));
      fmt::print("\ndry run: nothing was changed.\n");
      return kExitOk;
    }
    state::RunIdentity who = state::RunIdentity::of_this_process();
    long long run_id = state::begin_run(
        target, "reset", who,
        nlohmann::json{{"cascade", flags->cascade}, {"include_existing", flags->include_existing}}
            .dump(),
        "");
    try {
      state::ResetPlan done = state::execute_reset(target, reset, run_id);
      fmt::print("{}", state::format_reset_plan(done));
      state::finish_run(target, run_id, "succeeded", "");
    } catch (const Error& e) {
      try {
        if (target.is_ok()) state::finish_run(target, run_id, "failed", e.what());
      } catch (const Error&) {
        // The run stays "running" in the record; the error being reported is the first one.
      }
      throw;
    }
    fmt::print("\nreset: the mappings above can be applied again from the start.\n");
    return kExitOk;
  };
}

}  // namespace mapengine::cli
