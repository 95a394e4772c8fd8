#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_validate_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("validate", "validate (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine validate: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
