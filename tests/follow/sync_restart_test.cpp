// A restart of the legacy server, and separately of the target server, while `mapengine sync`
// follows a writer's changes: the follower retries and goes on (or, out of retries, ends with
// the resume hint and a re-run continues), and the target ends exactly as the source with
// validate clean: nothing lost, nothing applied twice. The servers are private
// (scripts/pg-server.sh in a scratch folder): restarting the shared test server would break the
// tests running beside them.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
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

// One private server with one database `db`.
class Server {
 public:
  explicit Server(const std::string& dir) : dir_(dir) {
    std::string started = run_shell("cd " + shell_quote(MAPENGINE_SOURCE_DIR) +
                                    " && scripts/pg-server.sh start " + shell_quote(dir_) +
                                    " --fast")
                              .out;
    std::smatch match;
    REQUIRE(std::regex_search(started, match, std::regex("MAPENGINE_PG_ADMIN_URL='([^']*)'")));
    admin_ = match[1];
    mapengine::pg::Connection(admin_, "test").exec("CREATE DATABASE db");
  }
  ~Server() {
    std::system(("cd " + shell_quote(MAPENGINE_SOURCE_DIR) + " && scripts/pg-server.sh stop " +
                 shell_quote(dir_))
                    .c_str());
  }
  std::string url() const { return admin_ + " dbname=db"; }
  void exec(const std::string& sql) const { mapengine::pg::Connection(url(), "test").exec(sql); }
  std::string scalar(const std::string& sql) const {
    mapengine::pg::Connection connection(url(), "test");
    return std::string(connection.exec(sql).value(0, 0));
  }
  // Fast shutdown, `seconds` down, the same port.
  void restart(int seconds) const {
    REQUIRE(std::system(("cd " + shell_quote(MAPENGINE_SOURCE_DIR) +
                         " && scripts/pg-server.sh restart " + shell_quote(dir_) + " " +
                         std::to_string(seconds))
                            .c_str()) == 0);
  }

 private:
  std::string dir_;
  std::string admin_;
};

struct Setup {
  std::string dir = mapengine::testing::scratch_dir("sync-restart");
  Server legacy{dir + "/legacy"};
  Server target{dir + "/target"};

  Setup() {
    legacy.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES "
        "customers, total numeric(10,2));"
        "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 50) g;"
        "INSERT INTO orders SELECT g, (g - 1) % 50 + 1, g * 1.5 FROM generate_series(1, 200) g;");
    target.exec(
        "CREATE TABLE customers (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text "
        "NOT NULL);"
        "CREATE TABLE orders (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, customer_id "
        "uuid NOT NULL REFERENCES customers, total_cents bigint);");
    std::ofstream(dir + "/customers.yaml")
        << "version: 1\ntable: public.customers\nsource: { query: \"SELECT id, name FROM "
           "customers\", key: id }\ntarget: { legacy_key: legacy_id }\n"
           "columns:\n  id: { generate: uuid }\n  legacy_id: id\n  name: name\n";
    std::ofstream(dir + "/orders.yaml")
        << "version: 1\ntable: public.orders\nsource: { query: \"SELECT id, customer_id, total "
           "FROM orders\", key: id }\ntarget: { legacy_key: legacy_id }\n"
           "columns:\n  id: { generate: uuid }\n  legacy_id: id\n"
           "  customer_id: { from: customer_id, lookup: { table: customers } }\n"
           "  total_cents: { from: total, transform: [{ scale: 100 }] }\n";
  }

  std::string env() const {
    return "MAPENGINE_SOURCE_URL=" + shell_quote(legacy.url()) +
           " MAPENGINE_TARGET_URL=" + shell_quote(target.url());
  }
  int start(const std::string& args, const std::string& log) const {
    return start_in_background("cd " + shell_quote(dir) + " && env " + env() + " " +
                               shell_quote(MAPENGINE_BINARY) + " " + args + " > " +
                               shell_quote(log) + " 2>&1");
  }
  CommandResult run(const std::string& args) const { return run_mapengine(args, env(), dir); }

  // Every order with its customer's name and total, in the source and in the target.
  std::string expected() const {
    return legacy.scalar(
        "SELECT string_agg(o.id || ':' || c.name || ':' || (o.total * 100)::bigint, ',' ORDER "
        "BY o.id) FROM orders o JOIN customers c ON c.id = o.customer_id");
  }
  std::string held() const {
    return target.scalar(
        "SELECT string_agg(o.legacy_id || ':' || c.name || ':' || o.total_cents, ',' ORDER BY "
        "o.legacy_id) FROM orders o JOIN customers c ON c.id = o.customer_id");
  }
  bool following() const {
    try {
      return target.scalar("SELECT phase FROM mapengine.follows") == "following";
    } catch (...) {
      return false;
    }
  }
};

// Legacy transactions, one after another until stopped: a new order, a changed total, a deleted
// order and a renamed customer each. A transaction the server refused (it was down) is tried
// again; the comparison at the end is with what the source holds, whatever committed.
class Writer {
 public:
  explicit Writer(const Server& legacy)
      : thread_([this, &legacy] {
          std::optional<mapengine::pg::Connection> connection;
          for (int i = 1; !stop_.load(); ++i) {
            try {
              if (!connection || !connection->is_ok()) connection.emplace(legacy.url(), "test");
              std::string n = std::to_string(i);
              connection->exec("BEGIN; INSERT INTO orders VALUES (" + std::to_string(1000 + i) +
                               ", " + std::to_string(i % 50 + 1) + ", " + n +
                               ".25) ON CONFLICT (id) DO NOTHING;"
                               "UPDATE orders SET total = total + 1 WHERE id = " +
                               std::to_string(i % 200 + 1) +
                               "; DELETE FROM orders WHERE id = " + std::to_string(1000 + i - 5) +
                               "; UPDATE customers SET name = 'customer ' || id || ' v" + n +
                               "' WHERE id = " + std::to_string(i % 50 + 1) + "; COMMIT;");
              ++committed_;
            } catch (...) {
              connection.reset();
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }) {}
  ~Writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long long committed() const { return committed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long long> committed_{0};
  std::thread thread_;
};

bool process_alive(int pid) { return kill(pid, 0) == 0; }

// Follows while a writer runs and `server` is restarted (down 2 s); then the writer stops, the
// follower is interrupted (or ended by itself), a re-run catches up, and the target is compared.
// `gives_up`: the follower's retries (--retry-for 1s) end before the server is back (down 4 s):
// it ends with the resume hint.
void follow_through_restart(Setup& s, bool restart_legacy, bool gives_up = false) {
  std::string log = s.dir + "/sync.log";
  int pid = s.start(std::string("sync --name restart --no-progress ") +
                        (gives_up ? "--retry-for 1s " : "") + "customers.yaml orders.yaml",
                    log);
  bool following = false;
  for (int i = 0; i < 1200 && !(following = s.following()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(read_file(log));
  REQUIRE(following);

  Writer writer(s.legacy);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  long long before = writer.committed();
  (restart_legacy ? s.legacy : s.target).restart(gives_up ? 4 : 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  writer.stop();
  INFO("legacy transactions committed: " << before << " before the restart, "
                                         << writer.committed() << " in all");
  CHECK(before > 0);
  CHECK(writer.committed() > before);  // the writer went on after the restart

  // The follower retried and went on: it catches up with the writer while still running.
  bool alive = process_alive(pid);
  bool caught_up = false;
  for (int i = 0; alive && i < 600 && !(caught_up = s.held() == s.expected()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (alive) {
    kill(pid, SIGINT);
    wait_for_exit(pid);
  }
  std::string output = read_file(log);
  INFO(output);
  if (gives_up) {
    CHECK_FALSE(alive);
    CHECK(output.find("run the same command again") != std::string::npos);
  } else {
    CHECK(alive);
    CHECK(caught_up);
    CHECK(output.find("retrying in") != std::string::npos);
  }

  // A re-run (also after a follower that gave up) continues from the recorded position.
  CommandResult again = s.run("sync --name restart --no-progress --until-caught-up "
                              "customers.yaml orders.yaml");
  INFO(again.out);
  REQUIRE(again.exit_code == 0);
  CHECK(s.held() == s.expected());
  CHECK(s.target.scalar("SELECT count(*) FROM customers") == "50");
  CHECK(s.target.scalar("SELECT count(*) FROM orders") == s.legacy.scalar("SELECT count(*) FROM orders"));
  CommandResult validated = s.run("validate customers.yaml orders.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
  s.run("sync --drop --name restart customers.yaml");
}

}  // namespace

TEST_CASE("sync survives a restart of the legacy server under a writer: nothing lost, nothing "
          "twice",
          "[follow][sync][restart]") {
  Setup s;
  follow_through_restart(s, /*restart_legacy=*/true);
}

TEST_CASE("sync survives a restart of the target server under a writer: nothing lost, nothing "
          "twice",
          "[follow][sync][restart]") {
  Setup s;
  follow_through_restart(s, /*restart_legacy=*/false);
}

TEST_CASE("sync out of retries while the legacy server is down ends with the resume hint, and a "
          "re-run continues exactly",
          "[follow][sync][restart]") {
  Setup s;
  follow_through_restart(s, /*restart_legacy=*/true, /*gives_up=*/true);
}
