#include "tests/support/migration_fixture.h"

#include <chrono>
#include <fstream>
#include <thread>

#include "engine/pg/connection.h"

namespace mapengine::testing {

MigrationFixture::MigrationFixture() : dir(scratch_dir("mapping")) {}

std::string MigrationFixture::write_file(const std::string& name, const std::string& text) const {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string MigrationFixture::env() const {
  return "MAPENGINE_SOURCE_URL=" + shell_quote(source.url()) +
         " MAPENGINE_TARGET_URL=" + shell_quote(target.url());
}

CommandResult MigrationFixture::run(const std::string& args, const std::string& extra_env) const {
  return run_mapengine(args, env() + " " + extra_env, dir);
}

int MigrationFixture::start(const std::string& args, const std::string& log,
                            const std::string& extra_env) const {
  return start_in_background("cd " + shell_quote(dir) + " && env " + env() + " " + extra_env +
                             " " + shell_quote(MAPENGINE_BINARY) + " " + args + " > " +
                             shell_quote(log) + " 2>&1");
}

long long MigrationFixture::committed_batches() const {
  try {
    std::string value =
        target.scalar("SELECT COALESCE(sum(batches), 0) FROM mapengine.checkpoints");
    return value.empty() ? 0 : std::stoll(value);
  } catch (...) {
    return 0;  // the state schema does not exist yet
  }
}

bool MigrationFixture::wait_for_batches(long long batches,
                                        std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (committed_batches() < batches) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string MigrationFixture::target_rows(const std::string& query) const {
  pg::Connection conn(target.url(), "test");
  pg::Result result = conn.exec(query);
  std::string out;
  for (int r = 0; r < result.rows(); ++r) {
    for (int c = 0; c < result.columns(); ++c) {
      if (c > 0) out += '|';
      out += result.is_null(r, c) ? "NULL" : std::string(result.value(r, c));
    }
    out += '\n';
  }
  return out;
}

}  // namespace mapengine::testing
