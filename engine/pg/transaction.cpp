#include "engine/pg/transaction.h"

namespace mapengine::pg {

Transaction::Transaction(Connection& connection, std::string_view then)
    : connection_(connection), level_(connection.nesting()) {
  connection_.begin(then);
}

Transaction::~Transaction() {
  if (!open_) return;
  if (!connection_.held()) {
    connection_.abandon_transaction();
    return;
  }
  while (connection_.nesting() > level_) connection_.abandon_transaction();
}

void Transaction::commit() {
  connection_.commit();
  open_ = false;
}

}  // namespace mapengine::pg
