// LookupTable: an in-memory map from a legacy value (text) to the new id (text), loaded once per
// run from the target with one COPY, and LookupTarget: where a lookup reads from, resolved from
// the mapping spec and the project (producer mappings and migrated tables supply defaults).
//
// Thread-safety: a loaded LookupTable is immutable and shared by all workers of a mapping.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

struct LookupTarget {
  pg::QualifiedName table;  // empty name: the engine's id map (mapengine.id_maps)
  std::string mapping;      // for id-map lookups: the mapping whose ids are read
  std::string match;        // column holding the legacy value
  std::string returns;      // column returned
  bool self = false;        // the lookup reads the mapping's own target table

  // SELECT producing (legacy text, new id text) pairs.
  std::string select_sql() const;
  std::string describe() const;  // "public.profiles.legacy_user_id -> id"
};

// Resolves `lookup` of `owner` against `project`. Throws Error(kSpec) located at the lookup
// when it cannot be resolved (lint reports the same problems earlier).
LookupTarget resolve_lookup(const spec::LookupSpec& lookup, const spec::MappingSpec& owner,
                            const spec::Project& project);

// Hash of text that allows lookups by string_view without allocating.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

class LookupTable {
 public:
  // Loads every pair from the target. Duplicate legacy values keep the first and are counted.
  static LookupTable load(pg::Connection& target, const LookupTarget& where);

  // The new id for `legacy`, or nullptr when missing. The pointer stays valid while the table
  // lives.
  const std::string* find(std::string_view legacy) const {
    auto it = map_.find(legacy);
    return it == map_.end() ? nullptr : &it->second;
  }
  size_t size() const { return map_.size(); }
  size_t duplicates() const { return duplicates_; }
  void insert(std::string legacy, std::string id);
  void clear() {
    map_.clear();
    duplicates_ = 0;
  }

 private:
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> map_;
  size_t duplicates_ = 0;
};

}  // namespace mapengine
