#include "engine/state/key_match.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "engine/state/legacy_key.h"

namespace mapengine::state {
namespace {

// The canonical text of an integer: what `int::text` prints.
bool canonical_integer(const std::string& text, long long min, long long max) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  return value >= min && value <= max && std::to_string(value) == text;
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
    pg::Result row = target.exec(
        "SELECT format_type(a.atttypid, NULL) FROM pg_attribute a "
        "WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped",
        {table.quoted(), key_columns[0]});
    if (row.rows() == 1) type = std::string(row.value(0, 0));
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
