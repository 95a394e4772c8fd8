#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_scaffold_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("scaffold", "scaffold (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine scaffold: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
