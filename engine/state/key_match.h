// KeyMatch: how the rows of a target table are found by their canonical legacy key texts
// (state/legacy_key.h) in one statement, with `$1` the text[] of keys.
//
// The canonical text of a row (`t.legacy_id::text`) is what the state tables hold, but a
// comparison on it is answered by no index: each lookup reads the whole table. When the legacy
// key is one column of an integer or text type, the keys are compared in the column's own type
// (`t.legacy_id = ANY($1::bigint[])`), which its unique index answers. Only texts that are the
// canonical text of some value of that type are passed (`usable`): "042" or "9999999999" for an
// integer column equal no row's text and could not be cast, so they are left out, as the text
// comparison would never have matched them either. Other key shapes keep the text comparison.
//
// Thread-safety: a plain value.
#pragma once

#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/quote.h"

namespace mapengine::state {

class KeyMatch {
 public:
  // Reads the key columns' types from the target's catalog.
  static KeyMatch of(pg::Connection& target, const pg::QualifiedName& table,
                     const std::vector<std::string>& key_columns);

  // A condition on the table's row `t`, with $1 a text[] of usable() keys.
  const std::string& predicate() const { return predicate_; }
  // The keys that can match a row (in order; the others are left out).
  std::vector<std::string> usable(const std::vector<std::string>& keys) const;

 private:
  enum class Kind { kText, kInteger, kAnyText };
  static KeyMatch for_type(const std::string& quoted_column, const std::string& type,
                           const std::vector<std::string>& quoted_columns);
  friend struct KeyMatchTesting;

  std::string predicate_;
  Kind kind_ = Kind::kAnyText;
  long long min_ = 0, max_ = 0;  // kInteger: the type's range
};

// For tests of the type rules without a server.
struct KeyMatchTesting {
  static KeyMatch for_type(const std::string& quoted_column, const std::string& type) {
    return KeyMatch::for_type(quoted_column, type, {quoted_column});
  }
};

}  // namespace mapengine::state
