#include "engine/lookup/batched_lookup.h"

#include <fmt/format.h>

#include "engine/common/error.h"
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

// Per-entry cost of a loaded LookupTable on a 64-bit glibc build: the hash node (two strings,
// the next pointer and the cached hash) as one allocation, plus its bucket pointer. A string
// longer than the small-string buffer (15 bytes) adds its own allocation.
constexpr long long kEntryBytes = 112;
constexpr long long kSmallString = 15;
constexpr long long kAllocationBytes = 16;

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
  pg::Result type = target.exec(
      "SELECT format_type(a.atttypid, NULL) FROM pg_attribute a "
      "WHERE a.attrelid = $1::regclass AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
      {where.table.quoted(), where.match});
  if (type.rows() != 1) {
    throw Error(ErrorKind::kDatabase,
                fmt::format("lookup {}: the target has no column {} in {}", where.describe(),
                            where.match, where.table.display()));
  }
  std::string match = pg::quote_identifier(where.match);
  lookup.sql_ = fmt::format("SELECT {}::text, {}::text FROM {} WHERE {} = ANY($1::{}[])", match,
                            pg::quote_identifier(where.returns), where.table.quoted(), match,
                            type.value(0, 0));
  return lookup;
}

void BatchedLookup::fetch(pg::Connection& target, const std::vector<std::string_view>& values,
                          LookupTable& into) const {
  into.clear();
  if (!values.empty()) fetch_range(target, values, 0, values.size(), into);
}

void BatchedLookup::fetch_range(pg::Connection& target,
                                const std::vector<std::string_view>& values, size_t begin,
                                size_t end, LookupTable& into) const {
  std::vector<pg::Param> params{text_array(values, begin, end)};
  if (target_.table.name.empty()) params.emplace_back(target_.mapping);
  try {
    pg::Result rows = target.exec(sql_, params);
    for (int r = 0; r < rows.rows(); ++r) {
      if (rows.is_null(r, 0) || rows.is_null(r, 1)) continue;
      into.insert(std::string(rows.value(r, 0)), std::string(rows.value(r, 1)));
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
  auto text_bytes = [](const char* column) {
    return fmt::format("CASE WHEN octet_length({0}) > {1} THEN octet_length({0}) + 1 + {2} "
                       "ELSE 0 END",
                       column, kSmallString, kAllocationBytes);
  };
  pg::Result size = target.exec(fmt::format(
      "SELECT count(*), coalesce(sum({} + {}), 0) FROM ({}) AS pairs(legacy_value, new_id)",
      text_bytes("legacy_value"), text_bytes("new_id"), where.select_sql()));
  LookupSize out;
  out.entries = std::stoll(std::string(size.value(0, 0)));
  out.bytes = out.entries * kEntryBytes + std::stoll(std::string(size.value(0, 1)));
  return out;
}

}  // namespace mapengine
