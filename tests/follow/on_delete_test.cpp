// Integration tests of a followed mapping's `follow.on_delete` policy: a row deleted in the
// legacy database, or filtered out by the query (a soft delete), is deleted from the target
// (`delete`, the default), kept (`keep`) or kept and marked (`mark: column`); kept rows are
// recorded as retired so that validate and the report account for them, and a row that comes
// back is live again. Each test follows its own setup name: slot names are server-wide.
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

constexpr auto kSlotReady = std::chrono::seconds(240);

bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
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

// items(1..20) in the legacy database, soft-deleted through `deleted`; the target keeps a
// deletion time and a flag that a `mark` policy may set.
void make_items(MigrationFixture& f, const std::string& on_delete) {
  f.source.exec(
      "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, deleted boolean NOT NULL "
      "DEFAULT false);"
      "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g;");
  f.target.exec(
      "CREATE TABLE items (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text NOT "
      "NULL, deleted_at timestamptz, retired boolean NOT NULL DEFAULT false);");
  std::string follow = on_delete.empty() ? "" : "follow:\n  on_delete: " + on_delete + "\n";
  f.write_file("items.yaml",
               "version: 1\ntable: public.items\nsource: { query: \"SELECT id, name FROM items "
               "WHERE NOT deleted\", key: id }\ntarget: { legacy_key: legacy_id }\n" +
                   follow + "columns:\n  id: { generate: uuid }\n  legacy_id: id\n  name: name\n");
}

// Follows setup `name` while a legacy row is deleted (3) and one soft-deleted (5), until both
// changes are applied, then interrupts the follower.
void follow_deletions(MigrationFixture& f, const std::string& name,
                      const std::function<bool()>& applied) {
  std::string log = f.dir + "/sync.log";
  int pid = f.start("sync --name " + name + " --no-progress items.yaml", log);
  bool following = wait_for_following(f);
  INFO(read_file(log));
  REQUIRE(following);
  f.source.exec("DELETE FROM items WHERE id = 3");
  f.source.exec("UPDATE items SET deleted = true WHERE id = 5");
  f.source.exec("UPDATE items SET name = 'changed' WHERE id = 7");
  bool done = wait_for(
      [&] { return applied() && f.target.scalar("SELECT name FROM items WHERE legacy_id = 7") ==
                                    "changed"; },
      std::chrono::seconds(30));
  kill(pid, SIGINT);
  wait_for_exit(pid);
  INFO(read_file(log));
  REQUIRE(done);
}

// Un-deletes item 5 and catches up.
void revive(MigrationFixture& f, const std::string& name) {
  f.source.exec("UPDATE items SET deleted = false, name = 'back' WHERE id = 5");
  CommandResult caught_up = f.run("sync --name " + name + " --no-progress --until-caught-up items.yaml");
  INFO(caught_up.out);
  REQUIRE(caught_up.exit_code == 0);
  CHECK(f.target.scalar("SELECT name FROM items WHERE legacy_id = 5") == "back");
}

// Validate is clean and names the rows kept (`retired_line`); so does the report.
void expect_valid(MigrationFixture& f, const std::string& retired_line,
                  const std::string& report_line = "") {
  CommandResult validated = f.run("validate items.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
  if (!retired_line.empty()) CHECK(validated.out.find(retired_line) != std::string::npos);
  CommandResult report = f.run("report items.yaml");
  INFO(report.out);
  if (!report_line.empty()) CHECK(report.out.find(report_line) != std::string::npos);
}

struct Drop {
  const MigrationFixture& f;
  std::string name;
  ~Drop() { f.run("sync --drop --name " + name + " items.yaml"); }
};

}  // namespace

TEST_CASE("on_delete delete (the default): rows deleted or filtered out leave the target",
          "[follow][sync][on_delete]") {
  MigrationFixture f;
  make_items(f, "");
  Drop drop{f, "del_default"};
  follow_deletions(f, "del_default", [&] {
    return f.target.scalar("SELECT count(*) FROM items WHERE legacy_id IN (3, 5)") == "0";
  });
  CHECK(f.target.scalar("SELECT count(*) FROM items") == "18");
  expect_valid(f, "");
  revive(f, "del_default");
  expect_valid(f, "");
}

TEST_CASE("on_delete keep: the target row stays, recorded as retired, validate clean and "
          "says so",
          "[follow][sync][on_delete]") {
  MigrationFixture f;
  make_items(f, "keep");
  Drop drop{f, "del_keep"};
  follow_deletions(f, "del_keep", [&] {
    return f.target.scalar("SELECT count(*) FROM mapengine.retired WHERE mapping = 'items'") ==
           "2";
  });
  CHECK(f.target.scalar("SELECT count(*) FROM items") == "20");
  CHECK(f.target.scalar("SELECT string_agg(legacy_key, ',' ORDER BY legacy_key) FROM "
                        "mapengine.retired") == "3,5");
  expect_valid(f, "2 row(s) deleted in the source kept (on_delete: keep)",
               "- retired: 2 row(s) deleted in the source kept by following");
  // A retired row the source returns again is live again.
  revive(f, "del_keep");
  CHECK(f.target.scalar("SELECT string_agg(legacy_key, ',') FROM mapengine.retired") == "3");
  expect_valid(f, "1 row(s) deleted in the source kept (on_delete: keep)");
}

TEST_CASE("on_delete mark: a timestamp column is set to the time of the deletion, cleared when "
          "the row comes back",
          "[follow][sync][on_delete]") {
  MigrationFixture f;
  make_items(f, "{ mark: deleted_at }");
  Drop drop{f, "del_mark_time"};
  follow_deletions(f, "del_mark_time", [&] {
    return f.target.scalar("SELECT count(*) FROM items WHERE deleted_at IS NOT NULL") == "2";
  });
  CHECK(f.target.scalar("SELECT string_agg(legacy_id::text, ',' ORDER BY legacy_id) FROM items "
                        "WHERE deleted_at IS NOT NULL") == "3,5");
  CHECK(f.target.scalar("SELECT bool_and(deleted_at > now() - interval '5 minutes') FROM items "
                        "WHERE deleted_at IS NOT NULL") == "t");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.retired") == "2");
  expect_valid(f, "2 row(s) deleted in the source kept (on_delete: mark deleted_at)",
               "- retired: 2 row(s) deleted in the source kept by following");
  revive(f, "del_mark_time");
  CHECK(f.target.scalar("SELECT string_agg(legacy_id::text, ',') FROM items WHERE deleted_at "
                        "IS NOT NULL") == "3");
  expect_valid(f, "1 row(s) deleted in the source kept (on_delete: mark deleted_at)");
}

TEST_CASE("on_delete mark: a boolean column is set true", "[follow][sync][on_delete]") {
  MigrationFixture f;
  make_items(f, "{ mark: retired }");
  Drop drop{f, "del_mark_bool"};
  follow_deletions(f, "del_mark_bool", [&] {
    return f.target.scalar("SELECT count(*) FROM items WHERE retired") == "2";
  });
  CHECK(f.target.scalar("SELECT string_agg(legacy_id::text, ',' ORDER BY legacy_id) FROM items "
                        "WHERE retired") == "3,5");
  expect_valid(f, "2 row(s) deleted in the source kept (on_delete: mark retired)");
  revive(f, "del_mark_bool");
  CHECK(f.target.scalar("SELECT string_agg(legacy_id::text, ',') FROM items WHERE retired") ==
        "3");
  expect_valid(f, "1 row(s) deleted in the source kept (on_delete: mark retired)");
}

TEST_CASE("on_delete mark of a column the target table lacks or cannot mark is refused before "
          "following starts",
          "[follow][sync][on_delete]") {
  MigrationFixture f;
  make_items(f, "{ mark: name }");
  CommandResult r = f.run("sync --name del_mark_bad --no-progress items.yaml");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("items.yaml:6:") != std::string::npos);
  CHECK(r.out.find("on_delete") != std::string::npos);
  CHECK(f.source.scalar(
      "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'mapengine_del_mark_bad'") ==
        "0");
}
