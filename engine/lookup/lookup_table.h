// LookupTable: an in-memory map from a legacy value (text) to the new id (text), loaded once per
// run from the target with one COPY and probed once per source row, and LookupTarget: where a
// lookup reads from, resolved from the mapping spec and the project (producer mappings and
// migrated tables supply defaults).
#pragma once

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/canonical_int.h"
#include "engine/lookup/pair_arena.h"
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

// A lookup table holds one of two representations, chosen by its keys alone:
// - dense: every key is the canonical decimal text of an int64 ("0", "-12", "4711"; never "007",
//   "+7" or "-0") and the keys span at most 2 x entries + 1024 values. An index over that span
//   points at each pair; a probe parses its text (a non-canonical text is a miss, so matching
//   stays exact-text) and reads one slot.
// - hashed: any other keys, in a flat hash set of pair handles (absl::flat_hash_set).
// Pairs live in a PairArena either way: no allocation per entry.
//
// Inserting keeps the table valid and queryable at every step: it stays dense while the keys
// allow it, in any order that keeps their span within the bound. Keys arriving in an order that
// leaves large gaps early switch it to hashed; freeze() then makes it dense again when the full
// key set allows it. load() freezes; so should any other code that fills a table.
//
// Thread-safety: const member functions may run concurrently; a filled table is immutable and
// shared by all workers of a mapping.
class LookupTable {
 public:
  LookupTable() = default;
  LookupTable(LookupTable&&) noexcept = default;
  LookupTable& operator=(LookupTable&&) noexcept = default;
  LookupTable(const LookupTable&) = delete;  // ids are handed out as views: one table, one owner
  LookupTable& operator=(const LookupTable&) = delete;

  // Loads every pair from the target, then freezes. Duplicate legacy values keep the first id
  // and are counted.
  static LookupTable load(pg::Connection& target, const LookupTarget& where);

  // The new id for `legacy` (exact text match), or nullopt when missing. The view stays valid
  // while the table lives and is not modified.
  std::optional<std::string_view> find(std::string_view legacy) const {
    if (dense_) {
      int64_t key = 0;
      if (!parse_canonical_int(legacy, key)) return std::nullopt;
      uint64_t slot = static_cast<uint64_t>(key) - static_cast<uint64_t>(base_);
      if (slot >= index_.size() || index_[slot].empty()) return std::nullopt;
      return index_[slot].id();
    }
    auto it = hashed_.find(legacy);
    if (it == hashed_.end()) return std::nullopt;
    return it->id();
  }
  size_t size() const { return size_; }
  size_t duplicates() const { return duplicates_; }
  bool dense() const { return dense_; }  // which representation: for tests and benchmarks

  // Adds a pair; when `legacy` is present already, keeps the first id and counts a duplicate.
  void insert(std::string_view legacy, std::string_view id);
  // Picks the compact representation the whole key set allows. Call after the last insert().
  void freeze();
  void clear();

  // `text` is "0" or -?[1-9][0-9]* within int64 (common/canonical_int.h): then sets `value`.
  static bool parse_canonical_int(std::string_view text, int64_t& value) {
    return mapengine::parse_canonical_int(text, value);
  }

  // Span of the dense index: at most this many slots for `entries` pairs.
  static uint64_t dense_slots(size_t entries) { return 2 * static_cast<uint64_t>(entries) + 1024; }

 private:
  struct PairHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const {
      return absl::Hash<absl::string_view>{}(absl::string_view(key.data(), key.size()));
    }
    size_t operator()(PairArena::Pair pair) const { return (*this)(pair.key()); }
  };
  struct PairEq {
    using is_transparent = void;
    bool operator()(PairArena::Pair a, PairArena::Pair b) const { return a.key() == b.key(); }
    bool operator()(PairArena::Pair a, std::string_view b) const { return a.key() == b; }
    bool operator()(std::string_view a, PairArena::Pair b) const { return a == b.key(); }
  };

  bool insert_dense(int64_t key, std::string_view legacy, std::string_view id);
  void insert_hashed(std::string_view legacy, std::string_view id);
  void make_hashed();

  PairArena pairs_;
  bool dense_ = true;  // an empty table is dense
  int64_t base_ = 0;   // dense: index_[i] holds the key base_ + i
  std::vector<PairArena::Pair> index_;
  absl::flat_hash_set<PairArena::Pair, PairHash, PairEq> hashed_;
  size_t size_ = 0;
  size_t duplicates_ = 0;
  bool integer_keys_ = true;  // every key so far is a canonical int64 text, in [min_key_, max_key_]
  int64_t min_key_ = 0;
  int64_t max_key_ = 0;
};

}  // namespace mapengine
