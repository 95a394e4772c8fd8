#include "engine/transform/decimal.h"

#include <charconv>
#include <limits>

#include "engine/transform/factory_support.h"

namespace mapengine {
namespace {

constexpr int64_t kMaxExponent = 1000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void strip_leading_zeros(Decimal& number) {
  size_t zeros = 0;
  while (zeros < number.digits.size() && number.digits[zeros] == '0') ++zeros;
  number.digits.erase(0, zeros);
  if (number.digits.empty()) number.negative = false;
}

// Adds one unit in the last place of a digit string.
void increment(std::string& digits) {
  for (size_t i = digits.size(); i-- > 0;) {
    if (digits[i] != '9') {
      ++digits[i];
      return;
    }
    digits[i] = '0';
  }
  digits.insert(digits.begin(), '1');
}

}  // namespace

std::optional<Decimal> parse_decimal(std::string_view text) {
  text = trim_ascii(text);
  Decimal number;
  size_t at = 0;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    number.negative = text[at] == '-';
    ++at;
  }
  bool any_digit = false, point = false;
  int64_t fraction = 0;
  number.digits.reserve(text.size());
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (is_digit(c)) {
      any_digit = true;
      number.digits.push_back(c);
      if (point) ++fraction;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any_digit) return std::nullopt;
  int64_t exponent = 0;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    std::string_view rest = text.substr(at);
    if (!rest.empty() && rest.front() == '+') rest.remove_prefix(1);
    if (rest.empty() || (rest.front() != '-' && !is_digit(rest.front()))) return std::nullopt;
    if (rest.front() == '-' && text[at] == '+') return std::nullopt;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), exponent);
    if (ec != std::errc() || exponent > kMaxExponent || exponent < -kMaxExponent) {
      return std::nullopt;
    }
    at = text.size() - static_cast<size_t>(rest.data() + rest.size() - end);
  }
  if (at != text.size()) return std::nullopt;
  number.exponent = exponent - fraction;
  strip_leading_zeros(number);
  return number;
}

Decimal multiply(const Decimal& a, const Decimal& b) {
  Decimal product;
  if (a.is_zero() || b.is_zero()) return product;
  if (b.digits == "1") {  // a power of ten (100, 0.01): only the point moves
    product = a;
    product.negative = a.negative != b.negative;
    product.exponent = a.exponent + b.exponent;
    return product;
  }
  std::vector<uint32_t> sums(a.digits.size() + b.digits.size(), 0);
  for (size_t i = a.digits.size(); i-- > 0;) {
    const uint32_t da = static_cast<uint32_t>(a.digits[i] - '0');
    if (da == 0) continue;
    for (size_t j = b.digits.size(); j-- > 0;) {
      sums[i + j + 1] += da * static_cast<uint32_t>(b.digits[j] - '0');
    }
    // Propagate carries each row so the sums stay far from overflow.
    for (size_t k = sums.size(); k-- > 1;) {
      sums[k - 1] += sums[k] / 10;
      sums[k] %= 10;
    }
  }
  product.digits.resize(sums.size());
  for (size_t k = 0; k < sums.size(); ++k) product.digits[k] = static_cast<char>('0' + sums[k]);
  product.negative = a.negative != b.negative;
  product.exponent = a.exponent + b.exponent;
  strip_leading_zeros(product);
  return product;
}

bool round_to(Decimal& number, int64_t fraction_digits, Rounding mode) {
  const int64_t target_exponent = -fraction_digits;
  if (number.exponent >= target_exponent) return true;  // nothing to drop
  const uint64_t drop = static_cast<uint64_t>(target_exponent - number.exponent);
  const size_t length = number.digits.size();
  const size_t keep = drop >= length ? 0 : length - static_cast<size_t>(drop);
  // The first dropped digit, and whether any later dropped digit is non-zero. Digits beyond
  // the string's start (drop > length) are zeros.
  const char first_dropped = drop > length ? '0' : number.digits[keep];
  bool rest_nonzero = false;
  for (size_t i = keep + (drop > length ? 0 : 1); i < length; ++i) {
    if (number.digits[i] != '0') rest_nonzero = true;
  }
  const bool any_nonzero = first_dropped != '0' || rest_nonzero;
  bool up = false;
  switch (mode) {
    case Rounding::kReject:
      if (any_nonzero) return false;
      break;
    case Rounding::kDown: break;
    case Rounding::kUp: up = any_nonzero; break;
    case Rounding::kHalfUp: up = first_dropped >= '5'; break;
    case Rounding::kHalfEven: {
      const bool last_kept_odd = keep > 0 && ((number.digits[keep - 1] - '0') & 1) != 0;
      up = first_dropped > '5' || (first_dropped == '5' && (rest_nonzero || last_kept_odd));
      break;
    }
  }
  number.digits.resize(keep);
  if (up) increment(number.digits);
  number.exponent = target_exponent;
  strip_leading_zeros(number);
  return true;
}

std::string to_text(const Decimal& number, int64_t min_fraction_digits) {
  const int64_t fraction = std::max<int64_t>(number.fraction_digits(), min_fraction_digits);
  // digits * 10^exponent, written with `fraction` digits after the point.
  std::string all = number.digits;
  if (!number.is_zero()) {
    if (number.exponent > 0) all.append(static_cast<size_t>(number.exponent), '0');
    const int64_t pad = fraction - number.fraction_digits();  // zeros after the digits
    all.append(static_cast<size_t>(pad), '0');
  }
  if (all.size() <= static_cast<size_t>(fraction)) {
    all.insert(0, static_cast<size_t>(fraction) + 1 - all.size(), '0');
  }
  std::string out;
  out.reserve(all.size() + 2);
  if (number.negative) out.push_back('-');
  const size_t integer = all.size() - static_cast<size_t>(fraction);
  out.append(all, 0, integer);
  if (fraction > 0) {
    out.push_back('.');
    out.append(all, integer, std::string::npos);
  }
  return out;
}

std::optional<int64_t> to_int64(const Decimal& number) {
  if (number.is_zero()) return 0;
  if (number.exponent < 0) {
    // Whole only when every fraction digit is zero.
    const size_t fraction = static_cast<size_t>(-number.exponent);
    if (fraction >= number.digits.size()) return std::nullopt;
    for (size_t i = number.digits.size() - fraction; i < number.digits.size(); ++i) {
      if (number.digits[i] != '0') return std::nullopt;
    }
  }
  const int64_t integer_digits = static_cast<int64_t>(number.digits.size()) + number.exponent;
  if (integer_digits > 19) return std::nullopt;
  // Accumulate negatively so that INT64_MIN fits.
  int64_t value = 0;
  for (int64_t i = 0; i < integer_digits; ++i) {
    const int64_t digit =
        i < static_cast<int64_t>(number.digits.size()) ? number.digits[static_cast<size_t>(i)] - '0'
                                                       : 0;
    if (value < (std::numeric_limits<int64_t>::min() + digit) / 10) return std::nullopt;
    value = value * 10 - digit;
  }
  if (!number.negative) {
    if (value == std::numeric_limits<int64_t>::min()) return std::nullopt;
    value = -value;
  }
  return value;
}

bool is_plain_decimal(std::string_view text) {
  size_t at = 0;
  if (at < text.size() && text[at] == '-') ++at;
  const size_t integer_start = at;
  while (at < text.size() && is_digit(text[at])) ++at;
  const size_t integer_length = at - integer_start;
  if (integer_length == 0) return false;
  if (integer_length > 1 && text[integer_start] == '0') return false;
  bool nonzero = integer_length > 1 || text[integer_start] != '0';
  if (at < text.size() && text[at] == '.') {
    ++at;
    const size_t fraction_start = at;
    while (at < text.size() && is_digit(text[at])) {
      if (text[at] != '0') nonzero = true;
      ++at;
    }
    if (at == fraction_start) return false;
  }
  if (at != text.size()) return false;
  return nonzero || text[0] != '-';
}

}  // namespace mapengine
