#include "engine/lookup/lookup_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/source/copy_text_decoder.h"

namespace mapengine {

std::string LookupTarget::select_sql() const {
  if (table.name.empty()) {
    // The mapping name is a spec value: quoted as a SQL string literal by doubling quotes.
    std::string literal = "'";
    for (char c : mapping) {
      if (c == '\'') literal += '\'';
      literal += c;
    }
    literal += "'";
    return fmt::format(
        "SELECT legacy_key, new_id FROM mapengine.id_maps WHERE mapping = {}", literal);
  }
  std::string m = pg::quote_identifier(match);
  return fmt::format("SELECT {}::text, {}::text FROM {} WHERE {} IS NOT NULL", m,
                     pg::quote_identifier(returns), table.quoted(), m);
}

std::string LookupTarget::describe() const {
  if (table.name.empty()) return fmt::format("id map of mapping {}", mapping);
  return fmt::format("{}.{} -> {}", table.display(), match, returns);
}

LookupTarget resolve_lookup(const spec::LookupSpec& lookup, const spec::MappingSpec& owner,
                            const spec::Project& project) {
  LookupTarget target;
  if (!lookup.mapping.empty()) {
    const spec::MappingSpec* producer = project.find_mapping(lookup.mapping);
    if (producer == nullptr) {
      throw Error::spec(lookup.where, fmt::format("lookup into unknown mapping {}", lookup.mapping));
    }
    if (producer->is_association()) {
      throw Error::spec(lookup.where,
                        fmt::format("lookup through the id map of {}, an association table: it "
                                    "holds each row's key text, not an id; look it up by "
                                    "`table:` with `return:`",
                                    lookup.mapping));
    }
    target.mapping = producer->name;
    target.self = producer->name == owner.name;
    if (!producer->legacy_key_columns.empty()) {  // its id map is its legacy column
      target.table = producer->table;
      target.match = producer->legacy_key_columns.front();
      target.returns = producer->single_id_column();
    }
    return target;
  }
  std::vector<std::string> legacy;
  std::string id_column = "id";
  const spec::MappingSpec* producer = nullptr;
  if (lookup.table == owner.name || pg::names_table(lookup.table, owner.table)) {
    producer = &owner;
  } else {
    producer = project.find_mapping(lookup.table);
  }
  if (producer != nullptr) {
    target.table = producer->table;
    target.mapping = producer->name;
    target.self = producer == &owner || producer->name == owner.name;
    legacy = producer->legacy_key_columns;
    id_column = producer->single_id_column();
  } else if (const spec::MigratedTable* migrated = project.find_migrated(lookup.table)) {
    target.table = migrated->table;
    legacy = migrated->legacy_key_columns;
    id_column = migrated->id_column;
  } else {
    target.table = pg::parse_qualified_name(lookup.table);
  }
  target.match = !lookup.match.empty() ? lookup.match : (legacy.size() == 1 ? legacy[0] : "");
  target.returns = !lookup.returns.empty() ? lookup.returns : id_column;
  if (target.returns.empty()) {
    throw Error::spec(lookup.where,
                      fmt::format("lookup into {} needs `return`: it is an association table "
                                  "whose identity is several columns",
                                  lookup.table));
  }
  if (target.match.empty()) {
    if (producer != nullptr && legacy.empty()) {
      // A producer without a legacy column keeps its ids in the engine's id map.
      target.table = {};
      return target;
    }
    throw Error::spec(lookup.where,
                      fmt::format("lookup into {} needs `match`: the column holding the legacy "
                                  "value (the table declares no single legacy_key)",
                                  lookup.table));
  }
  return target;
}

void LookupTable::insert(std::string_view legacy, std::string_view id) {
  int64_t key = 0;
  bool integer = integer_keys_ && parse_canonical_int(legacy, key);
  if (integer) {
    min_key_ = size_ == 0 ? key : std::min(min_key_, key);
    max_key_ = size_ == 0 ? key : std::max(max_key_, key);
  }
  integer_keys_ = integer;
  if (dense_) {
    if (integer && insert_dense(key, legacy, id)) return;
    make_hashed();
  }
  insert_hashed(legacy, id);
}

bool LookupTable::insert_dense(int64_t key, std::string_view legacy, std::string_view id) {
  if (index_.empty()) {
    base_ = key;
    index_.resize(1);
  }
  uint64_t slot = static_cast<uint64_t>(key) - static_cast<uint64_t>(base_);
  if (key >= base_ && slot < index_.size()) {
    if (!index_[slot].empty()) {
      ++duplicates_;
      return true;
    }
  } else {
    // A new key outside the index (min_key_ and max_key_ already include it).
    uint64_t span = static_cast<uint64_t>(max_key_) - static_cast<uint64_t>(min_key_) + 1;
    uint64_t slots = dense_slots(size_ + 1);
    if (span > slots || span == 0) return false;  // 0: the whole int64 range wrapped around
    if (key > base_) {
      index_.resize(slot + 1);  // the vector grows geometrically
    } else {
      // Extending downwards shifts the index: leave room below, as much again as the index
      // (within the bound), so that keys arriving in descending order cost amortised O(1).
      uint64_t needed = static_cast<uint64_t>(base_) - static_cast<uint64_t>(key);
      uint64_t room = std::min<uint64_t>(index_.size(), slots - span);
      room = std::min(room, static_cast<uint64_t>(key) - static_cast<uint64_t>(INT64_MIN));
      std::vector<PairArena::Pair> grown(needed + room + index_.size());
      std::copy(index_.begin(), index_.end(),
                grown.begin() + static_cast<ptrdiff_t>(needed + room));
      index_.swap(grown);
      base_ = static_cast<int64_t>(static_cast<uint64_t>(key) - room);
      slot = room;
    }
  }
  index_[slot] = pairs_.add(legacy, id);
  ++size_;
  return true;
}

void LookupTable::insert_hashed(std::string_view legacy, std::string_view id) {
  size_t before = hashed_.size();
  hashed_.lazy_emplace(legacy, [&](const auto& construct) { construct(pairs_.add(legacy, id)); });
  if (hashed_.size() == before) {
    ++duplicates_;
  } else {
    ++size_;
  }
}

void LookupTable::make_hashed() {
  hashed_.reserve(size_);
  for (PairArena::Pair pair : index_) {
    if (!pair.empty()) hashed_.insert(pair);
  }
  std::vector<PairArena::Pair>().swap(index_);
  dense_ = false;
}

void LookupTable::freeze() {
  if (size_ == 0) return;
  uint64_t span = static_cast<uint64_t>(max_key_) - static_cast<uint64_t>(min_key_) + 1;
  if (dense_) {
    // Room left below the keys for descending inserts is no longer needed.
    if (base_ != min_key_) {
      uint64_t first = static_cast<uint64_t>(min_key_) - static_cast<uint64_t>(base_);
      std::vector<PairArena::Pair> index(index_.begin() + static_cast<ptrdiff_t>(first),
                                         index_.begin() + static_cast<ptrdiff_t>(first + span));
      index_.swap(index);
      base_ = min_key_;
    }
    return;
  }
  if (!integer_keys_ || span == 0 || span > dense_slots(size_)) return;
  std::vector<PairArena::Pair> index(span);
  for (PairArena::Pair pair : hashed_) {
    int64_t key = 0;
    parse_canonical_int(pair.key(), key);  // every key is one (integer_keys_)
    index[static_cast<uint64_t>(key) - static_cast<uint64_t>(min_key_)] = pair;
  }
  index_.swap(index);
  base_ = min_key_;
  decltype(hashed_)().swap(hashed_);  // clear() would keep the slots
  dense_ = true;
}

void LookupTable::clear() {
  pairs_.clear();
  dense_ = true;
  base_ = 0;
  index_.clear();
  hashed_.clear();
  size_ = 0;
  duplicates_ = 0;
  integer_keys_ = true;
  min_key_ = 0;
  max_key_ = 0;
}

LookupTable LookupTable::load(pg::Connection& target, const LookupTarget& where) {
  LookupTable table;
  std::vector<Value> fields;
  target.copy_out(fmt::format("COPY ({}) TO STDOUT", where.select_sql()),
                  [&](std::string_view row) {
                    if (!CopyTextDecoder::decode_row(row, fields) || fields.size() != 2 ||
                        fields[0].is_null() || fields[1].is_null()) {
                      return true;
                    }
                    table.insert(fields[0].text(), fields[1].text());
                    return true;
                  });
  table.freeze();
  return table;
}

}  // namespace mapengine
