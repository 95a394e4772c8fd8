#include "engine/cli/cli_common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/spec/diagnostic.h"
#include "engine/spec/spec_loader.h"

namespace mapengine::cli {

void ConnectionFlags::add_to(CLI::App& command) {
  command.add_option("--source", source,
                     "legacy database (libpq string or URI); default: MAPENGINE_SOURCE_URL or .env");
  command.add_option("--target", target,
                     "target database (libpq string or URI); default: MAPENGINE_TARGET_URL or .env");
}

ConnectionConfig ConnectionFlags::resolve(bool need_source, bool need_target) const {
  ConnectionConfig config = resolve_connections(source, target);
  if (need_source && config.source.empty()) {
    throw Error::usage(
        "no source database: set MAPENGINE_SOURCE_URL (environment or .env) or pass --source");
  }
  if (need_target && config.target.empty()) {
    throw Error::usage(
        "no target database: set MAPENGINE_TARGET_URL (environment or .env) or pass --target");
  }
  return config;
}

void LogFlags::add_to(CLI::App& command) {
  command.add_option("--log-format", format, "auto, text or json (auto: json in CI)")
      ->check(CLI::IsMember({"auto", "text", "json"}));
  command.add_flag("-v,--verbose", verbose, "log every batch");
}

void LogFlags::configure() const {
  LogFormat chosen = LogFormat::kText;
  if (format == "json") {
    chosen = LogFormat::kJson;
  } else if (format == "auto") {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0' && !isatty(STDERR_FILENO)) chosen = LogFormat::kJson;
  }
  configure_logging(chosen, verbose);
}

spec::Project load_checked_project(const std::vector<std::string>& paths) {
  Diagnostics diagnostics;
  spec::Project project = spec::load_project(paths, diagnostics);
  if (!diagnostics.has_errors()) plan::make_plan(project, diagnostics);
  diagnostics.sort();
  for (const auto& d : diagnostics.items()) fmt::print(stderr, "{}\n", d.to_string());
  if (diagnostics.has_errors()) {
    throw Error(ErrorKind::kSpec,
                fmt::format("{} lint error(s): fix them before running (mapengine lint shows "
                            "the same findings)",
                            diagnostics.error_count()));
  }
  if (project.mappings.empty()) throw Error::usage("no mapping files to act on");
  return project;
}

}  // namespace mapengine::cli
