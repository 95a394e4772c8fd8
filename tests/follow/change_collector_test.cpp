#include <catch2/catch.hpp>

#include "engine/common/error.h"
#include "engine/follow/change_collector.h"

using namespace mapengine;
using namespace mapengine::follow;

namespace {

Relation orders_relation(char identity = 'd') {
  Relation relation;
  relation.id = 100;
  relation.schema = "public";
  relation.name = "orders";
  relation.replica_identity = identity;
  relation.columns = {{"note", 25, -1, false}, {"id", 23, -1, true}};
  return relation;
}

Cell text(std::string value) { return Cell{CellKind::kText, std::move(value)}; }
Cell null() { return Cell{}; }

}  // namespace

TEST_CASE("a transaction's changes become the keys each followed mapping re-evaluates",
          "[follow]") {
  ChangeCollector collector({{"public", "orders", {"id"}, {"orders", "order_notes"}}});
  Relation other = orders_relation();
  other.id = 200;
  other.name = "unrelated";

  CHECK_FALSE(collector.feed(Begin{pg::Lsn{10}, 5, 1}));
  CHECK_FALSE(collector.feed(orders_relation()));
  CHECK_FALSE(collector.feed(other));
  collector.feed(Insert{100, {text("a"), text("1")}});
  collector.feed(Insert{200, {text("b"), text("99")}});             // not followed
  collector.feed(Update{100, std::nullopt, {text("c"), text("2")}});
  collector.feed(Update{100, Tuple{null(), text("3")}, {text("d"), text("4")}});  // key 3 -> 4
  collector.feed(Delete{100, {null(), text("5")}});
  collector.feed(Insert{100, {text("again"), text("1")}});          // same key twice: once
  auto done = collector.feed(Commit{pg::Lsn{10}, pg::Lsn{20}, 6});
  REQUIRE(done);
  CHECK(done->end_lsn.value == 20);
  CHECK(done->changes == 6);
  std::set<Key> expected{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}};
  CHECK(done->keys.at("orders") == expected);
  CHECK(done->keys.at("order_notes") == expected);

  // The next transaction starts empty; one that touches nothing followed still reports its end.
  collector.feed(Begin{pg::Lsn{30}, 7, 2});
  collector.feed(Insert{200, {text("x"), text("1")}});
  auto quiet = collector.feed(Commit{pg::Lsn{30}, pg::Lsn{40}, 8});
  REQUIRE(quiet);
  CHECK(quiet->keys.empty());
  CHECK(quiet->end_lsn.value == 40);
}

TEST_CASE("following refuses what it cannot map, saying what to do", "[follow]") {
  ChangeCollector collector({{"public", "orders", {"id"}, {"orders"}}});
  Relation relation = orders_relation('n');
  collector.feed(Begin{});
  collector.feed(relation);
  REQUIRE_THROWS_WITH(collector.feed(Delete{100, {null(), null()}}),
                      Catch::Contains("public.orders") && Catch::Contains("REPLICA IDENTITY FULL"));
  REQUIRE_THROWS_WITH(collector.feed(Truncate{{100}, false, false}),
                      Catch::Contains("was truncated") && Catch::Contains("--restart"));
  Relation renamed = orders_relation();
  renamed.columns[1].name = "order_id";
  REQUIRE_THROWS_WITH(collector.feed(renamed), Catch::Contains("no longer has the key column id"));
}

TEST_CASE("a joined table's changed rows give the join values of the mappings that declare it",
          "[follow][also]") {
  // customers is joined by the mapping `orders` (follow.also[0]: orders.customer_id = id) and
  // drives none.
  FollowedTable customers{"public", "customers", {}, {}};
  customers.joined.push_back({"orders", 0, {"id"}});
  ChangeCollector collector({customers});
  Relation relation;
  relation.id = 300;
  relation.schema = "public";
  relation.name = "customers";
  relation.replica_identity = 'd';
  relation.columns = {{"id", 23, -1, true}, {"name", 25, -1, false}};

  collector.feed(Begin{pg::Lsn{10}, 5, 1});
  collector.feed(relation);
  collector.feed(Update{300, std::nullopt, {text("7"), text("renamed")}});
  collector.feed(Update{300, Tuple{text("8"), null()}, {text("9"), text("moved")}});  // id 8 -> 9
  collector.feed(Delete{300, {text("11"), null()}});
  collector.feed(Insert{300, {null(), text("no id")}});  // a NULL joins nothing
  auto changes = collector.feed(Commit{pg::Lsn{20}, pg::Lsn{30}, 6});
  REQUIRE(changes);
  CHECK(changes->keys.empty());
  REQUIRE(changes->joined.count("orders") == 1);
  CHECK(changes->joined["orders"][0] == std::set<Key>{{"7"}, {"8"}, {"9"}, {"11"}});
  CHECK(changes->changes == 5);
}

TEST_CASE("merged transactions keep the union of their keys and the last one's end", "[follow]") {
  TransactionChanges first;
  first.end_lsn = pg::Lsn{20};
  first.commit_time = 5;
  first.keys["orders"] = {{"1"}, {"2"}};
  first.changes = 2;
  TransactionChanges second;
  second.end_lsn = pg::Lsn{40};
  second.commit_time = 7;
  second.keys["orders"] = {{"2"}, {"3"}};
  second.keys["customers"] = {{"9"}};
  second.joined["orders"][0] = {{"9"}};
  second.changes = 4;
  merge(first, std::move(second));
  CHECK(first.end_lsn.value == 40);
  CHECK(first.commit_time == 7);
  CHECK(first.keys["orders"] == std::set<Key>{{"1"}, {"2"}, {"3"}});
  CHECK(first.keys["customers"] == std::set<Key>{{"9"}});
  CHECK(first.joined["orders"][0] == std::set<Key>{{"9"}});
  CHECK(first.changes == 6);
  CHECK(first.transactions == 2);
  CHECK(first.key_count() == 5);
}
