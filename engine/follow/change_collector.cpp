#include "engine/follow/change_collector.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/common/error.h"

namespace mapengine::follow {
namespace {

std::string table_name(const Relation& relation) {
  return fmt::format("{}.{}", relation.schema, relation.name);
}

}  // namespace

size_t TransactionChanges::key_count() const {
  size_t count = 0;
  for (const auto& [mapping, set] : keys) count += set.size();
  for (const auto& [mapping, by_also] : joined) {
    for (const auto& [also, values] : by_also) count += values.size();
  }
  return count;
}

void merge(TransactionChanges& into, TransactionChanges&& later) {
  for (auto& [mapping, set] : later.keys) into.keys[mapping].merge(set);
  for (auto& [mapping, by_also] : later.joined) {
    for (auto& [also, values] : by_also) into.joined[mapping][also].merge(values);
  }
  into.end_lsn = std::max(into.end_lsn, later.end_lsn);
  into.commit_time = later.commit_time;
  into.changes += later.changes;
  into.transactions += later.transactions;
}

ChangeCollector::ChangeCollector(std::vector<FollowedTable> tables) : tables_(std::move(tables)) {}

void ChangeCollector::on_relation(const Relation& relation) {
  relations_[relation.id] = relation;
  watched_.erase(relation.id);
  auto table = std::find_if(tables_.begin(), tables_.end(), [&](const FollowedTable& t) {
    return t.schema == relation.schema && t.name == relation.name;
  });
  if (table == tables_.end()) return;
  Watched watched{&*table, {}, {}};
  auto position = [&](const std::string& column, const char* what) {
    auto found = std::find_if(relation.columns.begin(), relation.columns.end(),
                              [&](const RelationColumn& c) { return c.name == column; });
    if (found == relation.columns.end()) {
      throw Error(ErrorKind::kConflict,
                  fmt::format("source table {} no longer has the {} {} that following "
                              "reads: its definition changed while being followed",
                              table_name(relation), what, column));
    }
    return static_cast<int>(found - relation.columns.begin());
  };
  for (const std::string& column : table->key_columns) {
    watched.key_positions.push_back(position(column, "key column"));
  }
  for (const JoinTrigger& trigger : table->joined) {
    std::vector<int> positions;
    for (const std::string& column : trigger.columns) positions.push_back(position(column, "join column"));
    watched.joined_positions.push_back(std::move(positions));
  }
  watched_[relation.id] = std::move(watched);
}

void ChangeCollector::add_key(std::uint32_t relation, const Tuple& row, const char* change) {
  auto watched = watched_.find(relation);
  if (watched == watched_.end()) return;
  ++current_.changes;
  const std::vector<JoinTrigger>& triggers = watched->second.table->joined;
  for (size_t t = 0; t < triggers.size(); ++t) {
    Key values;
    for (int position : watched->second.joined_positions[t]) {
      const Cell& cell = position < static_cast<int>(row.size()) ? row[position] : Cell{};
      if (cell.kind == CellKind::kNull) break;  // a NULL joins no row
      if (cell.kind != CellKind::kText) {
        const Relation& r = relations_.at(relation);
        throw Error(ErrorKind::kConflict,
                    fmt::format("source table {}: {} arrived without the column {} that "
                                "follow.also of {} joins on (replica identity '{}'); run ALTER "
                                "TABLE {} REPLICA IDENTITY FULL",
                                table_name(r), change, r.columns[position].name,
                                triggers[t].mapping, r.replica_identity, table_name(r)));
      }
      values.push_back(cell.text);
    }
    if (values.size() == triggers[t].columns.size()) {
      current_.joined[triggers[t].mapping][triggers[t].also].insert(std::move(values));
    }
  }
  if (watched->second.table->mappings.empty()) return;
  Key key;
  for (int position : watched->second.key_positions) {
    const Cell& cell = position < static_cast<int>(row.size()) ? row[position] : Cell{};
    if (cell.kind != CellKind::kText) {
      const Relation& r = relations_.at(relation);
      throw Error(ErrorKind::kConflict,
                  fmt::format("source table {}: {} arrived without its key column {} (replica "
                              "identity '{}'); make the key the table's primary key or run "
                              "ALTER TABLE {} REPLICA IDENTITY FULL",
                              table_name(r), change, r.columns[position].name,
                              r.replica_identity, table_name(r)));
    }
    key.push_back(cell.text);
  }
  for (const std::string& mapping : watched->second.table->mappings) {
    current_.keys[mapping].insert(key);
  }
}

std::optional<TransactionChanges> ChangeCollector::feed(const Message& message) {
  if (const auto* begin = std::get_if<Begin>(&message)) {
    current_ = TransactionChanges{};
    current_.commit_time = begin->commit_time;
    return std::nullopt;
  }
  if (const auto* relation = std::get_if<Relation>(&message)) {
    on_relation(*relation);
    return std::nullopt;
  }
  if (const auto* insert = std::get_if<Insert>(&message)) {
    add_key(insert->relation, insert->row, "an INSERT");
    return std::nullopt;
  }
  if (const auto* update = std::get_if<Update>(&message)) {
    // A key that changed leaves the old key's row behind: both are re-evaluated.
    if (update->old_row) add_key(update->relation, *update->old_row, "an UPDATE's old row");
    add_key(update->relation, update->row, "an UPDATE");
    return std::nullopt;
  }
  if (const auto* erase = std::get_if<Delete>(&message)) {
    add_key(erase->relation, erase->old_row, "a DELETE");
    return std::nullopt;
  }
  if (const auto* truncate = std::get_if<Truncate>(&message)) {
    for (std::uint32_t relation : truncate->relations) {
      if (watched_.count(relation) == 0) continue;
      throw Error(ErrorKind::kConflict,
                  fmt::format("source table {} was truncated: following maps row changes only; "
                              "re-load its mappings with `mapengine apply --restart`",
                              table_name(relations_.at(relation))));
    }
    return std::nullopt;
  }
  if (const auto* commit = std::get_if<Commit>(&message)) {
    current_.end_lsn = commit->end_lsn;
    current_.commit_time = commit->commit_time;
    TransactionChanges done = std::move(current_);
    current_ = TransactionChanges{};
    return done;
  }
  return std::nullopt;
}

}  // namespace mapengine::follow
