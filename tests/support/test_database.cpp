#include "tests/support/test_database.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "engine/common/error.h"
#include "engine/pg/connection.h"

namespace mapengine::testing {

std::string admin_url() {
  const char* url = std::getenv("MAPENGINE_PG_ADMIN_URL");
  if (url == nullptr || *url == '\0') {
    throw Error(ErrorKind::kUsage,
                "integration tests need the test server: run scripts/test.sh "
                "(MAPENGINE_PG_ADMIN_URL is not set)");
  }
  return url;
}

namespace {
std::string with_dbname(const std::string& url, const std::string& dbname) {
  return url + " dbname=" + dbname;
}
}  // namespace

TestDatabase::TestDatabase(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device random;
  name_ = fmt::format("{}_{}_{}_{:x}", prefix, getpid(), counter++, random() & 0xffffff);
  pg::Connection admin(admin_url(), "test-admin");
  admin.exec(fmt::format("CREATE DATABASE \"{}\" TEMPLATE template0 ENCODING 'UTF8'", name_));
  url_ = with_dbname(admin_url(), name_);
}

TestDatabase::~TestDatabase() {
  try {
    pg::Connection admin(admin_url(), "test-admin");
    admin.exec(fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name_));
  } catch (...) {
    // The server may already be gone at the end of an interrupted run.
  }
}

void TestDatabase::exec(const std::string& sql) const {
  pg::Connection conn(url_, "test");
  conn.exec(sql);
}

std::string TestDatabase::scalar(const std::string& sql) const {
  pg::Connection conn(url_, "test");
  pg::Result result = conn.exec(sql);
  if (result.rows() == 0 || result.columns() == 0) return "";
  return std::string(result.value(0, 0));
}

std::string scratch_dir(const std::string& name) {
  const char* base = std::getenv("MAPENGINE_TEST_TMP");
  std::filesystem::path root = base ? base : std::filesystem::temp_directory_path();
  static std::atomic<int> counter{0};
  auto dir = root / fmt::format("{}-{}-{}", name, getpid(), counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

CommandResult run_mapengine(const std::string& args, const std::string& env,
                            const std::string& cwd) {
  std::string dir = cwd.empty() ? std::string(MAPENGINE_SOURCE_DIR) : cwd;
  return run_shell(fmt::format("cd {} && env {} {} {}", shell_quote(dir), env,
                               shell_quote(MAPENGINE_BINARY), args));
}

}  // namespace mapengine::testing
