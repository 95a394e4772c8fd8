#include <fmt/format.h>

#include "engine/cli/commands.h"

namespace mapengine::cli {

Runner add_explain_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("explain", "explain (not yet available)");
  (void)sub;
  return [] {
    fmt::print(stderr, "mapengine explain: not yet available\n");
    return kExitUsage;
  };
}

}  // namespace mapengine::cli
