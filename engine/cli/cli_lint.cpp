// `mapengine lint [FILES|DIRS]... [--format text|json|github|sarif] [--db] [--strict]`: checks
// mapping files without running them. Exit 0 when clean (warnings allowed unless --strict), 1 when
// any error (or, with --strict, any warning) was found, 2 on a usage error, 4 when --db cannot
// reach a database.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "engine/cli/commands.h"
#include "engine/common/connection_config.h"
#include "engine/common/error.h"
#include "engine/lint/database_rules.h"
#include "engine/lint/lint_output.h"
#include "engine/lint/semantic_rules.h"
#include "engine/pg/connection.h"
#include "engine/spec/spec_loader.h"

namespace mapengine::cli {
namespace {

struct LintOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  bool db = false;
  bool strict = false;
  std::string source, target;
  CLI::Option* source_option = nullptr;
  CLI::Option* target_option = nullptr;
};

std::optional<std::string> flag(const CLI::Option* option, const std::string& value) {
  if (option == nullptr || option->count() == 0) return std::nullopt;
  return value;
}

// Runs the --db checks; connection and catalog failures propagate as Error.
void check_databases(const LintOptions& options, const spec::Project& project,
                     const std::vector<std::string>& files, Diagnostics& diagnostics) {
  ConnectionConfig config = resolve_connections(flag(options.source_option, options.source),
                                                flag(options.target_option, options.target));
  for (const auto& [url, role, variable, option] :
       {std::tuple{&config.source, "source", kSourceUrlVariable, "--source"},
        std::tuple{&config.target, "target", kTargetUrlVariable, "--target"}}) {
    if (url->empty()) {
      throw Error::usage(
          fmt::format("lint --db needs the {} database: set {}, put it in .env, "
                      "or pass {}",
                      role, variable, option));
    }
  }
  pg::Connection source(config.source, "source");
  pg::Connection target(config.target, "target");
  lint::check_databases(project, files, source, target, diagnostics);
}

int run_lint(const LintOptions& options) {
  std::optional<lint::LintFormat> format = lint::parse_lint_format(options.format);
  if (!format) throw Error::usage("--format must be text, json, github or sarif");

  Diagnostics diagnostics;
  Diagnostics ignored;  // expand_paths' own findings are reported by load_project
  std::vector<std::string> files = spec::expand_paths(options.paths, ignored);
  spec::Project project = spec::load_project(options.paths, diagnostics);
  lint::check_project(project, diagnostics);

  std::optional<Error> database_failure;
  if (options.db) {
    try {
      check_databases(options, project, files, diagnostics);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kUsage) throw;
      database_failure = e;  // report what was found so far, then the failure
    }
  }

  diagnostics.sort();
  bool color = *format == lint::LintFormat::kText && lint::use_color();
  std::string out = lint::render_diagnostics(diagnostics, *format, files.size(), color);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (database_failure) throw *database_failure;
  bool failed = diagnostics.has_errors() || (options.strict && diagnostics.warning_count() > 0);
  return failed ? kExitFindings : kExitOk;
}

}  // namespace

Runner add_lint_command(CLI::App& app) {
  auto options = std::make_shared<LintOptions>();
  CLI::App* sub = app.add_subcommand(
      "lint",
      "Check mapping files without running them: structure, transforms, lookups, keys and "
      "dependencies; with --db, also against the source and target databases");
  sub->add_option("paths", options->paths,
                  "Mapping files or folders (a folder means its *.yaml / *.yml files); other "
                  "YAML files in the same folders are read to resolve lookups")
      ->required();
  sub->add_option("--format", options->format,
                  "Output: text (default), json, github (Actions annotations) or sarif (2.1.0)")
      ->check(CLI::IsMember({"text", "json", "github", "sarif"}));
  sub->add_flag("--db", options->db,
                "Also check against the databases: source queries are described (not run), "
                "target tables, columns, NOT NULL coverage and lookup columns are checked");
  sub->add_flag("--strict", options->strict, "Warnings fail too (exit 1), as errors do");
  options->source_option =
      sub->add_option("--source", options->source,
                      "Source (legacy) database URL; default MAPENGINE_SOURCE_URL, then .env");
  options->target_option = sub->add_option(
      "--target", options->target, "Target database URL; default MAPENGINE_TARGET_URL, then .env");
  sub->footer(
      "Exit codes: 0 no errors (warnings allowed, unless --strict), 1 errors found (or warnings, "
      "with --strict), 2 usage error, 4 database unreachable (--db), "
      "5 a database error retrying cannot fix (--db). Rules: docs/mapping-spec.md, "
      "\"Lint rules\".");
  return [options] { return run_lint(*options); };
}

}  // namespace mapengine::cli
