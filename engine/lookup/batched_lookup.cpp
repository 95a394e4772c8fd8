#include "engine/lookup/batched_lookup.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <limits>

#include "engine/common/error.h"
#include "engine/pg/catalog.h"
#include "engine/pg/quote.h"

namespace mapengine {
namespace {

// A PostgreSQL array literal of text elements: {"a","b\"c"}.
std::string text_array(const std::vector<std::string_view>& values, size_t begin, size_t end) {
  std::string out = "{";
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// SQLSTATE class 22 (data exception): a value is not valid input for the match column's type.
bool is_bad_input(const Error& e) { return e.sqlstate().rfind("22", 0) == 0; }

// Resident bytes of a loaded LookupTable on a 64-bit build (see lookup_table.h):
// - every pair: its key and id text plus an 8-byte header, back to back in the PairArena;
// - dense keys: one 8-byte pair handle per value of the key span;
// - other keys: absl::flat_hash_set of 8-byte handles, one control byte per slot, capacity
//   2^k - 1 grown to keep it at most 7/8 full (16 more control bytes mirror the first group).
constexpr long long kPairHeaderBytes = PairArena::kHeader;
constexpr long long kHandleBytes = sizeof(PairArena::Pair);
constexpr long long kSlotBytes = kHandleBytes + 1;

// The slots of a flat_hash_set holding `entries` after inserting them one by one.
long long hashed_capacity(long long entries) {
  long long capacity = 1;
  while (capacity - capacity / 8 < entries) capacity = capacity * 2 + 1;
  return capacity;
}

// The SQL pattern of LookupTable::parse_canonical_int (the int64 range is checked apart).
constexpr const char* kCanonicalInt = "^(0|-?[1-9][0-9]{0,18})$";

// The type of the lookup's match column, without its modifier ("integer", "character varying").
std::string match_column_type(pg::Connection& target, const LookupTarget& where) {
  std::optional<std::string> type =
      pg::column_type(target, where.table, where.match, pg::TypeModifier::kWithout);
  if (!type) {
    throw Error(ErrorKind::kDatabase,
                fmt::format("lookup {}: the target has no column {} in {}", where.describe(),
                            where.match, where.table.display()));
  }
  return *type;
}

// SELECT of count, text bytes, whether every key is a canonical int64, and the keys' span.
std::string size_sql(pg::Connection& target, const LookupTarget& where) {
  const std::string type = where.table.name.empty() ? "" : match_column_type(target, where);
  if (type == "smallint" || type == "integer" || type == "bigint") {
    // An integer column's text is canonical by construction: its bounds are the column's own,
    // without a pattern test and a numeric cast per value (ten times the cost of the count).
    std::string m = pg::quote_identifier(where.match);
    return fmt::format(
        "SELECT count(*), coalesce(sum(octet_length({0}::text) + octet_length({1}::text)), 0), "
        "count(*) > 0, coalesce(max({0})::numeric - min({0}) + 1, 0) "
        "FROM {2} WHERE {0} IS NOT NULL",
        m, pg::quote_identifier(where.returns), where.table.quoted());
  }
  return fmt::format(
      "SELECT count(*), coalesce(sum(octet_length(legacy_value) + octet_length(new_id)), 0), "
      "count(*) = count(n) AND coalesce(min(n) >= {} AND max(n) <= {}, false), "
      "coalesce(max(n) - min(n) + 1, 0) "
      "FROM (SELECT legacy_value, new_id, CASE WHEN legacy_value ~ '{}' "
      "THEN legacy_value::numeric END AS n FROM ({}) AS pairs(legacy_value, new_id)) AS measured",
      std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), kCanonicalInt,
      where.select_sql());
}

}  // namespace

BatchedLookup BatchedLookup::prepare(pg::Connection& target, const LookupTarget& where) {
  BatchedLookup lookup;
  lookup.target_ = where;
  if (where.table.name.empty()) {
    lookup.sql_ =
        "SELECT legacy_key, new_id FROM mapengine.id_maps "
        "WHERE mapping = $2 AND legacy_key = ANY($1::text[])";
    return lookup;
  }
  // The column's type without its modifier: a cast to varchar(10) would truncate a longer value
  // into a false candidate (harmless, the exact-text check drops it, but wasted work).
  std::string match = pg::quote_identifier(where.match);
  lookup.sql_ = fmt::format("SELECT {}::text, {}::text FROM {} WHERE {} = ANY($1::{}[])", match,
                            pg::quote_identifier(where.returns), where.table.quoted(), match,
                            match_column_type(target, where));
  return lookup;
}

void BatchedLookup::fetch(pg::Connection& target, const std::vector<std::string_view>& values,
                          LookupTable& into) const {
  into.clear();
  if (!values.empty()) fetch_range(target, values, 0, values.size(), into);
  into.freeze();
}

void BatchedLookup::fetch_range(pg::Connection& target,
                                const std::vector<std::string_view>& values, size_t begin,
                                size_t end, LookupTable& into) const {
  std::vector<pg::Param> params{text_array(values, begin, end)};
  if (target_.table.name.empty()) params.emplace_back(target_.mapping);
  try {
    pg::Result rows = target.exec_isolated(sql_, params);
    for (int r = 0; r < rows.rows(); ++r) {
      if (rows.is_null(r, 0) || rows.is_null(r, 1)) continue;
      into.insert(rows.value(r, 0), rows.value(r, 1));
    }
  } catch (const Error& e) {
    if (!is_bad_input(e)) throw;
    if (end - begin == 1) return;  // this value cannot be a legacy value of the column: a miss
    size_t middle = begin + (end - begin) / 2;
    fetch_range(target, values, begin, middle, into);
    fetch_range(target, values, middle, end, into);
  }
}

LookupSize estimate_lookup_size(pg::Connection& target, const LookupTarget& where) {
  // Duplicate legacy values count as entries: they are rare, and dropping them would need a
  // DISTINCT over the whole lookup.
  pg::Result size = target.exec(size_sql(target, where));
  LookupSize out;
  out.entries = std::stoll(std::string(size.value(0, 0)));
  long long text_bytes = std::stoll(std::string(size.value(0, 1)));
  bool integer_keys = size.value(0, 2) == "t";
  double span = std::strtod(std::string(size.value(0, 3)).c_str(), nullptr);
  out.bytes = out.entries * kPairHeaderBytes + text_bytes;
  if (integer_keys &&
      span <= static_cast<double>(LookupTable::dense_slots(static_cast<size_t>(out.entries)))) {
    out.bytes += static_cast<long long>(span) * kHandleBytes;
  } else if (out.entries > 0) {
    out.bytes += hashed_capacity(out.entries) * kSlotBytes + 16;
  }
  return out;
}

}  // namespace mapengine
