// MigrationFixture: a legacy (source) and a target database, a folder for mapping files, and a
// way to run the mapengine binary against them. Each fixture has its own databases.
#pragma once

#include <chrono>
#include <string>

#include "tests/support/test_database.h"

namespace mapengine::testing {

class MigrationFixture {
 public:
  MigrationFixture();

  TestDatabase source{"src"};
  TestDatabase target{"tgt"};
  std::string dir;  // scratch folder holding the mapping files

  // Writes `text` to dir/name and returns the full path.
  std::string write_file(const std::string& name, const std::string& text) const;
  // Runs `mapengine <args>` in `dir` with the two databases in the environment.
  CommandResult run(const std::string& args, const std::string& extra_env = "") const;
  // Starts `mapengine <args>` in `dir` in the background, output to `log`; returns its pid.
  int start(const std::string& args, const std::string& log,
            const std::string& extra_env = "") const;
  // Batches committed so far in all ranges (0 before the state schema exists).
  long long committed_batches() const;
  // Waits until at least `batches` are committed, up to `timeout`; whether they were.
  bool wait_for_batches(long long batches, std::chrono::milliseconds timeout) const;
  // Environment assignments for the two databases (shell-quoted).
  std::string env() const;
  // All rows of `query` on the target, one line per row, columns separated by '|'.
  std::string target_rows(const std::string& query) const;
};

}  // namespace mapengine::testing
