// COPY's binary format for the rows a batch sends, derived from their COPY text.
//
// The server's text input functions are most of what a COPY costs it past the index inserts: a
// uuid is sixteen strtoul calls, a timestamptz a date parser. In binary format a uuid is sixteen
// bytes copied. So every batch is built in COPY text (the form rejects, checkpoints and the
// refused-row search work with) and, when the table's column types all have an encoder here, also
// in binary, which the batch's first attempt sends.
//
// Exactness: an encoder takes only the spellings whose value it knows the server's text input
// gives (canonical forms: "-?digits", "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]", 8-4-4-4-12
// hex, ...) and declines anything else: an offset-less timestamptz (the session's TimeZone
// decides it), "infinity", an exponent in a numeric, a float that underflows. A batch with a
// declined value is sent as text, so the server reads it exactly as before; the binary form is
// only ever an equal value, sent faster.
//
// Thread-safety: a CopyBinaryEncoder is immutable; encode() may run concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/quote.h"

namespace mapengine {

// The target types with a binary encoder (a domain is encoded as its base type).
enum class BinaryType {
  kText,  // text, varchar, char(n), enums, json: the bytes themselves
  kJsonb,
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kNumeric,
  kUuid,
  kDate,
  kTimestamp,
  kTimestamptz,
  kBytea,
};

// Appends the binary form of `text` (a value as the server's text input reads it) for `type`;
// false when the encoder does not take this spelling (`out` is then left as it was).
bool append_binary_value(BinaryType type, std::string_view text, std::string& out);

class CopyBinaryEncoder {
 public:
  explicit CopyBinaryEncoder(std::vector<BinaryType> columns) : columns_(std::move(columns)) {}

  // What kept a batch in text: the column (its index in COPY order) and the value (as COPY
  // text, at most 200 bytes).
  struct Declined {
    size_t column = 0;
    std::string value;
  };

  // The binary tuples of `rows` (COPY text lines, each ending in '\n', with the columns in
  // order) appended to `out`, without the format's header and trailer; false (and `out` as it
  // was, and `declined` set when given) when a value is declined.
  bool encode(std::string_view rows, std::string& out, Declined* declined = nullptr) const;

  // What the COPY data starts and ends with.
  static std::string_view header();
  static std::string_view trailer();

 private:
  std::vector<BinaryType> columns_;
};

// The encoder for `columns` of `table` (in COPY order), read from the catalog; nullopt, with
// `why` naming the column and its type, when a column's type has no encoder.
std::optional<CopyBinaryEncoder> binary_encoder_for(pg::Connection& target,
                                                    const pg::QualifiedName& table,
                                                    const std::vector<std::string>& columns,
                                                    std::string& why);

}  // namespace mapengine
