#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_apply_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("apply", "apply (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine apply: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
