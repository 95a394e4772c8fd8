// Running shell commands and background processes from tests: the output and exit code of a
// command, a process started in the background and waited for, and a file read whole.
#pragma once

#include <string>

namespace mapengine::testing {

// Result of running a command.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr, interleaved
};

// Runs `command` with /bin/sh; standard error goes with standard output.
CommandResult run_shell(const std::string& command);

// Starts `command` with /bin/sh in the background (its output must be redirected by `command`);
// returns its pid, or 0 when it could not be started.
int start_in_background(const std::string& command);

// Waits up to two minutes for process `pid` (not necessarily a child of this one) to end.
void wait_for_exit(int pid);

// The whole content of the file at `path` (empty when it cannot be read).
std::string read_file(const std::string& path);

std::string shell_quote(const std::string& text);

}  // namespace mapengine::testing
