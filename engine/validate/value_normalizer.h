// ValueNormalizer: puts an expected value into the form the target server prints, so that what
// a mapping produces ("true", "12.5", "2024-01-02T03:04:05Z") compares equal to what the target
// holds ("t", "12.50", "2024-01-02 03:04:05+00"). The value goes through the column type's input
// and output functions on the target: SELECT concat(x::<type>), which prints what COPY prints
// (x::<type>::text would not: a boolean casts to 'true', an inet to '10.0.0.1/32'). Only values
// that already differ as text are sent, in one statement per column and chunk, and the answers
// are cached.
//
// The normalizer's connection keeps the server's default session settings, as apply's do, so a
// timestamp without offset is read in the same TimeZone as when it was written.
//
// Thread-safety: one thread; owns its connection.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/quote.h"

namespace mapengine::validate {

class ValueNormalizer {
 public:
  explicit ValueNormalizer(const std::string& target_url);

  // The server's text for each of `values` read as `type` (format_type text). A value the type
  // does not accept is returned unchanged. Text types return the values as they are.
  std::vector<std::string> normalize(const std::string& type,
                                     const std::vector<std::string>& values);

  // The subset of `values` for which `table` has a row whose `column` (of `type`) equals it.
  std::unordered_set<std::string> existing(const pg::QualifiedName& table,
                                           const std::string& column, const std::string& type,
                                           const std::vector<std::string>& values);

 private:
  std::vector<std::optional<std::string>> cast_all(const std::string& type,
                                                   const std::vector<std::string>& values);

  pg::Connection connection_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> cache_;
};

// The type used to normalise a column of `type`: varchar(n) is read as text, so that a cast
// never silently truncates a value that is too long.
std::string normalization_type(const std::string& type);
// True for types whose text output is the input itself (text, varchar).
bool is_text_type(const std::string& type);

}  // namespace mapengine::validate
