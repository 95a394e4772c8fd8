#include <fmt/format.h>

#include <memory>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/cli/interrupt.h"
#include "engine/plan/dependency_plan.h"
#include "engine/validate/validator.h"

namespace mapengine::cli {
namespace {

struct ValidateFlags {
  std::vector<std::string> paths;
  ConnectionFlags connections;
  LogFlags log;
  std::string format = "text";
  long chunk_rows = 10000;
  size_t max_examples = 10;
};

}  // namespace

Runner add_validate_command(CLI::App& app) {
  auto flags = std::make_shared<ValidateFlags>();
  CLI::App* sub = app.add_subcommand(
      "validate",
      "Check the migrated tables against the live source and target: counts, content, "
      "references and declared checks (exit 1 when something does not hold)");
  sub->add_option("paths", flags->paths, "mapping files or folders")->required();
  flags->connections.add_to(*sub);
  flags->log.add_to(*sub, "also log each mapping's content comparison");
  sub->add_option("--format", flags->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sub->add_option("--chunk-rows", flags->chunk_rows,
                  "legacy keys per compared chunk of the content check (default 10000)")
      ->check(CLI::Range(100L, 1000000L));
  sub->add_option("--max-differences", flags->max_examples,
                  "differences named per kind (missing, extra, changed) and mapping (default 10)")
      ->check(CLI::Range(static_cast<size_t>(1), static_cast<size_t>(10000)));
  sub->footer(
      "Exit codes: 0 everything holds; 1 something does not hold, or lint errors; 2 usage error; "
      "4 database or connection failure; 5 a database error retrying cannot fix; 130 "
      "interrupted. Docs: docs/validate-and-report.md.");

  return [flags] {
    flags->log.configure();
    spec::Project project = load_checked_project(flags->paths);
    Diagnostics diagnostics;
    plan::Plan plan = plan::make_plan(project, diagnostics);
    ConnectionConfig connections = flags->connections.resolve(true, true);
    validate::ValidateOptions options;
    options.source_url = connections.source;
    options.target_url = connections.target;
    options.chunk_rows = flags->chunk_rows;
    options.max_examples = flags->max_examples;
    options.interrupted = &install_interrupt_handler();
    validate::ValidationSummary summary = validate::validate_project(project, plan, options);
    if (flags->format == "json") {
      fmt::print("{}\n",
                 summary.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      fmt::print("{}", summary.to_text());
    }
    return summary.ok ? kExitOk : kExitFindings;
  };
}

}  // namespace mapengine::cli
