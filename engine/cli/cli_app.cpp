#include <fmt/format.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/build_info.h"
#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/closest_name.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/spec/schema_validator.h"

namespace mapengine::cli {
namespace {

// CLI11 reads an unknown command as a stray argument ("A subcommand is required"); say what it
// is instead, with the closest command (the same matcher lint's "did you mean" uses).
bool reject_unknown_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  const std::string_view word = argv[1];
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) {
    if (command->get_name() == word) return false;
    names.push_back(command->get_name());
  }
  const std::string hint = closest_name(word, names);
  fmt::print(stderr, "mapengine: unknown command '{}'{}\nRun mapengine --help for the commands.\n",
             word, hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint));
  return true;
}

std::string_view permanent_cause(std::string_view sqlstate) {
  std::string_view sqlclass = sqlstate.substr(0, 2);
  if (sqlstate == "42501") return "the role lacks a privilege; grant it";
  if (sqlclass == "42") {
    return "a table, column or other name the statement uses does not exist as written; fix "
           "the mapping file or the target schema (mapengine lint --db checks both)";
  }
  if (sqlclass == "28") return "the server refused the credentials; fix the user or password";
  if (sqlclass == "3D") return "the database named in the URL does not exist; fix the URL";
  if (sqlclass == "3F") return "a schema named in the mapping does not exist; fix the mapping";
  if (sqlclass == "0A") return "the server does not support what the statement asks";
  return "the server refused the statement";
}

}  // namespace

ErrorExit error_exit(ErrorKind kind, const std::string& sqlstate, bool permanent,
                     bool resumable) {
  switch (kind) {
    case ErrorKind::kUsage: return {kExitUsage, ""};
    case ErrorKind::kConflict: return {kExitConflict, ""};
    case ErrorKind::kInterrupted: return {kExitInterrupted, ""};
    case ErrorKind::kDatabase:
    case ErrorKind::kConnection: break;
    default: return {kExitFindings, ""};
  }
  std::string kept = resumable ? "; committed batches are kept" : "";
  if (permanent) {
    return {kExitPermanent,
            fmt::format("mapengine: retrying cannot help (SQLSTATE {}): {}. Then run the same "
                        "command again{}.",
                        sqlstate, permanent_cause(sqlstate), kept)};
  }
  return {kExitDatabase,
          resumable
              ? "mapengine: committed batches are kept; run the same command again to resume."
              : ""};
}

void print_error_exit(std::string_view message, const std::string& sqlstate,
                      const ErrorExit& exit) {
  std::string text = fmt::format("mapengine: error: {}", message);
  if (!exit.advice.empty()) text += "\n" + exit.advice;
  print_event(spdlog::level::err, "error", text,
              {{"error", std::string(message)},
               {"sqlstate", sqlstate},
               {"exit_code", exit.code},
               {"advice", exit.advice}});
}

int run(int argc, char** argv) {
  CLI::App app{
      "mapengine: migrate tables from a legacy PostgreSQL database into a new one, "
      "from declarative YAML mapping files.",
      "mapengine"};
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);

  std::map<CLI::App*, Runner> runners;
  auto add = [&](Runner (*adder)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    Runner runner = adder(app);
    runners[app.get_subcommands({})[before]] = std::move(runner);
  };
  add(add_lint_command);
  add(add_apply_command);
  add(add_sync_command);
  add(add_validate_command);
  add(add_report_command);
  add(add_explain_command);
  add(add_scaffold_command);
  add(add_transforms_command);
  add(add_reset_command);
  add(add_status_command);
  add(add_rejects_command);
  add(add_schema_command);
  add(add_completion_command);
  // Set after the subcommands, which would inherit it: each states its own exit codes.
  app.footer(
      "Run mapengine COMMAND --help for a command's options and exit codes. Connections come from\n"
      "MAPENGINE_SOURCE_URL / MAPENGINE_TARGET_URL, a .env file, or --source / --target.\n"
      "Docs: README.md and docs/ in the repository; the man pages mapengine-COMMAND(1).");

  if (reject_unknown_command(app, argc, argv)) return kExitUsage;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  for (auto& [sub, runner] : runners) {
    // The warnings below come before the command configures its logging: in its format.
    const CLI::Option* format = sub->parsed() ? sub->get_option_no_throw("--log-format") : nullptr;
    if (format != nullptr) {
      configure_logging(log_format_for(format->count() > 0 ? format->as<std::string>() : "auto"),
                        false);
    }
  }
  hide_command_line_passwords(argc, argv);
  for (auto& [sub, runner] : runners) {
    if (sub->parsed()) {
      try {
        return runner();
      } catch (const Error& e) {
        ErrorExit exit = error_exit(e.kind(), e.sqlstate(), e.is_permanent(), false);
        print_error_exit(e.what(), e.sqlstate(), exit);
        return exit.code;
      }
    }
  }
  return kExitUsage;
}

}  // namespace mapengine::cli
