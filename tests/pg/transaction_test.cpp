#include <catch2/catch.hpp>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "engine/pg/transaction.h"
#include "tests/support/test_database.h"

using mapengine::Error;
using mapengine::pg::Connection;
using mapengine::pg::Transaction;
using mapengine::testing::TestDatabase;

namespace {

std::string count(Connection& c) { return std::string(c.exec("SELECT count(*) FROM t").value(0, 0)); }

}  // namespace

TEST_CASE("a Transaction commits only when told, and rolls back on the way out", "[pg]") {
  TestDatabase db;
  Connection c(db.url(), "target");
  c.exec("CREATE TABLE t (id int PRIMARY KEY)");
  {
    Transaction tx(c, "SET LOCAL lock_timeout = '1s'");
    c.exec("INSERT INTO t VALUES (1)");
    tx.commit();
  }
  CHECK(count(c) == "1");
  CHECK_FALSE(c.in_transaction());
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (2)");
  }  // no commit: rolled back
  CHECK(count(c) == "1");
  CHECK_FALSE(c.in_transaction());
  try {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (3)");
    c.exec("INSERT INTO t VALUES (1)");  // refused: the whole transaction goes
    tx.commit();
    FAIL("the duplicate key was accepted");
  } catch (const Error&) {
  }
  CHECK(count(c) == "1");
  CHECK_FALSE(c.in_transaction());
}

TEST_CASE("inside a held transaction a Transaction is a savepoint, and leaves no savepoint open",
          "[pg]") {
  TestDatabase db;
  Connection c(db.url(), "target");
  c.exec("CREATE TABLE t (id int PRIMARY KEY)");
  c.hold_transaction();
  {
    Transaction outer(c);
    c.exec("INSERT INTO t VALUES (1)");
    c.begin();  // an inner level its owner left open (an exception passed it by)
    c.exec("INSERT INTO t VALUES (2)");
  }
  CHECK(c.nesting() == 0);
  CHECK(count(c) == "0");
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (3)");
    tx.commit();
  }
  CHECK(count(c) == "1");  // released into the held transaction
  c.end_held_transaction();
  CHECK(count(c) == "0");
}
