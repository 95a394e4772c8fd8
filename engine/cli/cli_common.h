// Pieces shared by the subcommands: connection flags, log flags, and loading a project with the
// lint gate (a command that runs mappings refuses to start while lint finds errors).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/apply/apply_options.h"
#include "engine/common/connection_config.h"
#include "engine/common/log.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::cli {

struct ConnectionFlags {
  std::optional<std::string> source;
  std::optional<std::string> target;

  // A note ends a flag's help when the command uses that connection only sometimes.
  void add_to(CLI::App& command, std::string_view source_note = "",
              std::string_view target_note = "");
  // Resolves flags, environment and .env; throws Error(kUsage) naming what is missing.
  ConnectionConfig resolve(bool need_source, bool need_target) const;
};

struct LogFlags {
  std::string format = "auto";  // auto | text | json
  bool verbose = false;

  // `verbose_help` says what -v adds for this command; without it the command has no -v (it has
  // no debug-level lines to show). `note` ends --log-format's help.
  void add_to(CLI::App& command, std::string_view verbose_help = "", std::string_view note = "");
  void configure() const;  // auto = json when CI is set and stderr is not a terminal
};

// The log format `--log-format` (auto, text or json) chooses.
LogFormat log_format_for(std::string_view flag);

// Hides the password of every --source / --target value in argv, in place, so that ps and
// /proc/PID/cmdline no longer show it, and warns on stderr for each (naming the safer places; a
// `password_on_command_line` event with JSON logs).
// REQUIRES: the command line was parsed already (the values were copied out of argv).
void hide_command_line_passwords(int argc, char** argv);

// Loads the files/folders, runs every lint rule, prints the findings to stderr and throws
// Error(kSpec) when there are errors. Warnings are printed and allowed.
spec::Project load_checked_project(const std::vector<std::string>& paths);

// Writes `text` to `path` through a temporary file in the same folder and a rename, so that a
// reader sees the old file or the whole new one. Throws Error(kIo).
void write_file_atomically(const std::string& path, const std::string& text);

// Prints the findings (sorted) to stderr; when there are errors, throws Error(kSpec): "N
// <what>: <then>".
void stop_on_errors(Diagnostics& diagnostics, std::string_view what, std::string_view then);

// The checks of `lint --db` (source queries, target tables and columns, lookups, key columns,
// follow.on_delete's mark column), before anything is written or any state is touched: a
// finding stops the command with lint's file:line:col message (Error(kSpec)). A database that
// cannot be reached at all fails at once; a connection lost during the checks is retried.
void check_databases_first(const spec::Project& project, const ApplyOptions& options);

}  // namespace mapengine::cli
