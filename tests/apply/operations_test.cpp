// Integration tests of apply in operation: connection loss, Ctrl-C, structured logs, exclusive
// runs, state schema versions, secrets and hostile names.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "engine/common/digest.h"
#include "engine/pg/connection.h"
#include "engine/state/run_store.h"
#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::shell_quote;
using mapengine::testing::wait_for_exit;

namespace {

// 40,000 parts with a lookup into makers; deterministic ids so runs compare row for row.
void make_parts(MigrationFixture& f, int rows = 40000) {
  f.source.exec("CREATE TABLE parts (id int PRIMARY KEY, maker_id int, label text);"
                "INSERT INTO parts SELECT g, g % 50 + 1, ' part ' || g FROM generate_series(1, " +
                std::to_string(rows) + ") g;");
  f.target.exec(
      "CREATE TABLE makers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_id int UNIQUE);"
      "INSERT INTO makers (id, legacy_id) SELECT md5(g::text)::uuid, g FROM generate_series(1, 45)"
      " g;"
      "CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL,"
      " maker_id uuid NOT NULL REFERENCES makers, label text);");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables: [{ table: makers, legacy_key: legacy_id }]\n");
  f.write_file("parts.yaml", R"(version: 1
table: parts
source: { query: "SELECT id, maker_id, label FROM parts", key: id }
target: { legacy_key: legacy_id }
batch_size: 500
max_rejects: "10%"  # makers 46..50 do not exist: 10% of the parts, on purpose
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  maker_id: { from: maker_id, lookup: makers }
  label: { from: label, transform: [trim] }
)");
}

std::string final_state(const MigrationFixture& f) {
  return f.target_rows("SELECT id, legacy_id, maker_id, label FROM parts ORDER BY legacy_id") +
         f.target_rows("SELECT legacy_key, column_name, value, rule, reason FROM "
                       "mapengine.rejects ORDER BY legacy_key::int");
}

}  // namespace

TEST_CASE("connections killed mid-run (pg_terminate_backend) are retried and the result is exact",
          "[apply][faults]") {
  MigrationFixture reference;
  make_parts(reference);
  REQUIRE(reference.run("apply --no-progress parts.yaml").exit_code == 0);

  MigrationFixture f;
  make_parts(f);
  std::string log = f.dir + "/apply.log";
  int pid = f.start("apply --no-progress --retries 20 parts.yaml", log);
  REQUIRE(pid > 0);
  mapengine::pg::Connection admin(mapengine::testing::admin_url(), "test");
  int kills = 0;
  for (int round = 0; round < 200 && kill(pid, 0) == 0 && kills < 6; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    if (f.committed_batches() < 2 * (kills + 1)) continue;
    // Alternate between the target writer and the source reader.
    std::string app = kills % 2 == 0 ? "mapengine-target" : "mapengine-source";
    auto result = admin.exec(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
        "$1 AND datname IN ($2, $3)",
        {app, f.target.name(), f.source.name()});
    if (result.value(0, 0) != "0") ++kills;
  }
  wait_for_exit(pid);
  INFO(read_file(log));
  CHECK(kills > 0);
  REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);  // up to date, or completes
  CHECK(final_state(f) == final_state(reference));
  CHECK(f.target.scalar("SELECT rows_read FROM mapengine.checkpoints") == "40000");
}

TEST_CASE("batches lost under a running apply stop it instead of being skipped, and resume redoes them",
          "[apply][faults]") {
  MigrationFixture reference;
  make_parts(reference);
  REQUIRE(reference.run("apply --no-progress parts.yaml").exit_code == 0);

  MigrationFixture f;
  make_parts(f);
  std::string log = f.dir + "/apply.log";
  int pid = f.start("apply --no-progress --batch-size 100 parts.yaml", log);
  REQUIRE(pid > 0);
  REQUIRE(f.wait_for_batches(6, std::chrono::seconds(30)));
  // What a server crash does to batches committed with synchronous_commit off: rows, rejects
  // and checkpoint go back together. The checkpoint row is locked first, so that no batch
  // commits in between.
  f.target.exec(
      "BEGIN;"
      "SELECT FROM mapengine.checkpoints FOR UPDATE;"
      "DELETE FROM parts WHERE legacy_id > 500;"
      "DELETE FROM mapengine.rejects WHERE legacy_key::int > 500;"
      "UPDATE mapengine.checkpoints SET last_key = '[\"500\"]', rows_read = 500, batches = 5,"
      " rows_rejected = (SELECT count(*) FROM mapengine.rejects),"
      " rows_written = (SELECT count(*) FROM parts);"
      "COMMIT;");
  wait_for_exit(pid);
  std::string out = read_file(log);
  INFO(out);
  CHECK(out.find("the checkpoint is not where") != std::string::npos);
  CommandResult resumed = f.run("apply --no-progress parts.yaml");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK(final_state(f) == final_state(reference));
  CHECK(f.target.scalar("SELECT rows_read FROM mapengine.checkpoints") == "40000");
}

TEST_CASE("Ctrl-C (SIGINT) mid-run leaves no partial batch and resume completes",
          "[apply][faults]") {
  MigrationFixture reference;
  make_parts(reference);
  REQUIRE(reference.run("apply --no-progress parts.yaml").exit_code == 0);

  MigrationFixture f;
  make_parts(f);
  std::string log = f.dir + "/apply.log";
  int pid = f.start("apply --no-progress parts.yaml", log);
  REQUIRE(pid > 0);
  f.wait_for_batches(3, std::chrono::seconds(5));
  kill(pid, SIGINT);
  wait_for_exit(pid);
  std::string output = read_file(log);
  INFO(output);
  if (output.find("interrupted") != std::string::npos) {
    CHECK(output.find("run the same command again to resume") != std::string::npos);
    // Whatever is in the table is exactly what the checkpoints say was written.
    CHECK(f.target.scalar("SELECT count(*) FROM parts") ==
          f.target.scalar("SELECT sum(rows_written) FROM mapengine.checkpoints"));
    CHECK(f.target.scalar("SELECT status FROM mapengine.runs ORDER BY run_id DESC LIMIT 1") ==
          "interrupted");
  }
  CommandResult resumed = f.run("apply --no-progress parts.yaml");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK(final_state(f) == final_state(reference));
}

TEST_CASE("json logs carry one object per line with table, batch, rows and timing",
          "[apply][logs]") {
  MigrationFixture f;
  make_parts(f, 2000);
  CommandResult r = f.run("apply --no-progress -v --log-format json parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::string line;
  int batches = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json event = nlohmann::json::parse(line);  // throws (fails the test) if not JSON
    CHECK(event.contains("ts"));
    CHECK(event.contains("level"));
    if (event["event"] == "batch") {
      ++batches;
      CHECK(event["table"] == "parts");
      CHECK(event.contains("batch"));
      CHECK(event.contains("rows"));
      CHECK(event.contains("ms"));
    }
  }
  CHECK(batches == 4);
}

TEST_CASE("a second apply of a mapping another live process holds is refused, naming the holder",
          "[apply][lock]") {
  MigrationFixture f;
  make_parts(f, 100);
  REQUIRE(f.run("apply --no-progress --dry-run parts.yaml").exit_code == 0);
  // First run creates the state; then pretend another host holds the lease.
  REQUIRE(f.run("apply --no-progress --restart parts.yaml").exit_code == 0);
  f.target.exec("UPDATE mapengine.mappings SET status = 'running', lease_owner = "
                "'builder-7:4242:99', lease_until = now() + interval '5 minutes'");
  CommandResult r = f.run("apply --no-progress parts.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("host builder-7, pid 4242, run 99") != std::string::npos);
  // An expired lease is taken over.
  f.target.exec("UPDATE mapengine.mappings SET lease_until = now() - interval '1 second'");
  CHECK(f.run("apply --no-progress parts.yaml").exit_code == 0);
}

TEST_CASE("a live lease of a same-named host in another pid namespace is respected",
          "[apply][lock]") {
  MigrationFixture f;
  make_parts(f, 100);
  REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);
  char host[256] = {0};
  REQUIRE(gethostname(host, sizeof host - 1) == 0);
  // A pid this namespace does not have: another container with the same host name.
  const std::string pid = "4194000";
  REQUIRE(kill(std::stoi(pid), 0) != 0);
  for (const std::string& owner :
       {std::string(host) + ":" + pid + ":99:0badb007.4026530000.12345",  // another namespace
        std::string(host) + ":" + pid + ":99"}) {                          // the older form
    f.target.exec("UPDATE mapengine.mappings SET status = 'running', lease_owner = '" + owner +
                  "', lease_run_id = 99, lease_until = now() + interval '5 minutes'");
    CommandResult r = f.run("apply --no-progress --restart parts.yaml");
    INFO(owner << "\n" << r.out);
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("another mapengine is applying this mapping: host " + std::string(host) +
                     ", pid " + pid + ", run 99,") != std::string::npos);
    CHECK(f.target.scalar("SELECT lease_owner FROM mapengine.mappings") == owner);
  }
  // The same lease held by a process of this namespace that is gone is taken over at once.
  std::string instance = mapengine::state::RunIdentity::of_this_process().instance;
  std::string here = instance.substr(0, instance.rfind('.'));
  f.target.exec("UPDATE mapengine.mappings SET lease_owner = '" + std::string(host) + ":" + pid +
                ":99:" + here + ".12345'");
  CommandResult taken = f.run("apply --no-progress --restart parts.yaml");
  INFO(taken.out);
  CHECK(taken.exit_code == 0);
}

TEST_CASE("a change of _migrated.yaml is a changed mapping for a resume", "[apply][lock]") {
  MigrationFixture f;
  make_parts(f, 3000);
  f.target.exec("ALTER TABLE makers ADD COLUMN alt_id int UNIQUE; UPDATE makers SET alt_id = "
                "legacy_id");
  // Makers 46 to 50 are missing: max_rejects stops the first attempt with progress behind.
  std::string parts = read_file(f.dir + "/parts.yaml");
  size_t limit = parts.find("max_rejects: \"10%\"");
  REQUIRE(limit != std::string::npos);
  f.write_file("parts.yaml", parts.replace(limit, 19, "max_rejects: 3"));
  CommandResult first = f.run("apply --no-progress parts.yaml");
  INFO(first.out);
  REQUIRE(first.exit_code == 1);
  REQUIRE(f.committed_batches() > 0);
  // Same mapping file, new lookup rules for the migrated table it looks up.
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables: [{ table: makers, legacy_key: alt_id }]\n");
  CommandResult refused = f.run("apply --no-progress parts.yaml");
  INFO(refused.out);
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("changed since the interrupted attempt") != std::string::npos);
  // Unchanged declarations (the file rewritten with the same meaning) are not a change.
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n  - { table: makers, legacy_key: legacy_id }"
               "\n");
  CommandResult same = f.run("apply --no-progress parts.yaml");
  INFO(same.out);
  CHECK(same.out.find("changed since") == std::string::npos);
}

TEST_CASE("a checksum of the file alone, kept by an older mapengine, is not a change",
          "[apply][state]") {
  MigrationFixture f;
  make_parts(f, 100);
  REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);
  // Older versions kept the sha256 of the mapping file's bytes only.
  f.target.exec("UPDATE mapengine.mappings SET checksum = '" +
                mapengine::sha256_hex(read_file(f.dir + "/parts.yaml")) + "'");
  CommandResult again = f.run("apply --no-progress parts.yaml");
  INFO(again.out);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("up-to-date") != std::string::npos);
  CommandResult report = f.run("report --format json parts.yaml");
  INFO(report.out);
  CHECK(report.out.find("unchanged") != std::string::npos);
  CHECK(report.out.find("changed since applied") == std::string::npos);
}

TEST_CASE("a batch whose lease is taken over while it writes rolls back whole", "[apply][lock]") {
  MigrationFixture f;
  make_parts(f, 2000);
  std::string theirs;
  SECTION("the batch's rows are all new") {}
  SECTION("the taker already wrote one of the batch's rows") {
    // The batch's COPY is refused: the row is not set aside as a reject, the lease decides.
    f.target.exec("INSERT INTO parts SELECT gen_random_uuid(), 1, id, 'theirs' FROM makers "
                  "WHERE legacy_id = 1");
    theirs = "1|theirs\n";
  }
  // The first batch's COPY waits behind this lock while another process takes the lease.
  mapengine::pg::Connection blocker(f.target.url(), "test");
  blocker.exec("BEGIN");
  blocker.exec("LOCK TABLE parts IN SHARE MODE");
  std::string log = f.dir + "/apply.log";
  // (--allow-existing-rows: the taker's row is in the table before this mapping has a record.)
  int pid = f.start("apply --no-progress --allow-existing-rows parts.yaml", log);
  REQUIRE(pid > 0);
  bool waiting = false;
  for (int i = 0; i < 600 && !waiting; ++i) {
    waiting = f.target.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                              "'Lock' AND query LIKE 'COPY%parts%'") == "1";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(waiting);
  // The takeover does not wait for the batch in flight: it holds no lock on the lease yet.
  mapengine::pg::Connection thief(f.target.url(), "test");
  thief.exec("SET lock_timeout = '10s'");
  thief.exec("UPDATE mapengine.mappings SET lease_owner = 'builder-7:4242:99'");
  blocker.exec("COMMIT");
  wait_for_exit(pid);
  std::string output = read_file(log);
  INFO(output);
  CHECK(output.find("no longer holds the mapping's lease") != std::string::npos);
  CHECK(f.target_rows("SELECT legacy_id, label FROM parts") == theirs);
  CHECK(f.target.scalar("SELECT batches FROM mapengine.checkpoints") == "0");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
}

TEST_CASE("an older mapengine refuses a newer state schema", "[apply][state]") {
  MigrationFixture f;
  make_parts(f, 10);
  REQUIRE(f.run("apply --no-progress parts.yaml").exit_code == 0);
  f.target.exec("UPDATE mapengine.schema_version SET version = 99");
  CommandResult r = f.run("apply --no-progress --restart parts.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("newer than this mapengine understands") != std::string::npos);
  // Commands that only read the state refuse it the same way.
  for (std::string command : {"report parts.yaml", "report --format json parts.yaml",
                                     "validate parts.yaml"}) {
    CommandResult reader = f.run(command);
    INFO(command << "\n" << reader.out);
    CHECK(reader.exit_code == 3);
    CHECK(reader.out.find("newer than this mapengine understands") != std::string::npos);
  }
}

TEST_CASE("passwords never appear in output or in the run record", "[apply][secrets]") {
  MigrationFixture f;
  make_parts(f, 50);
  const std::string secret = "S3cr3t-Pa55word";
  std::string base = mapengine::testing::admin_url();
  f.write_file(".env", "MAPENGINE_SOURCE_URL='" + f.source.url() + " password=" + secret + "'\n");
  // Succeeding run: source password from .env, target password as a keyword, PGPASSWORD set.
  CommandResult ok = mapengine::testing::run_mapengine(
      "apply --no-progress -v parts.yaml --target " +
          shell_quote(f.target.url() + " password=" + secret),
      "PGPASSWORD=" + secret, f.dir);
  INFO(ok.out);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find(secret) == std::string::npos);
  // Failing run: a URI with the password and an unreachable port.
  CommandResult failed = mapengine::testing::run_mapengine(
      "apply --no-progress parts.yaml --target " +
          shell_quote("postgresql://someone:" + secret + "@127.0.0.1:1/nowhere"),
      "", f.dir);
  INFO(failed.out);
  CHECK(failed.exit_code == 4);
  CHECK(failed.out.find(secret) == std::string::npos);
  CHECK(failed.out.find("***") != std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.runs WHERE options::text LIKE '%" +
                        secret + "%' OR coalesce(message, '') LIKE '%" + secret + "%'") == "0");
  CommandResult help = mapengine::testing::run_mapengine("apply --help");
  CHECK(help.out.find("password") == std::string::npos);
}

TEST_CASE("a connection string libpq cannot parse never shows its password",
          "[apply][secrets]") {
  MigrationFixture f;
  make_parts(f, 10);
  // An un-encoded '%' (libpq quotes the token) and a malformed IPv6 host (libpq quotes the URI).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Tr0ub%dor-Secret", "postgresql://u:Tr0ub%dor-Secret@host/db"},
      {"S3cret-v6-Pw", "postgresql://u:S3cret-v6-Pw@[::1/db"}};
  const std::vector<std::string> commands = {"apply --no-progress parts.yaml",
                                             "validate parts.yaml", "report parts.yaml",
                                             "report --validate parts.yaml"};
  for (const auto& [secret, url] : cases) {
    for (std::string format : {"text", "json"}) {
      for (const std::string& command : commands) {
        for (bool as_flag : {true, false}) {
          std::string args = command + " --log-format " + format;
          std::string env;
          if (as_flag) {
            args += " --target " + shell_quote(url);
          } else {
            env = "MAPENGINE_TARGET_URL=" + shell_quote(url);
          }
          CommandResult r = mapengine::testing::run_mapengine(
              args, "MAPENGINE_SOURCE_URL=" + shell_quote(f.source.url()) + " " + env, f.dir);
          INFO(args << "\n" << r.out);
          CHECK(r.exit_code != 0);
          CHECK(r.out.find(secret) == std::string::npos);
          CHECK(r.out.find("***") != std::string::npos);
        }
      }
    }
    for (std::string format : {"text", "json"}) {
      CommandResult lint = f.run("lint --db --format " + format + " parts.yaml --target " +
                                 shell_quote(url));
      INFO(lint.out);
      CHECK(lint.exit_code == 4);
      CHECK(lint.out.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("a password given with --target is hidden from ps and warned about",
          "[apply][secrets]") {
  MigrationFixture f;
  make_parts(f, 100);
  const std::string secret = "Cmd-L1ne-Secret";
  // The test holds a lock on the target table, so apply waits where it can be looked at.
  mapengine::pg::Connection holder(f.target.url(), "test");
  holder.exec("BEGIN; LOCK TABLE parts");
  std::string log = f.dir + "/apply.log";
  int pid = mapengine::testing::start_in_background(
      "cd " + shell_quote(f.dir) + " && exec env MAPENGINE_SOURCE_URL=" +
      shell_quote(f.source.url()) + " " + shell_quote(MAPENGINE_BINARY) +
      " apply --no-progress parts.yaml --target " +
      shell_quote(f.target.url() + " password=" + secret) + " > " + shell_quote(log) + " 2>&1");
  REQUIRE(pid > 0);
  bool waiting = false;
  for (int i = 0; i < 1500 && !waiting; ++i) {
    waiting = f.target.scalar("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = "
                              "l.relation WHERE c.relname = 'parts' AND NOT l.granted") != "0";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(waiting);
  std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  holder.exec("COMMIT");
  wait_for_exit(pid);
  std::string out = read_file(log);
  INFO(cmdline << "\n" << out);
  CHECK(cmdline.find("apply") != std::string::npos);
  CHECK(cmdline.find("password=***") != std::string::npos);
  CHECK(cmdline.find(secret) == std::string::npos);
  CHECK(out.find("--target holds a password on the command line") != std::string::npos);
  CHECK(out.find("~/.pgpass") != std::string::npos);
  CHECK(out.find(secret) == std::string::npos);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "90");  // makers 46 to 50 are missing
}

namespace {

// A mapengine started in the background whose pid and exit code the test can read.
struct Background {
  std::string pid_file, code_file, log;
  int pid = 0;

  Background(const MigrationFixture& f, const std::string& args) {
    pid_file = f.dir + "/bg.pid";
    code_file = f.dir + "/bg.code";
    log = f.dir + "/bg.log";
    std::remove(pid_file.c_str());
    std::remove(code_file.c_str());
    std::string script = "cd " + shell_quote(f.dir) + " && env " + f.env() + " " +
                         shell_quote(MAPENGINE_BINARY) + " " + args + " > " + shell_quote(log) +
                         " 2>&1 & echo $! > " + shell_quote(pid_file) + "; wait $!; echo $? > " +
                         shell_quote(code_file);
    mapengine::testing::start_in_background("sh -c " + shell_quote(script) + " > /dev/null 2>&1");
    for (int i = 0; i < 500 && pid == 0; ++i) {
      std::string text = read_file(pid_file);
      if (!text.empty()) pid = std::stoi(text);
      if (pid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Waits up to `limit` for the exit code; -1 when the process is still running.
  int exit_code(std::chrono::seconds limit) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = read_file(code_file);
      if (!text.empty() && text.back() == '\n') return std::stoi(text);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
};

}  // namespace

TEST_CASE("a server that accepts and never answers fails the connection within the timeout",
          "[apply][timeouts]") {
  MigrationFixture f;
  make_parts(f, 10);
  // A listener that never accepts: the kernel completes the handshake, nobody ever answers.
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(listener, 16) == 0);
  socklen_t length = sizeof address;
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  std::string silent = "host=127.0.0.1 port=" + std::to_string(ntohs(address.sin_port)) +
                       " dbname=nowhere user=nobody";
  auto started = std::chrono::steady_clock::now();
  CommandResult r = f.run("apply --no-progress parts.yaml --target " + shell_quote(silent));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  close(listener);
  INFO(r.out);
  CHECK(r.exit_code == 4);
  CHECK(seconds < 30);
  CHECK(r.out.find("target: cannot connect") != std::string::npos);
  CHECK(r.out.find("timeout expired") != std::string::npos);
  CHECK(r.out.find("connect_timeout") != std::string::npos);
}

TEST_CASE("a lock held on the target table is logged, and Ctrl-C ends the wait with exit 130",
          "[apply][timeouts]") {
  MigrationFixture f;
  make_parts(f, 2000);
  mapengine::pg::Connection holder(f.target.url(), "test");
  holder.exec("BEGIN; LOCK TABLE parts");
  int holder_pid = holder.backend_pid();
  Background apply(f, "apply --no-progress parts.yaml");
  REQUIRE(apply.pid > 0);
  bool logged = false;
  for (int i = 0; i < 200 && !logged; ++i) {
    logged = read_file(apply.log).find("still waiting") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string waiting = read_file(apply.log);
  INFO(waiting);
  REQUIRE(logged);
  CHECK(waiting.find("target: still waiting after 5 s for statement") != std::string::npos);
  CHECK(waiting.find("Lock relation") != std::string::npos);
  CHECK(waiting.find("blocked by the session of pid " + std::to_string(holder_pid)) !=
        std::string::npos);
  CHECK(waiting.find("LOCK TABLE parts") != std::string::npos);

  auto interrupted = std::chrono::steady_clock::now();
  kill(apply.pid, SIGINT);
  int code = apply.exit_code(std::chrono::seconds(30));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - interrupted).count();
  std::string out = read_file(apply.log);
  INFO(out);
  CHECK(code == 130);
  CHECK(seconds < 10);
  CHECK(out.find("run the same command again to resume") != std::string::npos);
  holder.exec("COMMIT");
  CHECK(f.target.scalar("SELECT status FROM mapengine.runs ORDER BY run_id DESC LIMIT 1") ==
        "interrupted");
  CommandResult resumed = f.run("apply --no-progress parts.yaml");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM parts") == "1800");  // makers 46 to 50 are missing
}

TEST_CASE("hostile identifiers and values are quoted, never spliced", "[apply][sql-safety]") {
  MigrationFixture f;
  f.source.exec(R"sql(CREATE SCHEMA "Lé""gacy";
    CREATE TABLE "Lé""gacy"."Odd Table; DROP" ("Key Col" int PRIMARY KEY, "select" text,
      "ÜnïCode ""col""" text);
    INSERT INTO "Lé""gacy"."Odd Table; DROP" VALUES
      (1, 'x''); DROP TABLE victims; --', E'back\\slash\ttab'),
      (2, '$$ dollar $$', '"quoted"'), (3, NULL, '🦷'))sql");
  f.target.exec(R"sql(CREATE TABLE victims (id int); CREATE SCHEMA "Tärget ""S""";
    CREATE TABLE "Tärget ""S"""."We.ird ""T""" (id uuid PRIMARY KEY, "legacy Key" int UNIQUE,
      "from" text, "Ωmega" text))sql");
  f.write_file("odd.yaml", R"(version: 1
table: '"Tärget ""S"""."We.ird ""T"""'
name: odd
source:
  table: '"Lé""gacy"."Odd Table; DROP"'
  key: Key Col
target: { legacy_key: legacy Key }
columns:
  id: { generate: uuid }
  legacy Key: Key Col
  from: select
  Ωmega: ÜnïCode "col"
)");
  CommandResult r = f.run("apply --no-progress odd.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM victims") == "0");
  CHECK(f.target_rows(R"(SELECT "legacy Key", "from", "Ωmega" FROM "Tärget ""S"""."We.ird ""T""" ORDER BY 1)") ==
        "1|x'); DROP TABLE victims; --|back\\slash\ttab\n2|$$ dollar $$|\"quoted\"\n3|NULL|🦷\n");
}

TEST_CASE("consistent reads (--consistent) read every source from one exported snapshot and records it",
          "[apply][consistent]") {
  MigrationFixture f;
  make_parts(f, 3000);
  CommandResult r = f.run("apply --no-progress --consistent parts.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("reading every source from snapshot") != std::string::npos);
  CHECK(f.target.scalar("SELECT snapshot IS NOT NULL FROM mapengine.runs") == "t");
  CHECK(f.target.scalar("SELECT count(*) FROM parts") ==
        f.target.scalar("SELECT sum(rows_written) FROM mapengine.checkpoints"));
}
