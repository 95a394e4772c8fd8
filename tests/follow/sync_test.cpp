// Integration tests of `mapengine sync`: the initial load at the slot's snapshot, following
// inserts, updates, deletes and soft deletes across a foreign-key chain, resuming after an
// interruption, --until-caught-up, validate afterwards, and --drop.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::wait_for_exit;

namespace {

void make_shop(MigrationFixture& f) {
  f.source.exec(
      "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, deleted boolean NOT NULL "
      "DEFAULT false);"
      "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, total "
      "numeric(10,2));"
      "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 50) g;"
      "INSERT INTO orders SELECT g, (g - 1) % 50 + 1, g * 1.5 FROM generate_series(1, 200) g;");
  f.target.exec(
      "CREATE TABLE customers (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text "
      "NOT NULL);"
      "CREATE TABLE orders (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, customer_id uuid "
      "NOT NULL REFERENCES customers, total_cents bigint);");
  f.write_file("customers.yaml",
               "version: 1\ntable: public.customers\nsource: { query: \"SELECT id, name FROM "
               "customers WHERE NOT deleted\", key: id }\ntarget: { legacy_key: legacy_id }\n"
               "columns:\n  id: { generate: uuid }\n  legacy_id: id\n  name: name\n");
  f.write_file("orders.yaml",
               "version: 1\ntable: public.orders\nsource: { query: \"SELECT id, customer_id, "
               "total FROM orders\", key: id }\ntarget: { legacy_key: legacy_id }\n"
               "columns:\n  id: { generate: uuid }\n  legacy_id: id\n"
               "  customer_id: { from: customer_id, lookup: { table: customers } }\n"
               "  total_cents: { from: total, transform: [{ scale: 100 }] }\n");
}

// What the target should hold, computed from the source, and what it holds.
std::string expected_orders(const MigrationFixture& f) {
  std::string out;
  // Orders of soft-deleted customers cannot be mapped (their lookup misses).
  return f.source.scalar(
      "SELECT string_agg(o.id || ':' || c.name || ':' || (o.total * 100)::bigint, ',' ORDER BY "
      "o.id) FROM orders o JOIN customers c ON c.id = o.customer_id AND NOT c.deleted");
}

std::string target_orders(const MigrationFixture& f) {
  return f.target.scalar(
      "SELECT string_agg(o.legacy_id || ':' || c.name || ':' || o.total_cents, ',' ORDER BY "
      "o.legacy_id) FROM orders o JOIN customers c ON c.id = o.customer_id");
}

bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// The JSON log lines of `output` whose event is `event`.
std::vector<nlohmann::json> events(const std::string& output, const std::string& event) {
  std::vector<nlohmann::json> found;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() != '{') continue;
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.value("event", "") == event) found.push_back(parsed);
  }
  return found;
}

bool is_caught_up(const nlohmann::json& e) {
  return e["lag_bytes"] == 0 && e["lag_seconds"].is_number() && e["lag_seconds"] == 0;
}

bool wait_for_following(const MigrationFixture& f) {
  return wait_for(
      [&] {
        try {
          return f.target.scalar("SELECT phase FROM mapengine.follows") == "following";
        } catch (...) {
          return false;
        }
      },
      std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("sync loads at the slot's snapshot, then follows inserts, updates and deletes",
          "[follow][sync]") {
  MigrationFixture f;
  make_shop(f);
  struct Drop {
    const MigrationFixture& f;
    ~Drop() { f.run("sync --drop customers.yaml"); }
  } drop{f};

  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --no-progress customers.yaml orders.yaml", log);
  // The initial load, then following.
  REQUIRE(wait_for(
      [&] {
        try {
          return f.target.scalar("SELECT phase FROM mapengine.follows") == "following";
        } catch (...) {
          return false;
        }
      },
      std::chrono::seconds(60)));
  CHECK(f.target.scalar("SELECT count(*) FROM orders") == "200");

  // A new customer and its order in one legacy transaction; changed, soft-deleted and deleted
  // rows.
  f.source.exec("BEGIN; INSERT INTO customers VALUES (51, 'newcomer');"
                "INSERT INTO orders VALUES (201, 51, 9.99); COMMIT;");
  f.source.exec("UPDATE customers SET name = 'renamed' WHERE id = 2");
  f.source.exec("UPDATE orders SET total = 1000 WHERE id = 3");
  f.source.exec("DELETE FROM orders WHERE id IN (50, 100, 150, 200)");  // customer 50's orders
  f.source.exec("UPDATE customers SET deleted = true WHERE id = 50");   // soft delete
  f.source.exec("UPDATE orders SET id = 1201 WHERE id = 1");            // a key that changed
  bool followed = wait_for([&] { return target_orders(f) == expected_orders(f); },
                           std::chrono::seconds(30));
  INFO(read_file(log));
  CHECK(target_orders(f) == expected_orders(f));
  REQUIRE(followed);
  CHECK(f.target.scalar("SELECT count(*) FROM customers WHERE legacy_id = 50") == "0");
  CHECK(f.target.scalar("SELECT name FROM customers WHERE legacy_id = 2") == "renamed");

  // Interrupted, more changes, then caught up by a second run that resumes.
  kill(pid, SIGINT);
  wait_for_exit(pid);
  CHECK(read_file(log).find("interrupted. The position reached is recorded") !=
        std::string::npos);
  f.source.exec("INSERT INTO orders VALUES (202, 51, 1.00)");
  f.source.exec("UPDATE customers SET name = 'renamed again' WHERE id = 2");
  CommandResult caught_up = f.run("sync --no-progress --until-caught-up customers.yaml orders.yaml");
  INFO(caught_up.out);
  REQUIRE(caught_up.exit_code == 0);
  CHECK(caught_up.out.find("sync caught-up") != std::string::npos);
  CHECK(target_orders(f) == expected_orders(f));

  // What validate checks holds after following: counts, content, references.
  CommandResult validated = f.run("validate customers.yaml orders.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);

  CommandResult dropped = f.run("sync --drop customers.yaml");
  INFO(dropped.out);
  CHECK(dropped.exit_code == 0);
  CHECK(f.source.scalar(
      "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") == "0");
  CHECK(f.source.scalar("SELECT count(*) FROM pg_publication") == "0");
}

TEST_CASE("sync refuses to follow mappings loaded without a slot, and a server without logical "
          "WAL is named",
          "[follow][sync]") {
  MigrationFixture f;
  make_shop(f);
  REQUIRE(f.run("apply --no-progress customers.yaml").exit_code == 0);
  CommandResult r = f.run("sync --no-progress customers.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("was applied without a replication slot") != std::string::npos);
  CHECK(f.source.scalar(
      "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") == "0");
}

TEST_CASE("a follower killed with -9 while changes flow resumes: nothing lost, nothing twice",
          "[follow][sync]") {
  MigrationFixture f;
  make_shop(f);
  struct Drop {
    const MigrationFixture& f;
    ~Drop() { f.run("sync --drop --name kill9 customers.yaml"); }
  } drop{f};
  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --name kill9 --no-progress customers.yaml orders.yaml", log);
  REQUIRE(wait_for(
      [&] {
        try {
          return f.target.scalar("SELECT phase FROM mapengine.follows") == "following";
        } catch (...) {
          return false;
        }
      },
      std::chrono::seconds(60)));

  // A writer: new orders, changed totals and deletions, one legacy transaction each; the
  // follower is killed part way through.
  for (int i = 1; i <= 120; ++i) {
    std::string id = std::to_string(1000 + i);
    f.source.exec("BEGIN; INSERT INTO orders VALUES (" + id + ", " + std::to_string(i % 49 + 1) +
                  ", " + std::to_string(i) + ".25); UPDATE orders SET total = total + 1 WHERE id = " +
                  std::to_string(i) + "; DELETE FROM orders WHERE id = " +
                  std::to_string(1000 + i - 7) + "; COMMIT;");
    if (i == 40) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      kill(pid, SIGKILL);
      wait_for_exit(pid);
    }
  }
  CommandResult caught_up =
      f.run("sync --name kill9 --no-progress --until-caught-up customers.yaml orders.yaml");
  INFO(read_file(log) + "\n" + caught_up.out);
  REQUIRE(caught_up.exit_code == 0);
  CHECK(target_orders(f) == expected_orders(f));
  CommandResult validated = f.run("validate customers.yaml orders.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}

TEST_CASE("sync reports its lag in bytes and seconds as JSON events, 0 once caught up",
          "[follow][sync]") {
  MigrationFixture f;
  make_shop(f);
  struct Drop {
    const MigrationFixture& f;
    ~Drop() { f.run("sync --drop --name lag customers.yaml"); }
  } drop{f};
  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --name lag --no-progress --log-format json customers.yaml orders.yaml",
                    log, "MAPENGINE_PROGRESS_INTERVAL_MS=100");
  bool following = wait_for_following(f);
  INFO(read_file(log));
  REQUIRE(following);
  for (int i = 1; i <= 20; ++i) {
    f.source.exec("UPDATE orders SET total = total + 1 WHERE id = " + std::to_string(i));
  }
  // Every heartbeat reports; once the writes are applied, the lag reads 0 and 0.
  bool settled = wait_for(
      [&] {
        auto progress = events(read_file(log), "follow_progress");
        return !progress.empty() && progress.back()["transactions"] == 20 &&
               is_caught_up(progress.back());
      },
      std::chrono::seconds(30));
  INFO(read_file(log));
  REQUIRE(settled);
  for (const auto& e : events(read_file(log), "follow_progress")) {
    CHECK(e["setup"] == "lag");
    CHECK(e["lag_bytes"].is_number_integer());
    CHECK(e["lag_bytes"] >= 0);
    CHECK((e["lag_seconds"].is_null() || e["lag_seconds"] >= 0));
    CHECK(e["transactions"].is_number_integer());
    CHECK(e["upserted"].is_number_integer());
    CHECK(e["deleted"].is_number_integer());
    CHECK(e["rejected"].is_number_integer());
    CHECK(e["confirmed"].is_string());
  }
  kill(pid, SIGINT);
  wait_for_exit(pid);

  // Changes made while nobody follows are a lag the next run starts with and works off.
  for (int i = 1; i <= 50; ++i) {
    f.source.exec("UPDATE orders SET total = total + 1 WHERE id = " + std::to_string(i));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CommandResult caught_up =
      f.run("sync --name lag --no-progress --until-caught-up --log-format json customers.yaml "
            "orders.yaml",
            "MAPENGINE_PROGRESS_INTERVAL_MS=1");
  INFO(caught_up.out);
  REQUIRE(caught_up.exit_code == 0);
  auto progress = events(caught_up.out, "follow_progress");
  REQUIRE(progress.size() >= 2);
  // The first report, before anything is confirmed, is behind; a known lag in seconds counts
  // from changes committed at least 2 s before.
  CHECK(progress.front()["lag_bytes"] > 0);
  for (const auto& e : progress) {
    if (e["lag_bytes"] > 0 && e["lag_seconds"].is_number()) CHECK(e["lag_seconds"] >= 1.5);
  }
  CHECK(is_caught_up(progress.back()));
  CHECK(progress.back()["transactions"] == 50);
  CHECK(progress.back()["upserted"] == 50);
  auto done = events(caught_up.out, "sync_done");
  REQUIRE(done.size() == 1);
  CHECK(done[0]["status"] == "caught-up");
  CHECK(caught_up.out.find("\"follow_progress\"") < caught_up.out.find("\"sync_done\""));
}
