// Integration tests of `mapengine sync`: the initial load at the slot's snapshot, following
// inserts, updates, deletes and soft deletes across a foreign-key chain, resuming after an
// interruption, --until-caught-up, validate afterwards, and --drop; the lag events, status's
// view of the slots and the startup warnings about slots that keep WAL. Each test follows its
// own setup name: slot names are server-wide and the tests run in parallel.
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

// Creating the slot waits until every transaction running on the legacy server at that moment
// has ended (PostgreSQL needs a consistent point to decode from): with the rest of the suite
// writing to the same server, under the sanitizers, on 2 cores, that can take long.
constexpr auto kSlotReady = std::chrono::seconds(240);

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
      kSlotReady);
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
  REQUIRE(wait_for_following(f));
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
  bool following = wait_for_following(f);
  INFO(read_file(log));
  REQUIRE(following);

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

namespace {

nlohmann::json status_json(const MigrationFixture& f, const std::string& extra_env = "") {
  CommandResult r = f.run("status --format json", extra_env);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // The target line and the warnings go to standard error, around the JSON.
  size_t begin = r.out.find('['), end = r.out.rfind(']');
  return nlohmann::json::parse(r.out.substr(begin, end - begin + 1));
}

nlohmann::json follow_of(const nlohmann::json& status, const std::string& mapping) {
  for (const auto& item : status) {
    if (item.value("mapping", "") == mapping) return item.at("follow");
  }
  FAIL("no status for " << mapping);
  return {};
}

long long retained_now(const MigrationFixture& f, const std::string& slot) {
  return std::stoll(f.source.scalar(
      "SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots "
      "WHERE slot_name = '" + slot + "' AND database = current_database()"));
}

}  // namespace

TEST_CASE("status shows each follow's slot and retained WAL, warns loudly about an inactive "
          "slot, and still answers when the source cannot be reached",
          "[follow][sync][status]") {
  MigrationFixture f;
  make_shop(f);
  struct Drop {
    const MigrationFixture& f;
    ~Drop() { f.run("sync --drop --name status customers.yaml"); }
  } drop{f};
  CommandResult loaded =
      f.run("sync --name status --no-progress --until-caught-up customers.yaml orders.yaml");
  INFO(loaded.out);
  REQUIRE(loaded.exit_code == 0);

  // Nobody follows: the legacy server keeps the WAL written since.
  for (int i = 1; i <= 20; ++i) {
    f.source.exec("UPDATE orders SET total = total + 1 WHERE id = " + std::to_string(i));
  }
  long long before = retained_now(f, "mapengine_status");
  nlohmann::json status = status_json(f);
  long long after = retained_now(f, "mapengine_status");
  nlohmann::json follow = follow_of(status, "orders");
  INFO(status.dump(2));
  CHECK(follow["name"] == "status");
  CHECK(follow["slot"] == "mapengine_status");
  CHECK(follow["publication"] == "mapengine_status");
  CHECK(follow["phase"] == "following");
  CHECK(follow["confirmed_lsn"] ==
        f.target.scalar("SELECT confirmed_lsn::text FROM mapengine.follows"));
  CHECK(follow["source_reachable"] == true);
  CHECK(follow["slot_exists"] == true);
  CHECK(follow["slot_active"] == false);
  CHECK(follow["retained_wal_bytes"] >= before);
  CHECK(follow["retained_wal_bytes"] <= after);
  CHECK(before > 0);
  CHECK(follow["abandoned_risk"] == true);
  CHECK(follow_of(status, "customers")["slot"] == "mapengine_status");

  CommandResult text = f.run("status");
  INFO(text.out);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("mapengine_status") != std::string::npos);
  CHECK(text.out.find("inactive") != std::string::npos);
  CHECK(text.out.find("WARNING: follow 'status': slot mapengine_status is INACTIVE and "
                      "retains") != std::string::npos);
  CHECK(text.out.find("mapengine sync --drop --name status PATHS") != std::string::npos);

  // While a follower reads the slot: active, no warning.
  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --name status --no-progress customers.yaml orders.yaml", log);
  bool active = wait_for(
      [&] {
        return f.source.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
                               "'mapengine_status' AND active") == "1";
      },
      std::chrono::seconds(30));
  REQUIRE(active);
  CommandResult following = f.run("status");
  INFO(following.out);
  CHECK(following.out.find("active (pid") != std::string::npos);
  CHECK(following.out.find("WARNING") == std::string::npos);
  CHECK(follow_of(status_json(f), "orders")["slot_active"] == true);
  kill(pid, SIGINT);
  wait_for_exit(pid);

  // An unreachable legacy server: what the target knows, and that the source did not answer.
  std::string away = "MAPENGINE_SOURCE_URL='postgresql://someone:s3cr3t-pw@127.0.0.1:1/legacy'";
  CommandResult unreachable = f.run("status", away);
  INFO(unreachable.out);
  CHECK(unreachable.exit_code == 0);
  CHECK(unreachable.out.find("mapengine_status") != std::string::npos);
  CHECK(unreachable.out.find("source: could not be reached") != std::string::npos);
  CHECK(unreachable.out.find("s3cr3t-pw") == std::string::npos);
  CommandResult unreachable_json = f.run("status --format json", away);
  CHECK(unreachable_json.exit_code == 0);
  CHECK(unreachable_json.out.find("s3cr3t-pw") == std::string::npos);
  nlohmann::json away_follow = follow_of(status_json(f, away), "orders");
  CHECK(away_follow["source_reachable"] == false);
  CHECK(away_follow["source_error"].is_string());
  CHECK(away_follow["retained_wal_bytes"].is_null());
  CHECK(away_follow["slot"] == "mapengine_status");
  CommandResult unconfigured = f.run("status", "MAPENGINE_SOURCE_URL=");
  INFO(unconfigured.out);
  CHECK(unconfigured.exit_code == 0);
  CHECK(unconfigured.out.find("source: not configured") != std::string::npos);
}

TEST_CASE("sync warns loudly at startup about WAL its slot retained unread and about mapengine "
          "slots this target has no record of",
          "[follow][sync]") {
  MigrationFixture f;
  make_shop(f);
  struct Drop {
    const MigrationFixture& f;
    ~Drop() {
      f.run("sync --drop --name startup customers.yaml");
      f.run("sync --drop --name stray customers.yaml");
    }
  } drop{f};
  const std::string caught_up =
      "sync --name startup --no-progress --until-caught-up customers.yaml orders.yaml";
  REQUIRE(f.run(caught_up).exit_code == 0);
  // A slot left by a setup this target does not know (another target's, or forgotten).
  f.source.exec("SELECT pg_create_logical_replication_slot('mapengine_stray', 'pgoutput')");
  for (int i = 1; i <= 20; ++i) {
    f.source.exec("UPDATE orders SET total = total + 1 WHERE id = " + std::to_string(i));
  }

  CommandResult low = f.run(
      "sync --name startup --no-progress --until-caught-up --warn-retained 1 --log-format json "
      "customers.yaml orders.yaml");
  INFO(low.out);
  REQUIRE(low.exit_code == 0);
  auto retained = events(low.out, "follow_slot_retained");
  REQUIRE(retained.size() == 1);
  CHECK(retained[0]["level"] == "warning");
  CHECK(retained[0]["slot"] == "mapengine_startup");
  CHECK(retained[0]["retained_wal_bytes"] > 1);
  auto unrecorded = events(low.out, "follow_slot_unrecorded");
  REQUIRE(unrecorded.size() == 1);
  CHECK(unrecorded[0]["slot"] == "mapengine_stray");
  CHECK(unrecorded[0]["active"] == false);
  CHECK(unrecorded[0]["msg"].get<std::string>().find("mapengine sync --drop --name stray") !=
        std::string::npos);

  // Under the default threshold (1 GiB) the setup's own few kilobytes are not worth a warning;
  // the stray slot still is, also in status.
  CommandResult usual = f.run(caught_up);
  INFO(usual.out);
  REQUIRE(usual.exit_code == 0);
  CHECK(usual.out.find("slot mapengine_startup retained") == std::string::npos);
  CHECK(usual.out.find("slot mapengine_stray on the legacy server (inactive, retains") !=
        std::string::npos);
  CommandResult status = f.run("status");
  INFO(status.out);
  CHECK(status.out.find("WARNING: slot mapengine_stray on the legacy server") !=
        std::string::npos);

  // The advice works: the stray slot goes, and so does the warning.
  REQUIRE(f.run("sync --drop --name stray customers.yaml").exit_code == 0);
  CommandResult clean = f.run(caught_up);
  INFO(clean.out);
  REQUIRE(clean.exit_code == 0);
  CHECK(clean.out.find("mapengine_stray") == std::string::npos);
}

TEST_CASE("legacy transactions already waiting are applied together, in fewer target "
          "transactions, exactly once",
          "[follow][sync][group]") {
  MigrationFixture f;
  make_shop(f);
  struct Drop {
    const MigrationFixture& f;
    ~Drop() { f.run("sync --drop --name grouped customers.yaml"); }
  } drop{f};
  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --name grouped --no-progress customers.yaml orders.yaml", log);
  bool following = wait_for_following(f);
  INFO(read_file(log));
  REQUIRE(following);
  kill(pid, SIGINT);
  wait_for_exit(pid);

  // 300 legacy transactions while nobody follows: a new customer and its order, then the next
  // transaction renames it, moves an order to it and deletes an older one.
  for (int i = 1; i <= 150; ++i) {
    std::string c = std::to_string(100 + i);
    std::string o = std::to_string(1000 + i);
    f.source.exec("BEGIN; INSERT INTO customers VALUES (" + c + ", 'new " + c +
                  "'); INSERT INTO orders VALUES (" + o + ", " + c + ", " + std::to_string(i) +
                  "); COMMIT;");
    f.source.exec("BEGIN; UPDATE customers SET name = 'renamed " + c + "' WHERE id = " + c +
                  "; UPDATE orders SET customer_id = " + c + " WHERE id = " +
                  std::to_string(i) + "; DELETE FROM orders WHERE id = " +
                  std::to_string(1000 + i - 3) + "; COMMIT;");
  }
  auto commits = [&] {
    return std::stoll(f.target.scalar(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"));
  };
  long long before = commits();
  CommandResult caught_up =
      f.run("sync --name grouped --no-progress --until-caught-up customers.yaml orders.yaml");
  INFO(caught_up.out);
  REQUIRE(caught_up.exit_code == 0);
  CHECK(caught_up.out.find("300 source transactions applied") != std::string::npos);
  CHECK(target_orders(f) == expected_orders(f));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the statistics are flushed
  long long target_commits = commits() - before;
  INFO("target transactions committed by the catching-up run: " << target_commits);
  CHECK(target_commits < 150);
  CommandResult validated = f.run("validate customers.yaml orders.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}
