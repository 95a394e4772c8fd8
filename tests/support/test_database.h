// Test support: fresh databases on the private PostgreSQL server that scripts/test.sh starts.
//
// TestDatabase creates a database with a unique name on construction and drops it on
// destruction, so tests never see each other's data. The server is found through
// MAPENGINE_PG_ADMIN_URL; without it, integration tests fail with a message that says how to run
// them (scripts/test.sh).
#pragma once

#include <string>

#include "tests/support/process.h"

namespace mapengine::testing {

// The admin connection string of the test server. Throws when the server is not configured.
std::string admin_url();

class TestDatabase {
 public:
  explicit TestDatabase(const std::string& prefix = "t");
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  const std::string& name() const { return name_; }
  // libpq key=value connection string for this database.
  const std::string& url() const { return url_; }
  // Runs SQL (one or more statements) in this database; throws mapengine::Error on failure.
  void exec(const std::string& sql) const;
  // Runs a query and returns the first column of the first row ("" when no row).
  std::string scalar(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

// A scratch folder under the test run's temp folder, created fresh.
std::string scratch_dir(const std::string& name);

CommandResult run_mapengine(const std::string& args, const std::string& env = "",
                            const std::string& cwd = "");


}  // namespace mapengine::testing
