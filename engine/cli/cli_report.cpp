#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "engine/cli/build_info.h"
#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/cli/interrupt.h"
#include "engine/common/error.h"
#include "engine/common/secrets.h"
#include "engine/pg/connection.h"
#include "engine/plan/dependency_plan.h"
#include "engine/report/markdown_report.h"
#include "engine/report/migration_report.h"
#include "engine/spec/spec_loader.h"
#include "engine/validate/validator.h"

namespace mapengine::cli {
namespace {

struct ReportFlags {
  std::vector<std::string> paths;     // mapping files for context (order, checksums)
  std::vector<std::string> validate;  // validate these first
  ConnectionFlags connections;
  LogFlags log;
  std::string format = "markdown";
  std::string output;
};

}  // namespace

Runner add_report_command(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* sub = app.add_subcommand(
      "report",
      "Write the final migration report (markdown or JSON) from the target's mapengine state");
  sub->add_option("paths", flags->paths,
                  "mapping files or folders, for the dependency order and file checksums "
                  "(default: the files recorded at apply time)");
  flags->connections.add_to(*sub, " (used with --validate)");
  flags->log.add_to(*sub, "also log each mapping's content comparison (used with --validate)",
                    " (used with --validate)");
  sub->add_option("--format", flags->format, "markdown (default) or json")
      ->check(CLI::IsMember({"markdown", "json"}));
  sub->add_option("-o,--output", flags->output, "write the report to this file");
  sub->add_option("--validate", flags->validate,
                  "run mapengine validate on these files or folders first")
      ->expected(1, -1);
  sub->footer(
      "Exit codes: 0 written; 1 --validate found something that does not hold (the report is "
      "still written), or lint errors; 2 usage error; 4 database or connection failure; 5 a "
      "database error retrying cannot fix; 130 interrupted. Docs: docs/validate-and-report.md.");

  return [flags] {
    flags->log.configure();
    std::optional<spec::Project> project;
    int exit_code = kExitOk;
    if (!flags->validate.empty()) {
      project = load_checked_project(flags->validate);
      Diagnostics diagnostics;
      plan::Plan plan = plan::make_plan(*project, diagnostics);
      ConnectionConfig connections = flags->connections.resolve(true, true);
      validate::ValidateOptions options;
      options.source_url = connections.source;
      options.target_url = connections.target;
      options.interrupted = &install_interrupt_handler();
      validate::ValidationSummary summary = validate::validate_project(*project, plan, options);
      fmt::print(stderr, "{}", summary.to_text());
      if (!summary.ok) exit_code = kExitFindings;
    }
    if (!flags->paths.empty()) {
      Diagnostics diagnostics;
      spec::Project files = spec::load_project(flags->paths, diagnostics);
      if (project) {
        // Both given: the positional files complete the validated ones.
        for (auto* list : {&files.mappings, &files.context}) {
          for (auto& m : *list) {
            if (project->find_mapping(m.name) == nullptr) project->context.push_back(std::move(m));
          }
        }
      } else {
        project = std::move(files);
      }
    }
    ConnectionConfig connections = flags->connections.resolve(false, true);
    pg::Connection target(connections.target, "target");
    report::MigrationReport report = report::load_report(target, project ? &*project : nullptr);
    report.version = version_line();
    report.source = redact_conninfo(connections.source);
    report.target_url = redact_conninfo(connections.target);
    std::string text = flags->format == "json"
                           ? report::to_json(report).dump(
                                 2, ' ', false, nlohmann::json::error_handler_t::replace) +
                                 "\n"
                           : report::render_markdown(report);
    if (flags->output.empty()) {
      fmt::print("{}", text);
    } else {
      std::ofstream file(flags->output, std::ios::binary | std::ios::trunc);
      file << text;
      file.close();
      if (!file) throw Error::io(fmt::format("cannot write the report to {}", flags->output));
      fmt::print("{}\n", flags->output);
    }
    return exit_code;
  };
}

}  // namespace mapengine::cli
