// `mapengine schema`: prints the JSON Schema of mapping files, transform steps included, as
// schemas/mapping.schema.json holds it (engine/lint/editor_schema.h). Editors use the file;
// `cmake --build build --target update_schema` rewrites it from this output.
#include <fmt/format.h>

#include "engine/cli/commands.h"
#include "engine/lint/editor_schema.h"

namespace mapengine::cli {

Runner add_schema_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "schema",
      "Print the JSON Schema of mapping files (for editors), with every transform and its "
      "arguments");
  sub->footer(
      "Exit codes: 0 printed, 2 usage error. Editor setup: docs/mapping-spec.md, "
      "\"Editors\".");
  return [] {
    fmt::print("{}", lint::editor_schema_text());
    return kExitOk;
  };
}

}  // namespace mapengine::cli
