#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_report_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("report", "report (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine report: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
