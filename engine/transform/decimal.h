// Decimal: an exact decimal number held as a digit string, for the number transforms. No binary
// floating point is involved anywhere, so "19.99" scaled by 100 is exactly "1999".
//
// Accepted text: optional surrounding spaces, an optional sign, digits with at most one '.', at
// least one digit, and an optional exponent (e/E, |exponent| <= 1000). NaN, Infinity and digit
// group separators are not numbers here.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mapengine {

struct Decimal {
  bool negative = false;
  std::string digits;  // most significant first, no leading zeros; empty means zero
  int64_t exponent = 0;  // value = digits * 10^exponent

  bool is_zero() const { return digits.empty(); }
  // Digits after the decimal point as written (trailing zeros count: "1.50" has 2).
  int64_t fraction_digits() const { return exponent < 0 ? -exponent : 0; }
};

enum class Rounding { kHalfUp, kHalfEven, kDown, kUp, kReject };

std::optional<Decimal> parse_decimal(std::string_view text);
Decimal multiply(const Decimal& a, const Decimal& b);
// Rounds to `fraction_digits` digits after the point (negative: to tens, hundreds, ...).
// kHalfUp rounds halves away from zero, kDown toward zero, kUp away from zero. With kReject,
// returns false (leaving `number` unchanged) when a non-zero digit would be lost.
bool round_to(Decimal& number, int64_t fraction_digits, Rounding mode);
// Plain notation with at least `min_fraction_digits` digits after the point ("-0.50", "1200").
std::string to_text(const Decimal& number, int64_t min_fraction_digits = 0);
// The value as int64 when it is a whole number in range.
std::optional<int64_t> to_int64(const Decimal& number);

// True when `text` is already in the form to_text would produce for it with its own fraction
// digits: -?(0|[1-9][0-9]*)(\.[0-9]+)?, and not a negative zero. Cheap; no allocation.
bool is_plain_decimal(std::string_view text);

}  // namespace mapengine
