#include <fmt/format.h>

#include <map>
#include <string>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/common/secrets.h"

namespace mapengine::cli {

int run(int argc, char** argv) {
  CLI::App app{
      "mapengine: migrate tables from a legacy PostgreSQL database into a new one, "
      "from declarative YAML mapping files."};
  app.set_version_flag("--version", std::string("mapengine ") + MAPENGINE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Connections come from MAPENGINE_SOURCE_URL / MAPENGINE_TARGET_URL, a .env file, or\n"
      "--source / --target. Docs: README.md and docs/ in the repository.");

  std::map<CLI::App*, Runner> runners;
  auto add = [&](Runner (*adder)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    Runner runner = adder(app);
    runners[app.get_subcommands({})[before]] = std::move(runner);
  };
  add(add_lint_command);
  add(add_apply_command);
  add(add_validate_command);
  add(add_report_command);
  add(add_explain_command);
  add(add_scaffold_command);
  add(add_transforms_command);
  add(add_reset_command);
  add(add_status_command);
  add(add_rejects_command);
  add(add_schema_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  hide_command_line_passwords(argc, argv);
  for (auto& [sub, runner] : runners) {
    if (sub->parsed()) {
      try {
        return runner();
      } catch (const Error& e) {
        fmt::print(stderr, "mapengine: error: {}\n", redact_known_secrets(e.what()));
        switch (e.kind()) {
          case ErrorKind::kUsage: return kExitUsage;
          case ErrorKind::kConflict: return kExitConflict;
          case ErrorKind::kDatabase:
          case ErrorKind::kConnection: return kExitDatabase;
          case ErrorKind::kInterrupted: return kExitInterrupted;
          default: return kExitFindings;
        }
      }
    }
  }
  return kExitUsage;
}

}  // namespace mapengine::cli
