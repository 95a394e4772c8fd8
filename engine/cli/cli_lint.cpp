#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_lint_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("lint", "lint (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine lint: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
