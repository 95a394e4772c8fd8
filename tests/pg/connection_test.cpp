#include <catch2/catch.hpp>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "tests/support/test_database.h"

using mapengine::Error;
using mapengine::ErrorKind;
using mapengine::pg::Connection;
using mapengine::testing::TestDatabase;

TEST_CASE("a fresh test database accepts statements and parameters", "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int PRIMARY KEY, name text)");
  conn.exec("INSERT INTO t VALUES ($1, $2)", {std::string("1"), std::nullopt});
  auto result = conn.exec("SELECT id, name FROM t");
  REQUIRE(result.rows() == 1);
  CHECK(result.value(0, 0) == "1");
  CHECK(result.is_null(0, 1));
}

TEST_CASE("COPY in and out round-trip rows in text format", "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int, name text)");
  conn.copy_in_begin("COPY t FROM STDIN");
  conn.copy_in_send("1\tal\\tpha\n2\t\\N\n");
  CHECK(conn.copy_in_end() == 2);
  std::string out;
  long rows = conn.copy_out("COPY (SELECT * FROM t ORDER BY id) TO STDOUT", [&](std::string_view d) {
    out += d;
    return true;
  });
  CHECK(rows == 2);
  CHECK(out == "1\tal\\tpha\n2\t\\N\n");
}

TEST_CASE("a COPY error names the failing line in the server context", "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int NOT NULL)");
  conn.copy_in_begin("COPY t FROM STDIN");
  conn.copy_in_send("1\n\\N\n3\n");
  try {
    conn.copy_in_end();
    FAIL("COPY should have failed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kDatabase);
    CHECK(e.sqlstate() == "23502");
    CHECK(e.server_context().find("line 2") != std::string::npos);
  }
}

TEST_CASE("a connection failure hides the password", "[pg]") {
  try {
    Connection conn("host=127.0.0.1 port=1 user=x password=hunter2secret dbname=x", "source");
    FAIL("connect should fail");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConnection);
    CHECK(std::string(e.what()).find("hunter2secret") == std::string::npos);
    CHECK(std::string(e.what()).find("source") != std::string::npos);
  }
}

TEST_CASE("exec_each runs several statements in one round trip and returns every result",
          "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int PRIMARY KEY)");
  std::vector<mapengine::pg::Result> results = conn.exec_each(
      "BEGIN; INSERT INTO t VALUES (1), (2); SELECT id FROM t ORDER BY id; SAVEPOINT s");
  REQUIRE(results.size() == 4);
  CHECK(results[1].affected() == 2);
  REQUIRE(results[2].rows() == 2);
  CHECK(results[2].value(1, 0) == "2");
  CHECK(conn.in_transaction());
  conn.exec("COMMIT");
  CHECK(db.scalar("SELECT count(*) FROM t") == "2");
}

TEST_CASE("exec_each stops at the failing statement and throws its error", "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int PRIMARY KEY)");
  try {
    conn.exec_each("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (1); INSERT INTO t "
                   "VALUES (3)");
    FAIL("a duplicate key was accepted");
  } catch (const Error& e) {
    CHECK(e.sqlstate() == "23505");
  }
  // The statements after the failure did not run, and the connection is usable again.
  CHECK(conn.is_ok());
  conn.exec("ROLLBACK");
  CHECK(db.scalar("SELECT count(*) FROM t") == "0");
  CHECK(conn.exec("SELECT 1").value(0, 0) == "1");
}

TEST_CASE("exec_each refuses a COPY and leaves the connection usable", "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int)");
  CHECK_THROWS_AS(conn.exec_each("COPY t FROM STDIN"), Error);
  CHECK(conn.exec_each("SELECT 1; SELECT 2").size() == 2);
  CHECK_THROWS_AS(conn.exec_each("COPY (SELECT 1) TO STDOUT"), Error);
  CHECK(conn.exec("SELECT 3").value(0, 0) == "3");
}

TEST_CASE("abandon_transaction rolls back what is open and never throws", "[pg]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int)");
  // An open transaction, and an aborted one: both are rolled back.
  conn.exec("BEGIN; INSERT INTO t VALUES (1)");
  conn.abandon_transaction();
  CHECK_FALSE(conn.in_transaction());
  conn.exec("BEGIN; INSERT INTO t VALUES (2)");
  CHECK_THROWS_AS(conn.exec("SELECT 1 / 0"), Error);
  conn.abandon_transaction();
  CHECK_FALSE(conn.in_transaction());
  CHECK(conn.exec("SELECT count(*) FROM t").value(0, 0) == "0");
  // Outside a transaction it does nothing.
  conn.abandon_transaction();
  // On a connection the server ended, it does not throw either.
  conn.exec("BEGIN");
  Connection admin(db.url(), "target");
  admin.exec("SELECT pg_terminate_backend($1)", {std::to_string(conn.backend_pid())});
  CHECK_THROWS_AS(conn.exec("SELECT 1"), Error);
  CHECK_NOTHROW(conn.abandon_transaction());
}

TEST_CASE("begin and commit nest as savepoints inside a held transaction that is rolled back",
          "[pg][rehearsal]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.hold_transaction();
  CHECK(conn.held());
  // commit() checks deferred constraints, as COMMIT would: the refusal comes from commit().
  conn.exec("CREATE TABLE d (id int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
  conn.begin();
  conn.exec("INSERT INTO d VALUES (1), (1)");
  try {
    conn.commit();
    FAIL("a deferred violation was released");
  } catch (const Error& e) {
    CHECK(e.sqlstate() == "23505");
  }
  conn.abandon_transaction();
  CHECK(conn.nesting() == 0);
  CHECK(conn.exec("SELECT count(*) FROM d").value(0, 0) == "0");
  conn.exec("CREATE TABLE t (id int PRIMARY KEY)");
  conn.begin("SET LOCAL lock_timeout = '5s'");
  conn.exec("INSERT INTO t VALUES (1)");
  conn.commit();  // a savepoint released: the row stays in the held transaction
  CHECK(conn.nesting() == 0);
  conn.begin();
  CHECK_THROWS(conn.exec("INSERT INTO t VALUES (1)"));
  conn.abandon_transaction();  // back to the savepoint: the held transaction goes on
  CHECK(conn.exec("SELECT count(*) FROM t").value(0, 0) == "1");
  // A failing statement under exec_isolated() leaves the transaction usable.
  CHECK_THROWS(conn.exec_isolated("SELECT 1 / 0", {}));
  CHECK(conn.exec("SELECT count(*) FROM t").value(0, 0) == "1");

  // Statements that would end the transaction are refused before they are sent ...
  for (const char* sql : {"COMMIT", " commit;", "END", "BEGIN", "ROLLBACK", "abort",
                          "PREPARE TRANSACTION 'x'"}) {
    INFO(sql);
    try {
      conn.exec(sql);
      FAIL("not refused");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kInternal);
    }
  }
  conn.end_held_transaction();
  Connection other(db.url(), "target");
  CHECK(other.exec("SELECT to_regclass('t') IS NULL").value(0, 0) == "t");
}

TEST_CASE("outside a held transaction begin and commit are BEGIN and COMMIT", "[pg][rehearsal]") {
  TestDatabase db;
  Connection conn(db.url(), "target");
  conn.exec("CREATE TABLE t (id int PRIMARY KEY)");
  conn.begin("SET LOCAL statement_timeout = '1min'");
  CHECK(conn.in_transaction());
  conn.exec("INSERT INTO t VALUES (1)");
  conn.commit();
  CHECK_FALSE(conn.in_transaction());
  // A failing `then` leaves nothing open.
  CHECK_THROWS(conn.begin("SELECT 1 / 0"));
  CHECK_FALSE(conn.in_transaction());
  Connection other(db.url(), "target");
  CHECK(other.exec("SELECT count(*) FROM t").value(0, 0) == "1");
}
