// ChangeCollector: turns a slot's decoded messages into, per committed source transaction, the
// legacy keys each followed mapping must re-evaluate.
//
// Following re-reads the mapping's own source query for the changed keys rather than applying
// the change's values: the query's filters, joins and the transforms then decide what the target
// holds, exactly as apply would, and replaying a change twice reads the same current rows (what
// makes a resume from the last confirmed position safe).
//
// Thread-safety: one thread feeds it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/follow/pgoutput.h"
#include "engine/pg/lsn.h"

namespace mapengine::follow {

using Key = std::vector<std::string>;

// A mapping that reads a table it is not driven by (follow.also[also]): a changed row's values
// of `columns` (the table's own) say which of the mapping's keys to re-evaluate.
struct JoinTrigger {
  std::string mapping;
  size_t also = 0;
  std::vector<std::string> columns;
};

// A source table whose changes re-evaluate mappings: for the `mappings` it drives, rows are
// identified by `key_columns`, the table's own columns that the mappings' legacy keys are read
// from, in the mappings' key order (both empty for a table only joined); `joined`: the mappings
// that join it.
struct FollowedTable {
  std::string schema;
  std::string name;
  std::vector<std::string> key_columns;
  std::vector<std::string> mappings;
  std::vector<JoinTrigger> joined;
};

struct TransactionChanges {
  pg::Lsn end_lsn;  // acknowledge after the target committed these changes
  std::int64_t commit_time = 0;
  // Mapping name -> the legacy keys a row was inserted, updated or deleted under.
  std::map<std::string, std::set<Key>> keys;
  // Mapping name -> follow.also index -> the join columns' values of the joined table's rows
  // inserted, updated (old and new) or deleted; the mapping's keys joining them are found when
  // the transaction is applied.
  std::map<std::string, std::map<size_t, std::set<Key>>> joined;
  long long changes = 0;  // row changes seen in followed tables
  long long transactions = 1;  // source transactions merged into these changes

  bool touches_mappings() const { return !keys.empty() || !joined.empty(); }
  size_t key_count() const;
};

// Merges `later`, the next committed source transaction, into `into`: the union of their keys,
// confirmed at `later`'s end. Applying the merge is applying both in order: following re-reads
// the current rows of every changed key, so the result depends only on which keys changed.
void merge(TransactionChanges& into, TransactionChanges&& later);

class ChangeCollector {
 public:
  explicit ChangeCollector(std::vector<FollowedTable> tables);

  // Feeds one message. Returns the transaction's changes at its Commit (also when no followed
  // table changed: its position must still be confirmed). Throws Error(kConflict) for what
  // following cannot map: a TRUNCATE of a followed table, a row change whose key the server did
  // not send (REPLICA IDENTITY without the key columns).
  std::optional<TransactionChanges> feed(const Message& message);

 private:
  struct Watched {
    const FollowedTable* table = nullptr;
    std::vector<int> key_positions;  // in the relation's columns
    std::vector<std::vector<int>> joined_positions;  // per table->joined entry
  };

  void on_relation(const Relation& relation);
  // Adds the key of `row` (a new or old row of `relation`) to the transaction, and its join
  // values for the mappings that join the table.
  void add_key(std::uint32_t relation, const Tuple& row, const char* change);

  std::vector<FollowedTable> tables_;
  std::unordered_map<std::uint32_t, Relation> relations_;
  std::unordered_map<std::uint32_t, Watched> watched_;
  TransactionChanges current_;
};

}  // namespace mapengine::follow
