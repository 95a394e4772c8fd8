// The canonical text of an integer: "0" or -?[1-9][0-9]* within int64, exactly what PostgreSQL
// prints for an integer column (`id::text`). Lookups use it to hold integer keys densely; the
// follower to pass only texts an integer key column can hold.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mapengine {

// True when `text` is canonical; then sets `value`. Inline: lookups call it per row.
inline bool parse_canonical_int(std::string_view text, int64_t& value) {
  const char* p = text.data();
  size_t digits = text.size();
  bool negative = digits > 0 && *p == '-';
  if (negative) {
    ++p;
    --digits;
  }
  if (digits == 0 || digits > 19) return false;
  if (*p == '0') {
    value = 0;
    return digits == 1 && !negative;
  }
  uint64_t magnitude = 0;  // 19 digits cannot overflow 64 bits
  for (size_t i = 0; i < digits; ++i) {
    unsigned digit = static_cast<unsigned char>(p[i]) - static_cast<unsigned>('0');
    if (digit > 9) return false;
    magnitude = magnitude * 10 + digit;
  }
  constexpr uint64_t kMaxPositive = uint64_t{1} << 63;  // |INT64_MIN|; INT64_MAX is one less
  if (magnitude > kMaxPositive - (negative ? 0 : 1)) return false;
  value = static_cast<int64_t>(negative ? 0 - magnitude : magnitude);  // two's complement
  return true;
}

}  // namespace mapengine
