// `mapengine explain FILE [--format text|json] [--db]`: the resolved plan of one mapping
// (mapping_explanation.h). Offline from the files alone; --db adds row estimates, lookup sizes
// and column types. Exit 0, 1 when the file has lint errors, 2 on a usage error, 4 when --db
// cannot reach a database.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/explain/mapping_explanation.h"
#include "engine/lint/semantic_rules.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/spec_loader.h"

namespace mapengine::cli {
namespace {

namespace fs = std::filesystem;

struct ExplainFlags {
  std::string file;
  std::string format = "text";
  bool db = false;
  ConnectionFlags connections;
};

int run_explain(const ExplainFlags& flags) {
  if (!fs::is_regular_file(flags.file)) {
    throw Error::usage(fmt::format("{}: no such file", flags.file));
  }
  Diagnostics all;
  spec::Project project = spec::load_project({flags.file}, all);
  lint::check_project(project, all);
  // Only the explained file's findings matter here; a broken sibling is lint's business.
  Diagnostics diagnostics;
  for (const auto& d : all.items()) {
    if (d.where.file == flags.file) diagnostics.add(d);
  }
  diagnostics.sort();
  for (const auto& d : diagnostics.items()) fmt::print(stderr, "{}\n", d.to_string());
  if (diagnostics.has_errors()) {
    throw Error(ErrorKind::kSpec,
                fmt::format("{}: {} lint error(s); explain shows a mapping that lints clean",
                            flags.file, diagnostics.error_count()));
  }
  if (project.mappings.size() != 1) {
    throw Error::usage(
        fmt::format("{} declares migrated tables; explain takes a mapping file", flags.file));
  }
  const spec::MappingSpec& mapping = project.mappings[0];

  // The order `apply <folder>` would run: every mapping of the file's folder.
  fs::path parent = fs::path(flags.file).parent_path();
  const std::string folder = parent.empty() ? "." : parent.string();
  Diagnostics plan_diagnostics;
  spec::Project folder_project = spec::load_project({folder}, plan_diagnostics);
  plan::Plan plan = plan::make_plan(folder_project, plan_diagnostics);
  std::string plan_error;
  for (const auto& d : plan_diagnostics.items()) {
    if (d.rule == "dependency-cycle") plan_error = d.message;
  }
  explain::MappingExplanation explanation = explain::explain_mapping(
      mapping, project, folder, plan_error.empty() ? &plan : nullptr, plan_error);

  if (flags.db) {
    ConnectionConfig config = flags.connections.resolve(true, true);
    pg::Connection source(config.source, "source");
    pg::Connection target(config.target, "target");
    explain::add_database_figures(explanation, mapping, project, source, target);
  }
  std::string out = flags.format == "json" ? explain::render_json(explanation)
                                           : explain::render_text(explanation);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

Runner add_explain_command(CLI::App& app) {
  auto flags = std::make_shared<ExplainFlags>();
  CLI::App* sub = app.add_subcommand(
      "explain",
      "Show how one mapping runs: the SQL sent to the source, lookups, each column's pipeline "
      "with its types, the write statements, key ranges, dependency order and id map");
  sub->add_option("file", flags->file, "the mapping file")->required();
  sub->add_option("--format", flags->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sub->add_flag("--db", flags->db,
                "also ask the databases (read-only): estimated source rows, lookup sizes, "
                "legacy and target column types");
  flags->connections.add_to(*sub, " (used with --db)", " (used with --db)");
  sub->footer(
      "Exit codes: 0 explained, 1 the file has lint errors, 2 usage error, 4 database "
      "unreachable (--db), 5 a database error retrying cannot fix. Docs: docs/scaffold-and-explain.md.");
  return [flags] { return run_explain(*flags); };
}

}  // namespace mapengine::cli
