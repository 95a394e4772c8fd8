#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_transforms_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("transforms", "transforms (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine transforms: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
