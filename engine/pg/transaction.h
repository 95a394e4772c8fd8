// Transaction: one transaction as a scope. Construction opens it (Connection::begin(): BEGIN,
// or inside a held transaction a savepoint), commit() ends it, and a Transaction destroyed
// without commit() (an exception on its way out, an early return) rolls it back. The destructor
// never throws: a broken connection has no transaction left to end, and the error being handled
// is the one to tell.
//
//   pg::Transaction tx(target, "SET LOCAL lock_timeout = '1min'");
//   target.exec(...);
//   tx.commit();
//
// A COMMIT that fails leaves the transaction to the destructor, which rolls back what remains.
// Inside a held transaction the destructor also rolls back the savepoints opened within this one
// and left open (by an exception that passed through their own scopes' owners).
//
// Thread-safety: as its Connection's (one thread at a time).
#pragma once

#include <string_view>

#include "engine/pg/connection.h"

namespace mapengine::pg {

class Transaction {
 public:
  // Opens the transaction and runs `then` in it (statements separated by ';', such as
  // SET TRANSACTION ... or SET LOCAL ...), in one round trip. Throws as Connection::begin().
  explicit Transaction(Connection& connection, std::string_view then = {});
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Commits (COMMIT, or RELEASE SAVEPOINT inside a held transaction). REQUIRES: not committed.
  void commit();

 private:
  Connection& connection_;
  int level_;  // the held transaction's nesting before this one
  bool open_ = true;
};

}  // namespace mapengine::pg
