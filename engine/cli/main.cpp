// mapengine's entry point: parses the command line (CLI11) and dispatches to one subcommand.
// Each subcommand lives in its own cli_<name>.cpp and registers itself through commands.h.
#include <cstdio>
#include <exception>

#include "engine/cli/commands.h"
#include "engine/common/secrets.h"

int main(int argc, char** argv) {
  try {
    return mapengine::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mapengine: internal error: %s\n",
                 mapengine::redact_known_secrets(e.what()).c_str());
    return 70;
  }
}
