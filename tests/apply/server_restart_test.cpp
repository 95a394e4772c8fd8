// A restart of the database server in the middle of `mapengine apply`. These tests run their own
// server (scripts/pg-server.sh in a scratch folder): restarting the shared test server would break
// the tests running beside them.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "engine/pg/connection.h"
#include "tests/support/test_database.h"

using mapengine::testing::CommandResult;
using mapengine::testing::read_file;
using mapengine::testing::run_mapengine;
using mapengine::testing::run_shell;
using mapengine::testing::shell_quote;
using mapengine::testing::start_in_background;
using mapengine::testing::wait_for_exit;

namespace {

// A private server with a legacy `parts` table of 40,000 rows and an empty target.
class PrivateServer {
 public:
  PrivateServer() : dir_(mapengine::testing::scratch_dir("restart")) {
    std::string started = run_shell("cd " + shell_quote(MAPENGINE_SOURCE_DIR) +
                                    " && scripts/pg-server.sh start " +
                                    shell_quote(dir_ + "/pg") + " --fast")
                              .out;
    std::smatch match;
    REQUIRE(std::regex_search(started, match, std::regex("MAPENGINE_PG_ADMIN_URL='([^']*)'")));
    admin_ = match[1];
    mapengine::pg::Connection admin(admin_, "test");
    admin.exec("CREATE DATABASE src");
    admin.exec("CREATE DATABASE tgt");
    mapengine::pg::Connection(url("src"), "test")
        .exec("CREATE TABLE parts (id int PRIMARY KEY, label text);"
              "INSERT INTO parts SELECT g, ' part ' || g FROM generate_series(1, 40000) g;");
    mapengine::pg::Connection(url("tgt"), "test")
        .exec("CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, label "
              "text NOT NULL);");
    std::ofstream(dir_ + "/parts.yaml") << R"(version: 1
table: parts
source: { query: "SELECT id, label FROM parts", key: id }
target: { legacy_key: legacy_id }
batch_size: 250
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  label: { from: label, transform: [trim] }
)";
  }
  ~PrivateServer() {
    std::system(("cd " + shell_quote(MAPENGINE_SOURCE_DIR) + " && scripts/pg-server.sh stop " +
                 shell_quote(dir_ + "/pg"))
                    .c_str());
  }

  std::string url(const std::string& database) const { return admin_ + " dbname=" + database; }
  std::string env() const {
    return "MAPENGINE_SOURCE_URL=" + shell_quote(url("src")) +
           " MAPENGINE_TARGET_URL=" + shell_quote(url("tgt"));
  }
  std::string scalar(const std::string& sql) const {
    mapengine::pg::Connection target(url("tgt"), "test");
    return std::string(target.exec(sql).value(0, 0));
  }
  long long committed_batches() const {
    try {
      return std::stoll(scalar("SELECT COALESCE(sum(batches), 0) FROM mapengine.checkpoints"));
    } catch (...) {
      return 0;  // the state schema does not exist yet, or the server is down
    }
  }
  // Runs `mapengine <args>` in the background, output to `log`; returns its pid.
  int start(const std::string& args, const std::string& log) const {
    return start_in_background("cd " + shell_quote(dir_) + " && env " + env() + " " +
                               shell_quote(MAPENGINE_BINARY) + " " + args + " > " +
                               shell_quote(log) + " 2>&1");
  }
  // Restarts the server; it stays down for `seconds`.
  void restart(int seconds) const {
    REQUIRE(std::system(("cd " + shell_quote(MAPENGINE_SOURCE_DIR) +
                         " && scripts/pg-server.sh restart " + shell_quote(dir_ + "/pg") + " " +
                         std::to_string(seconds))
                            .c_str()) == 0);
  }
  CommandResult run(const std::string& args) const { return run_mapengine(args, env(), dir_); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string admin_;
};

// Starts apply, restarts the server once a few batches are committed, and returns the log.
std::string apply_through_restart(const PrivateServer& server, const std::string& flags,
                                  int seconds_down) {
  std::string log = server.dir() + "/apply.log";
  int pid = server.start("apply --no-progress " + flags + " parts.yaml", log);
  REQUIRE(pid > 0);
  for (int i = 0; i < 3000 && server.committed_batches() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(server.committed_batches() >= 3);
  server.restart(seconds_down);
  wait_for_exit(pid);
  return read_file(log);
}

// Exactly the 40,000 rows, once each, with the checkpoint agreeing.
void check_complete(const PrivateServer& server) {
  CHECK(server.scalar("SELECT count(*) FROM parts") == "40000");
  CHECK(server.scalar("SELECT count(DISTINCT legacy_id) FROM parts") == "40000");
  CHECK(server.scalar("SELECT count(*) FROM parts WHERE label <> 'part ' || legacy_id") == "0");
  CHECK(server.scalar("SELECT sum(rows_read) FROM mapengine.checkpoints") == "40000");
}

}  // namespace

TEST_CASE("a server restart mid-run is survived by retrying, and the result is exact",
          "[apply][faults][restart]") {
  PrivateServer server;
  std::string log = apply_through_restart(server, "--retries 20", 1);
  INFO(log);
  CHECK(log.find("retrying in") != std::string::npos);
  CommandResult again = server.run("apply --no-progress parts.yaml");
  INFO(again.out);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("up-to-date") != std::string::npos);  // the first run completed
  check_complete(server);
}

TEST_CASE("a server down longer than the retries ends with a resume hint and resume completes",
          "[apply][faults][restart]") {
  PrivateServer server;
  std::string log = apply_through_restart(server, "--retries 1", 4);
  INFO(log);
  CHECK(log.find("run the same command again to resume") != std::string::npos);
  CHECK(std::stoll(server.scalar("SELECT count(*) FROM parts")) < 40000);
  CommandResult resumed = server.run("apply --no-progress parts.yaml");
  INFO(resumed.out);
  CHECK(resumed.exit_code == 0);
  check_complete(server);
}

TEST_CASE("a restart longer than the old retries, during a mapping's start and mid-run, is survived",
          "[apply][faults][restart]") {
  // Eight seconds down: the old default of five retries gave up after about six.
  PrivateServer server;
  std::string log;
  SECTION("mid-run") { log = apply_through_restart(server, "", 8); }
  SECTION("while the mapping starts (describing the source)") {
    // The source table is locked, so apply waits in its first source statement.
    mapengine::pg::Connection holder(server.url("src"), "test");
    holder.exec("BEGIN; LOCK TABLE parts");
    std::string path = server.dir() + "/apply.log";
    int pid = server.start("apply --no-progress parts.yaml", path);
    REQUIRE(pid > 0);
    bool waiting = false;
    for (int i = 0; i < 1000 && !waiting; ++i) {
      waiting = server.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted") != "0";
      if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(waiting);
    CHECK(server.committed_batches() == 0);
    server.restart(8);
    wait_for_exit(pid);
    log = read_file(path);
    // The first statements of a start are apply's checks against the databases (lint --db's).
    CHECK(log.find("checking the mappings against the databases failed") != std::string::npos);
  }
  INFO(log);
  CHECK(log.find("retrying in") != std::string::npos);
  CHECK(log.find("succeeded") != std::string::npos);
  CommandResult again = server.run("apply --no-progress parts.yaml");
  INFO(again.out);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("up-to-date") != std::string::npos);  // the first run completed
  check_complete(server);
}
