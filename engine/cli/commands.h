// The command-line interface: one CLI11 app with a subcommand per file (cli_<name>.cpp).
//
// Exit codes (stable, documented in README): 0 success; 1 the command ran and found problems
// (lint errors, validation failures, rejects over the limit); 2 usage error; 3 a conflict that
// needs a decision (changed mapping, lock held); 4 a connection or transient database failure
// (running again resumes); 5 a permanent database error that retrying cannot fix (unknown table
// or column, permission, authentication, missing database or schema: Error::is_permanent);
// 130 interrupted.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "engine/common/error.h"

namespace mapengine::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConflict = 3;
inline constexpr int kExitDatabase = 4;
inline constexpr int kExitPermanent = 5;
inline constexpr int kExitInterrupted = 130;

// How a command ends on an error of `kind`: the exit code and, for a database or connection
// failure, what to do next (one sentence; empty for other kinds). `resumable`: committed
// batches are kept (apply).
struct ErrorExit {
  int code = kExitFindings;
  std::string advice;
};
ErrorExit error_exit(ErrorKind kind, const std::string& sqlstate, bool permanent,
                     bool resumable);
// Prints "mapengine: error: <message>" and the advice to stderr; with JSON logs, one `error`
// event (msg, sqlstate, exit_code, advice) instead.
void print_error_exit(std::string_view message, const std::string& sqlstate,
                      const ErrorExit& exit);

// Parses argv and runs the chosen subcommand; returns the process exit code.
int run(int argc, char** argv);

// Each subcommand file defines one of these: it adds its CLI11 subcommand to `app` and returns
// the function that runs it once parsing succeeded.
using Runner = std::function<int()>;
Runner add_lint_command(CLI::App& app);
Runner add_apply_command(CLI::App& app);
Runner add_sync_command(CLI::App& app);
Runner add_validate_command(CLI::App& app);
Runner add_report_command(CLI::App& app);
Runner add_explain_command(CLI::App& app);
Runner add_scaffold_command(CLI::App& app);
Runner add_transforms_command(CLI::App& app);
Runner add_reset_command(CLI::App& app);
Runner add_status_command(CLI::App& app);
Runner add_rejects_command(CLI::App& app);
Runner add_completion_command(CLI::App& app);
Runner add_schema_command(CLI::App& app);

}  // namespace mapengine::cli
