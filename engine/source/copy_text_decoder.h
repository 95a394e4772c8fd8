// Decoding of PostgreSQL COPY text format (the default of COPY ... TO STDOUT): one row per line,
// fields separated by tabs, NULL written as \N, backslash escapes for \b \f \n \r \t \v \\ and
// octal (\ooo) / hex (\xhh) bytes.
//
// Fields without a backslash are returned as views into the row (no copy); only escaped fields
// are decoded into owned text.
//
// Thread-safety: none; one decoder per thread.
#pragma once

#include <string_view>
#include <vector>

#include "engine/common/value.h"

namespace mapengine {

class CopyTextDecoder {
 public:
  // Splits `row` (one line, with or without its trailing newline) into `fields`.
  // Returns false when the row is malformed (a trailing lone backslash); `fields` is then
  // unspecified. REQUIRES: `row` outlives the Values in `fields`.
  static bool decode_row(std::string_view row, std::vector<Value>& fields);

  // Decodes one escaped field (no tabs inside) into `out`; false when malformed.
  static bool decode_field(std::string_view field, Value& out);
};

}  // namespace mapengine
