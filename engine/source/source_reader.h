// SourceReader: streams a mapping's source query from the legacy database in legacy-key order,
// in bounded chunks (each one COPY ... TO STDOUT statement with LIMIT), so that no statement runs
// unbounded and a restart continues after any key. The table is never held in memory.
//
//   COPY (SELECT * FROM (<query>) q WHERE (k1, k2) > (last) AND (k1, k2) <= (upper)
//         ORDER BY k1, k2 LIMIT <chunk>) TO STDOUT
//
// Key values travel as quoted literals produced by libpq (COPY takes no parameters); they are
// the exact texts the server printed for the last row read.
//
// Transient failures (connection lost, serialization failure) reconnect and continue after the
// last row delivered, up to the retry budget.
//
// Thread-safety: a SourceReader is used by one thread; it owns its connection.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/retry.h"
#include "engine/pg/connection.h"

namespace mapengine {

using KeyParts = std::vector<std::string>;

struct KeyRange {
  std::optional<KeyParts> lower;  // exclusive; nullopt = from the start
  std::optional<KeyParts> upper;  // inclusive; nullopt = to the end
};

struct SourceOptions {
  long chunk_rows = 100000;
  RetryPolicy retry;                      // reconnects on transient errors
  std::string statement_timeout = "30min";  // per chunk
  std::string snapshot;                   // exported snapshot to read from (--consistent)
};

// The column names of `query`'s result, without running it (LIMIT 0).
std::vector<std::string> describe_source(pg::Connection& source, const std::string& query);

// The SQL of one chunk (exposed for `explain` and tests).
std::string source_chunk_sql(const pg::Connection* quoting, const std::string& query,
                             const std::vector<std::string>& key, const KeyRange& range,
                             const std::optional<KeyParts>& after, long limit);

// Counts the rows of `query` in `range` (a full read of the range).
long long count_source_rows(pg::Connection& source, const std::string& query,
                            const std::vector<std::string>& key, const KeyRange& range);

// The planner's estimate of the rows `query` returns, for progress: nothing is read.
long long estimate_source_rows(pg::Connection& source, const std::string& query);

// The first row of `query` (as JSON text) with a NULL in a key column, or nullopt. Stops at the
// first such row; with an index on the key the server answers without reading the table.
std::optional<std::string> find_null_key(pg::Connection& source, const std::string& query,
                                         const std::vector<std::string>& key);

// Splits the key space of `query` into `parts` ranges of about equal row counts; `rows` is the
// row count or an estimate of it (a count replaces an estimate found too high, or too low to
// split). The split points are found in one pass of a cursor in key order, which reads up to
// the last of them.
std::vector<KeyRange> split_key_ranges(pg::Connection& source, const std::string& query,
                                       const std::vector<std::string>& key, long long rows,
                                       int parts);

class SourceReader {
 public:
  SourceReader(std::string conninfo, std::string query, std::vector<std::string> key,
               std::vector<int> key_indexes, SourceOptions options);

  // Calls `on_row` with each row (COPY text, with its newline) after `after` within `range`, in
  // key order. `on_row` returns false to stop. Stops early when `*cancel` becomes true.
  // Throws Error when the source fails beyond the retry budget.
  void read(const KeyRange& range, std::optional<KeyParts> after,
            const std::function<bool(std::string_view)>& on_row,
            const std::atomic<bool>* cancel);

 private:
  void connect();

  std::string conninfo_;
  std::string query_;
  std::vector<std::string> key_;
  std::vector<int> key_indexes_;
  SourceOptions options_;
  std::optional<pg::Connection> connection_;
};

}  // namespace mapengine
