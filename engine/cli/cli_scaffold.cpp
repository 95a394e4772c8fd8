// `mapengine scaffold --source-table T --table T [-o FILE] [--force] [--mappings DIR]`: drafts a
// mapping file from the catalogs of the legacy table and the target table (mapping_draft.h).
// Exit 0 when written (TODOs included), 2 on a usage error or an unknown table, 3 when FILE
// exists and --force is not given, 4 when a database cannot be reached.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "engine/scaffold/mapping_draft.h"
#include "engine/scaffold/mapping_writer.h"
#include "engine/scaffold/table_catalog.h"
#include "engine/spec/spec_loader.h"

namespace mapengine::cli {
namespace {

namespace fs = std::filesystem;

struct ScaffoldFlags {
  std::string source_table;
  std::string table;
  std::string output;
  std::string mappings;
  bool force = false;
  ConnectionFlags connections;
};

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

// The mappings folder as context; the file being overwritten is not part of it.
spec::Project load_folder(const std::string& folder, const std::string& output) {
  Diagnostics ignored;  // problems in other files are lint's business, not scaffold's
  spec::Project project = spec::load_project({folder}, ignored);
  if (!output.empty()) {
    for (auto* list : {&project.mappings, &project.context}) {
      std::erase_if(*list, [&](const spec::MappingSpec& m) { return same_file(m.file, output); });
    }
  }
  return project;
}

int run_scaffold(const ScaffoldFlags& flags) {
  if (!flags.output.empty() && fs::exists(flags.output) && !flags.force) {
    throw Error::conflict(fmt::format(
        "{} exists; pass --force to overwrite it (or choose another file with -o)", flags.output));
  }
  std::string folder = flags.mappings;
  if (folder.empty() && !flags.output.empty()) {
    // The file will live beside these mappings: their names are the ones lint resolves.
    fs::path parent = fs::path(flags.output).parent_path();
    std::string candidate = parent.empty() ? "." : parent.string();
    if (fs::is_directory(candidate)) folder = candidate;
  }
  if (!flags.mappings.empty() && !fs::is_directory(flags.mappings)) {
    throw Error::usage(fmt::format("--mappings {}: not a folder", flags.mappings));
  }
  std::optional<spec::Project> project;
  if (!folder.empty()) project = load_folder(folder, flags.output);

  ConnectionConfig config = flags.connections.resolve(true, true);
  pg::Connection source(config.source, "source");
  pg::Connection target(config.target, "target");

  const pg::QualifiedName source_name = pg::parse_qualified_name(flags.source_table);
  const pg::QualifiedName target_name = pg::parse_qualified_name(flags.table);
  std::optional<scaffold::TableInfo> source_info = scaffold::read_table(source, source_name);
  if (!source_info) {
    throw Error::usage(fmt::format("--source-table {}: no such table in the source database",
                                   source_name.display()));
  }
  std::optional<scaffold::TableInfo> target_info = scaffold::read_table(target, target_name);
  if (!target_info) {
    throw Error::usage(
        fmt::format("--table {}: no such table in the target database", target_name.display()));
  }

  scaffold::ScaffoldInputs inputs;
  inputs.source = std::move(*source_info);
  inputs.target = std::move(*target_info);
  inputs.project = project ? &*project : nullptr;
  inputs.mappings_folder = folder;
  inputs.target_table = [&](const pg::QualifiedName& name) {
    return scaffold::read_table(target, name);
  };
  inputs.distinct_values = [&](const scaffold::ColumnInfo& column) {
    return scaffold::sample_distinct(source, inputs.source, column, scaffold::kMaxCodes);
  };
  scaffold::MappingDraft draft = scaffold::draft_mapping(inputs);
  std::string text = scaffold::render_mapping(draft);

  for (const auto& note : draft.notes) fmt::print(stderr, "mapengine scaffold: note: {}\n", note);
  if (flags.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  }
  write_file_atomically(flags.output, text);
  fmt::print(
      stderr, "mapengine scaffold: wrote {}: {}; then run `mapengine lint {}`\n", flags.output,
      draft.todos == 0
          ? std::string("no open decisions, review it")
          : fmt::format("{} open decision{} marked TODO", draft.todos, draft.todos == 1 ? "" : "s"),
      flags.output);
  return kExitOk;
}

}  // namespace

Runner add_scaffold_command(CLI::App& app) {
  auto flags = std::make_shared<ScaffoldFlags>();
  CLI::App* sub = app.add_subcommand(
      "scaffold",
      "Draft a mapping file from the catalogs of a legacy table and its target table: columns "
      "matched by name, legacy key, lookups, casts, and a TODO for every open decision");
  sub->add_option("--source-table", flags->source_table,
                  "legacy table, schema.name or name (schema public)")
      ->required();
  sub->add_option("--table", flags->table, "target table, schema.name or name (schema public)")
      ->required();
  sub->add_option("-o,--output", flags->output,
                  "write the mapping to this file (default: print it)");
  sub->add_flag("--force", flags->force, "overwrite the output file when it exists");
  sub->add_option("--mappings", flags->mappings,
                  "folder of existing mapping files, for the names of mappings and migrated "
                  "tables that lookups use (default: the folder of -o FILE)");
  flags->connections.add_to(*sub);
  sub->footer(
      "Exit codes: 0 written (open decisions are marked TODO), 2 usage error or unknown table, "
      "3 the output file exists (use --force), 4 database unreachable. "
      "Docs: docs/scaffold-and-explain.md.");
  return [flags] { return run_scaffold(*flags); };
}

}  // namespace mapengine::cli
