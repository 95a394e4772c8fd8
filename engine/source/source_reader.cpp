#include "engine/source/source_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"
#include "engine/source/copy_text_decoder.h"

namespace mapengine {
namespace {

std::string key_tuple(const std::vector<std::string>& key) {
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) out += ", ";
    out += "q." + pg::quote_identifier(key[i]);
  }
  return out + ")";
}

std::string literal(const pg::Connection* quoting, const std::string& value) {
  if (quoting != nullptr) return quoting->quote_literal(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string values_tuple(const pg::Connection* quoting, const KeyParts& parts) {
  std::string out = "(";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ", ";
    out += literal(quoting, parts[i]);
  }
  return out + ")";
}

std::string where_clause(const pg::Connection* quoting, const std::vector<std::string>& key,
                         const KeyRange& range, const std::optional<KeyParts>& after) {
  std::vector<std::string> conditions;
  std::string tuple = key_tuple(key);
  const std::optional<KeyParts>& lower = after ? after : range.lower;
  if (lower) conditions.push_back(tuple + " > " + values_tuple(quoting, *lower));
  if (range.upper) conditions.push_back(tuple + " <= " + values_tuple(quoting, *range.upper));
  if (conditions.empty()) return "";
  return " WHERE " + fmt::format("{}", fmt::join(conditions, " AND "));
}

std::string order_by(const std::vector<std::string>& key) {
  std::string out = " ORDER BY ";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) out += ", ";
    out += "q." + pg::quote_identifier(key[i]);
  }
  return out;
}

}  // namespace

std::vector<std::string> describe_source(pg::Connection& source, const std::string& query) {
  pg::Result result = source.exec(fmt::format("SELECT * FROM ({}\n) q LIMIT 0", query));
  std::vector<std::string> columns;
  for (int c = 0; c < result.columns(); ++c) columns.push_back(result.column_name(c));
  return columns;
}

std::string source_chunk_sql(const pg::Connection* quoting, const std::string& query,
                             const std::vector<std::string>& key, const KeyRange& range,
                             const std::optional<KeyParts>& after, long limit) {
  std::string sql = fmt::format("SELECT * FROM ({}\n) q{}{}", query,
                                where_clause(quoting, key, range, after), order_by(key));
  if (limit > 0) sql += fmt::format(" LIMIT {}", limit);
  return sql;
}

long long count_source_rows(pg::Connection& source, const std::string& query,
                            const std::vector<std::string>& key, const KeyRange& range) {
  pg::Result result = source.exec(fmt::format("SELECT count(*) FROM ({}\n) q{}", query,
                                              where_clause(&source, key, range, std::nullopt)));
  return std::stoll(std::string(result.value(0, 0)));
}

long long estimate_source_rows(pg::Connection& source, const std::string& query) {
  pg::Result plan =
      source.exec(fmt::format("EXPLAIN (FORMAT JSON) SELECT * FROM ({}\n) q", query));
  nlohmann::json parsed = nlohmann::json::parse(plan.value(0, 0), nullptr, false);
  if (!parsed.is_array() || parsed.empty()) return 0;
  const nlohmann::json& rows = parsed[0]["Plan"]["Plan Rows"];
  return rows.is_number() ? std::max(0LL, rows.get<long long>()) : 0;
}

std::optional<std::string> find_null_key(pg::Connection& source, const std::string& query,
                                         const std::vector<std::string>& key) {
  std::string any_null;
  for (const auto& column : key) {
    any_null += fmt::format("{}q.{} IS NULL", any_null.empty() ? "" : " OR ",
                            pg::quote_identifier(column));
  }
  pg::Result found = source.exec(fmt::format(
      "SELECT row_to_json(q)::text FROM ({}\n) q WHERE {} LIMIT 1", query, any_null));
  if (found.rows() == 0) return std::nullopt;
  return std::string(found.value(0, 0));
}

namespace {

// The keys of the rows at 0-based positions `offsets` (ascending) of `select_sql`, found in ONE
// pass with a cursor: the cost is a read up to the last offset, where one OFFSET query per split
// point would read up to each of them. When the rows end first, fewer keys are found and
// `rows_read` is the number of rows there are.
struct SplitPoints {
  std::vector<KeyParts> bounds;
  long long rows_read = 0;
};

SplitPoints find_split_points(pg::Connection& source, const std::string& select_sql,
                              const std::vector<long long>& offsets) {
  SplitPoints found;
  pg::Transaction tx(source, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED READ ONLY");
  source.exec("DECLARE mapengine_split NO SCROLL CURSOR FOR " + select_sql);
  for (long long offset : offsets) {
    if (offset > found.rows_read) {
      long long skip = offset - found.rows_read;
      found.rows_read +=
          source.exec(fmt::format("MOVE FORWARD {} IN mapengine_split", skip)).affected();
      if (found.rows_read < offset) break;
    }
    pg::Result row = source.exec("FETCH NEXT FROM mapengine_split");
    if (row.rows() == 0) break;
    ++found.rows_read;
    KeyParts bound;
    for (int c = 0; c < row.columns(); ++c) bound.emplace_back(row.value(0, c));
    found.bounds.push_back(std::move(bound));
  }
  tx.commit();
  return found;
}

}  // namespace

std::vector<KeyRange> split_key_ranges(pg::Connection& source, const std::string& query,
                                       const std::vector<std::string>& key, long long rows,
                                       int parts) {
  std::vector<KeyRange> ranges;
  bool counted = false;
  if (parts > 1 && rows < parts * 2LL) {
    // Too few rows to split, or an estimate too low: count before giving up.
    rows = count_source_rows(source, query, key, {});
    counted = true;
  }
  if (parts <= 1 || rows < parts * 2LL) {
    ranges.push_back({});
    return ranges;
  }
  std::string columns;
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) columns += ", ";
    columns += "q." + pg::quote_identifier(key[i]) + "::text";
  }
  const std::string select_sql =
      fmt::format("SELECT {} FROM ({}\n) q{}", columns, query, order_by(key));
  auto offsets_for = [parts](long long total) {
    std::vector<long long> offsets;
    for (int p = 1; p < parts; ++p) offsets.push_back(total * p / parts - 1);
    return offsets;
  };
  SplitPoints points = find_split_points(source, select_sql, offsets_for(rows));
  if (static_cast<int>(points.bounds.size()) < parts - 1 && !counted) {
    // The estimate was too high: the pass found how many rows there are; split again.
    rows = points.rows_read;
    points = SplitPoints{};
    if (rows >= parts * 2LL) points = find_split_points(source, select_sql, offsets_for(rows));
  }
  std::optional<KeyParts> lower;
  for (auto& bound : points.bounds) {
    ranges.push_back({lower, bound});
    lower = bound;
  }
  ranges.push_back({lower, std::nullopt});
  return ranges;
}

SourceReader::SourceReader(std::string conninfo, std::string query, std::vector<std::string> key,
                           std::vector<int> key_indexes, SourceOptions options)
    : conninfo_(std::move(conninfo)),
      query_(std::move(query)),
      key_(std::move(key)),
      key_indexes_(std::move(key_indexes)),
      options_(std::move(options)) {}

void SourceReader::connect() {
  connection_.reset();
  connection_.emplace(conninfo_, "source");
}

void SourceReader::read(const KeyRange& range, std::optional<KeyParts> after,
                        const std::function<bool(std::string_view)>& on_row,
                        const std::atomic<bool>* cancel) {
  std::string last_row;
  std::vector<Value> fields;
  auto key_of_last_row = [&]() -> std::optional<KeyParts> {
    if (last_row.empty() || !CopyTextDecoder::decode_row(last_row, fields)) return std::nullopt;
    KeyParts parts;
    for (int index : key_indexes_) parts.emplace_back(fields[static_cast<size_t>(index)].text());
    return parts;
  };
  // One chunk in one read-only transaction; whether another chunk follows.
  auto read_chunk = [&] {
    if (!connection_ || !connection_->is_ok()) connect();
    pg::Connection& source = *connection_;
    std::string sql = source_chunk_sql(&source, query_, key_, range, after, options_.chunk_rows);
    long delivered = 0;
    bool stopped = false;
    std::string opening = options_.snapshot.empty()
                              ? "SET TRANSACTION ISOLATION LEVEL READ COMMITTED READ ONLY"
                              : fmt::format(
                                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                                    "SET TRANSACTION SNAPSHOT {}",
                                    source.quote_literal(options_.snapshot));
    pg::Transaction tx(source, fmt::format("{}; SET LOCAL statement_timeout = {}", opening,
                                           source.quote_literal(options_.statement_timeout)));
    source.copy_out("COPY (" + sql + ") TO STDOUT", [&](std::string_view row) {
      if (cancel != nullptr && cancel->load()) {
        stopped = true;
        return false;
      }
      ++delivered;
      last_row.assign(row);
      if (!on_row(row)) {
        stopped = true;
        return false;
      }
      return true;
    });
    tx.commit();
    if (stopped) return false;
    if (delivered > 0) {
      after = key_of_last_row();
      if (!after) throw Error(ErrorKind::kData, "source: malformed COPY row from the server");
    }
    return options_.chunk_rows > 0 && delivered >= options_.chunk_rows;
  };
  // After a failure, continue after the last row delivered: rows of the failed chunk that were
  // handed over are not read again.
  auto before_retry = [&] {
    if (auto parts = key_of_last_row()) after = std::move(parts);
    connection_.reset();
  };
  bool more = true;
  while (more) {
    more = with_retries(options_.retry, "source: reading a chunk", read_chunk, before_retry);
  }
}

}  // namespace mapengine
