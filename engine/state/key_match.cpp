#include "engine/state/key_match.h"

#include <fmt/format.h>

#include <limits>

#include "engine/common/canonical_int.h"
#include "engine/pg/catalog.h"
#include "engine/state/legacy_key.h"

namespace mapengine::state {
namespace {

// The canonical text of an integer within [min, max]: what `int::text` prints.
bool canonical_integer(const std::string& text, long long min, long long max) {
  int64_t value = 0;
  return parse_canonical_int(text, value) && value >= min && value <= max;
}

}  // namespace

KeyMatch KeyMatch::for_type(const std::string& quoted_column, const std::string& type,
                            const std::vector<std::string>& quoted_columns) {
  KeyMatch match;
  if (quoted_columns.size() == 1 && (type == "smallint" || type == "integer" || type == "bigint")) {
    match.kind_ = Kind::kInteger;
    match.min_ = type == "smallint"  ? std::numeric_limits<short>::min()
                 : type == "integer" ? std::numeric_limits<int>::min()
                                     : std::numeric_limits<long long>::min();
    match.max_ = type == "smallint"  ? std::numeric_limits<short>::max()
                 : type == "integer" ? std::numeric_limits<int>::max()
                                     : std::numeric_limits<long long>::max();
    match.predicate_ = fmt::format("{} = ANY($1::{}[])", quoted_column, type);
  } else if (quoted_columns.size() == 1 && (type == "text" || type == "character varying")) {
    match.kind_ = Kind::kText;
    match.predicate_ = fmt::format("{} = ANY($1::{}[])", quoted_column, type);
  } else {
    match.kind_ = Kind::kAnyText;
    match.predicate_ = fmt::format("{} = ANY($1::text[])", legacy_key_sql(quoted_columns));
  }
  return match;
}

KeyMatch KeyMatch::of(pg::Connection& target, const pg::QualifiedName& table,
                      const std::vector<std::string>& key_columns) {
  std::vector<std::string> quoted;
  for (const auto& c : key_columns) quoted.push_back("t." + pg::quote_identifier(c));
  std::string type;
  if (key_columns.size() == 1) {
    type = pg::column_type(target, table, key_columns[0], pg::TypeModifier::kWithout)
               .value_or(std::string());
  }
  return for_type(quoted.empty() ? std::string() : quoted[0], type, quoted);
}

std::vector<std::string> KeyMatch::usable(const std::vector<std::string>& keys) const {
  if (kind_ != Kind::kInteger) return keys;
  std::vector<std::string> out;
  for (const auto& key : keys) {
    if (canonical_integer(key, min_, max_)) out.push_back(key);
  }
  return out;
}

}  // namespace mapengine::state
