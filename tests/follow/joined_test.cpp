// Integration test of `follow.also`: a mapping whose query joins another source table declares
// it, and a change of a row there re-evaluates the mapping's rows that join it. The setup follows
// its own name: slot names are server-wide.
#include <catch2/catch.hpp>
#include <signal.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::wait_for_exit;

namespace {

bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// What the target should hold: each order with its customer's name, from the source.
std::string expected(const MigrationFixture& f) {
  return f.source.scalar(
      "SELECT string_agg(o.id || ':' || c.name, ',' ORDER BY o.id) FROM orders o "
      "JOIN customers c ON c.id = o.customer_id");
}

std::string held(const MigrationFixture& f) {
  return f.target.scalar(
      "SELECT string_agg(legacy_id || ':' || customer_name, ',' ORDER BY legacy_id) FROM "
      "orders");
}

}  // namespace

TEST_CASE("follow.also: a change of a joined table's row re-evaluates the rows that join it",
          "[follow][sync][also]") {
  MigrationFixture f;
  f.source.exec(
      "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);"
      "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);"
      "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 10) g;"
      "INSERT INTO orders SELECT g, (g - 1) % 10 + 1 FROM generate_series(1, 40) g;");
  f.target.exec(
      "CREATE TABLE orders (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
      "customer_name text NOT NULL);");
  f.write_file("orders.yaml",
               "version: 1\ntable: public.orders\nsource:\n  query: \"SELECT o.id, c.name FROM "
               "orders o JOIN customers c ON c.id = o.customer_id\"\n  key: id\n"
               "target: { legacy_key: legacy_id }\n"
               "follow:\n  also:\n    - { table: customers, join: { customer_id: id } }\n"
               "columns:\n  id: { generate: uuid }\n  legacy_id: id\n  customer_name: name\n");
  struct Drop {
    const MigrationFixture& f;
    ~Drop() { f.run("sync --drop --name joined orders.yaml"); }
  } drop{f};

  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --name joined --no-progress orders.yaml", log);
  bool following = wait_for(
      [&] {
        try {
          return f.target.scalar("SELECT phase FROM mapengine.follows") == "following";
        } catch (...) {
          return false;
        }
      },
      std::chrono::seconds(240));
  INFO(read_file(log));
  REQUIRE(following);
  CHECK(f.source.scalar("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM "
                        "pg_publication_tables WHERE pubname = 'mapengine_joined'") ==
        "customers,orders");

  // Only the joined table changes: a renamed customer, and one renamed twice in one
  // transaction with an order moved to it.
  f.source.exec("UPDATE customers SET name = 'renamed' WHERE id = 3");
  f.source.exec("BEGIN; UPDATE customers SET name = 'first' WHERE id = 5;"
                "UPDATE customers SET name = 'second' WHERE id = 5;"
                "UPDATE orders SET customer_id = 5 WHERE id = 1; COMMIT;");
  bool followed = wait_for([&] { return held(f) == expected(f); }, std::chrono::seconds(30));
  kill(pid, SIGINT);
  wait_for_exit(pid);
  INFO(read_file(log));
  CHECK(held(f) == expected(f));
  REQUIRE(followed);
  CHECK(f.target.scalar("SELECT count(*) FROM orders WHERE customer_name = 'renamed'") == "4");
  CHECK(f.target.scalar("SELECT count(*) FROM orders WHERE customer_name = 'second'") == "5");

  // Resumed: a change made while stopped is caught up.
  f.source.exec("UPDATE customers SET name = 'later' WHERE id = 7");
  CommandResult caught_up = f.run("sync --name joined --no-progress --until-caught-up orders.yaml");
  INFO(caught_up.out);
  REQUIRE(caught_up.exit_code == 0);
  CHECK(held(f) == expected(f));
  CommandResult validated = f.run("validate orders.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);

  // A joined table declared after the setup started is in no slot: refused, saying what to do.
  f.source.exec("CREATE TABLE regions (id int PRIMARY KEY)");
  std::string text = read_file(f.dir + "/orders.yaml");
  text.replace(text.find("    - { table: customers"), 0,
               "    - { table: regions, join: { id: id } }\n");
  f.write_file("orders.yaml", text);
  CommandResult refused = f.run("sync --name joined --no-progress --until-caught-up orders.yaml");
  INFO(refused.out);
  CHECK(refused.exit_code == 3);
  CHECK(refused.out.find("public.regions is read by the mappings (follow.also) but not in "
                         "publication mapengine_joined") != std::string::npos);
}
