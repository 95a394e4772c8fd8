#include <fmt/format.h>

#include <memory>

#include "engine/cli/commands.h"
#include "engine/transform/registry.h"

namespace mapengine::cli {

Runner add_transforms_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "transforms", "List every transform a mapping can use, with its types and options");
  sub->add_option("name", *name, "show one transform only");
  sub->footer(
      "Exit codes: 0 listed, 2 unknown transform or usage error. Docs: "
      "docs/mapping-spec.md, \"Transforms\".");
  return [name] {
    const TransformRegistry& registry = TransformRegistry::instance();
    int shown = 0;
    for (const TransformInfo& info : registry.all()) {
      if (!name->empty() && info.name != *name) continue;
      std::string options = info.options.empty()
                                ? ""
                                : fmt::format("  options: {}", fmt::join(info.options, ", "));
      fmt::print("{:<18} {:>10} -> {:<11} {}{}{}\n", info.name, to_string(info.input),
                 to_string(info.output), info.is_combiner() ? "(combines several inputs) " : "",
                 info.summary, options);
      ++shown;
    }
    if (shown == 0) {
      std::string suggestion = registry.suggest(*name);
      fmt::print(stderr, "mapengine transforms: unknown transform {}{}\n", *name,
                 suggestion.empty() ? "" : fmt::format(" (did you mean {}?)", suggestion));
      return kExitUsage;
    }
    return kExitOk;
  };
}

}  // namespace mapengine::cli
