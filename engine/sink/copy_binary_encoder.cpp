#include "engine/sink/copy_binary_encoder.h"

#include <date/date.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/transform/uuid.h"

namespace mapengine {
namespace {

// Appends `v` in network byte order.
template <typename Unsigned>
void put_big_endian(std::string& out, Unsigned v) {
  char bytes[sizeof(Unsigned)];
  for (size_t i = 0; i < sizeof(Unsigned); ++i) {
    bytes[i] = static_cast<char>((v >> (8 * (sizeof(Unsigned) - 1 - i))) & 0xFF);
  }
  out.append(bytes, sizeof bytes);
}
void put16(std::string& out, uint16_t v) { put_big_endian(out, v); }
void put32(std::string& out, uint32_t v) { put_big_endian(out, v); }
void put64(std::string& out, uint64_t v) { put_big_endian(out, v); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "-?[0-9]{1,19}" within [min, max] (min is -max - 1, as for every integer type).
bool parse_integer(std::string_view text, int64_t min, int64_t max, int64_t& value) {
  size_t i = 0;
  bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  if (i == text.size() || text.size() - i > 19) return false;
  uint64_t magnitude = 0;
  for (; i < text.size(); ++i) {
    if (!is_digit(text[i])) return false;
    magnitude = magnitude * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  const uint64_t limit = static_cast<uint64_t>(max) + (negative ? 1 : 0);
  if (magnitude > limit) return false;
  if (!negative) {
    value = static_cast<int64_t>(magnitude);
  } else {
    value = magnitude == limit ? min : -static_cast<int64_t>(magnitude);
  }
  return true;
}

// Exactly `count` digits at text[at...], as a number.
bool read_fixed(std::string_view text, size_t at, size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

constexpr int64_t kMicrosPerDay = 86'400'000'000;
// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for dates and timestamps.
constexpr int kPostgresEpochDays = 10957;

// "YYYY-MM-DD" (years 0001..9999) as days since 2000-01-01.
bool parse_date(std::string_view text, int& days) {
  int year = 0, month = 0, day = 0;
  if (text.size() < 10 || !read_fixed(text, 0, 4, year) || text[4] != '-' ||
      !read_fixed(text, 5, 2, month) || text[7] != '-' || !read_fixed(text, 8, 2, day)) {
    return false;
  }
  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (year < 1 || !ymd.ok()) return false;
  days = date::sys_days{ymd}.time_since_epoch().count() - kPostgresEpochDays;
  return true;
}

// "YYYY-MM-DD( |T)HH:MM:SS[.f{1,6}][(+|-)HH[:MM[:SS]]]" as microseconds since 2000-01-01 (UTC
// when an offset is given). An offset is required for timestamptz (without one the session's
// TimeZone decides) and refused for timestamp (whose input ignores it).
bool parse_timestamp(std::string_view text, bool with_zone, int64_t& micros) {
  int days = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || !parse_date(text.substr(0, 10), days) ||
      (text[10] != ' ' && text[10] != 'T') || !read_fixed(text, 11, 2, hour) || text[13] != ':' ||
      !read_fixed(text, 14, 2, minute) || text[16] != ':' || !read_fixed(text, 17, 2, second) ||
      hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  size_t at = 19;
  int64_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    size_t digits = 0;
    for (++at; at < text.size() && is_digit(text[at]); ++at, ++digits) {
      fraction = fraction * 10 + (text[at] - '0');
    }
    if (digits == 0 || digits > 6) return false;
    for (; digits < 6; ++digits) fraction *= 10;
  }
  int64_t offset_seconds = 0;
  bool has_offset = at < text.size();
  if (has_offset) {
    if (text[at] != '+' && text[at] != '-') return false;
    int sign = text[at] == '-' ? -1 : 1;
    int oh = 0, om = 0, os = 0;
    if (!read_fixed(text, at + 1, 2, oh) || oh > 14) return false;
    at += 3;
    if (at < text.size()) {
      if (text[at] != ':' || !read_fixed(text, at + 1, 2, om) || om > 59) return false;
      at += 3;
    }
    if (at < text.size()) {
      if (text[at] != ':' || !read_fixed(text, at + 1, 2, os) || os > 59) return false;
      at += 3;
    }
    if (at != text.size()) return false;
    offset_seconds = sign * (oh * 3600 + om * 60 + os);
  }
  if (has_offset != with_zone) return false;
  micros = days * kMicrosPerDay +
           ((hour * 60 + minute) * 60 + second - offset_seconds) * 1'000'000 + fraction;
  return true;
}

// "-?digits[.digits]" or "-?.digits", up to 1,000 digits either side of the point, as numeric's
// binary form: base-10000 digits, weight, sign, display scale.
bool append_numeric(std::string_view text, std::string& out) {
  size_t i = 0;
  bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  size_t int_begin = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  std::string_view int_digits = text.substr(int_begin, i - int_begin);
  std::string_view frac_digits;
  if (i < text.size() && text[i] == '.') {
    size_t frac_begin = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    frac_digits = text.substr(frac_begin, i - frac_begin);
  }
  if (i != text.size() || (int_digits.empty() && frac_digits.empty()) ||
      int_digits.size() > 1000 || frac_digits.size() > 1000) {
    return false;
  }
  while (!int_digits.empty() && int_digits.front() == '0') int_digits.remove_prefix(1);

  std::vector<uint16_t> groups;
  groups.reserve((int_digits.size() + frac_digits.size()) / 4 + 2);
  size_t lead = (4 - int_digits.size() % 4) % 4;  // zeros that pad the first group
  int weight = static_cast<int>((int_digits.size() + lead) / 4) - 1;
  uint16_t group = 0;
  size_t filled = lead;
  auto push = [&](char c) {
    group = static_cast<uint16_t>(group * 10 + (c - '0'));
    if (++filled == 4) {
      groups.push_back(group);
      group = 0;
      filled = 0;
    }
  };
  for (char c : int_digits) push(c);
  for (char c : frac_digits) push(c);
  if (filled != 0) {
    while (filled != 0) push('0');
  }
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  bool zero = first == last;
  put16(out, static_cast<uint16_t>(last - first));
  put16(out, static_cast<uint16_t>(static_cast<int16_t>(zero ? 0 : weight)));
  put16(out, negative && !zero ? 0x4000 : 0x0000);
  put16(out, static_cast<uint16_t>(frac_digits.size()));
  for (size_t g = first; g < last; ++g) put16(out, groups[g]);
  return true;
}

// A decimal float without "inf", "nan", hex or subnormal results; the value std::from_chars
// gives, rounded correctly like the server's strtod/strtof.
template <typename Float>
bool parse_float(std::string_view text, Float& value) {
  bool nonzero_digit = false;
  bool in_exponent = false;
  for (char c : text) {
    if (c == 'e' || c == 'E') {
      in_exponent = true;
    } else if (!is_digit(c) && c != '.' && c != '-' && c != '+') {
      return false;
    } else if (!in_exponent && c >= '1' && c <= '9') {
      nonzero_digit = true;
    }
  }
  if (text.empty() || text[0] == '+') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return false;
  if (value == 0) return !nonzero_digit;  // an underflow to zero is the server's error
  return std::fabs(value) >= std::numeric_limits<Float>::min();
}

// A float's IEEE bits in network byte order.
template <typename Float, typename Bits>
bool append_float(std::string_view text, std::string& out) {
  static_assert(sizeof(Float) == sizeof(Bits));
  Float value = 0;
  if (!parse_float(text, value)) return false;
  Bits bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put_big_endian(out, bits);
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes the COPY text escapes mapengine writes (pg/copy_text.h); false for any other.
bool unescape(std::string_view field, std::string& out) {
  out.clear();
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out += field[i];
      continue;
    }
    if (++i == field.size()) return false;
    switch (field[i]) {
      case '\\': out += '\\'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      default: return false;
    }
  }
  return true;
}

}  // namespace

bool append_binary_value(BinaryType type, std::string_view text, std::string& out) {
  switch (type) {
    case BinaryType::kText:
      out.append(text);
      return true;
    case BinaryType::kJsonb:
      out += '\x01';  // jsonb's binary format version
      out.append(text);
      return true;
    case BinaryType::kBool:
      if (text == "t" || text == "true") {
        out += '\x01';
      } else if (text == "f" || text == "false") {
        out += '\x00';
      } else {
        return false;
      }
      return true;
    case BinaryType::kInt2:
    case BinaryType::kInt4:
    case BinaryType::kInt8: {
      int64_t value = 0;
      if (type == BinaryType::kInt2) {
        if (!parse_integer(text, INT16_MIN, INT16_MAX, value)) return false;
        put16(out, static_cast<uint16_t>(value));
      } else if (type == BinaryType::kInt4) {
        if (!parse_integer(text, INT32_MIN, INT32_MAX, value)) return false;
        put32(out, static_cast<uint32_t>(value));
      } else {
        if (!parse_integer(text, INT64_MIN, INT64_MAX, value)) return false;
        put64(out, static_cast<uint64_t>(value));
      }
      return true;
    }
    case BinaryType::kFloat4:
      return append_float<float, uint32_t>(text, out);
    case BinaryType::kFloat8:
      return append_float<double, uint64_t>(text, out);
    case BinaryType::kNumeric:
      return append_numeric(text, out);
    case BinaryType::kUuid: {
      std::optional<UuidBytes> bytes = parse_uuid(text);
      if (!bytes) return false;
      out.append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
      return true;
    }
    case BinaryType::kDate: {
      int days = 0;
      if (text.size() != 10 || !parse_date(text, days)) return false;
      put32(out, static_cast<uint32_t>(days));
      return true;
    }
    case BinaryType::kTimestamp:
    case BinaryType::kTimestamptz: {
      int64_t micros = 0;
      if (!parse_timestamp(text, type == BinaryType::kTimestamptz, micros)) return false;
      put64(out, static_cast<uint64_t>(micros));
      return true;
    }
    case BinaryType::kBytea: {
      if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
        return false;
      }
      size_t start = out.size();
      for (size_t i = 2; i < text.size(); i += 2) {
        int high = hex_value(text[i]), low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) {
          out.resize(start);
          return false;
        }
        out += static_cast<char>(high << 4 | low);
      }
      return true;
    }
  }
  return false;
}

bool CopyBinaryEncoder::encode(std::string_view rows, std::string& out,
                               Declined* declined) const {
  const size_t start = out.size();
  auto decline = [&](size_t column, std::string_view value) {
    out.resize(start);
    if (declined != nullptr) *declined = {column, std::string(value.substr(0, 200))};
    return false;
  };
  std::string unescaped;
  out.reserve(start + rows.size());  // binary rows are about as long as their text
  size_t at = 0;
  while (at < rows.size()) {
    put16(out, static_cast<uint16_t>(columns_.size()));
    for (size_t c = 0; c < columns_.size(); ++c) {
      const char delimiter = c + 1 < columns_.size() ? '\t' : '\n';
      size_t end = at;
      while (end < rows.size() && rows[end] != '\t' && rows[end] != '\n') ++end;
      if (end == rows.size() || rows[end] != delimiter) {
        return decline(c, rows.substr(at, end - at));
      }
      std::string_view field = rows.substr(at, end - at);
      at = end + 1;
      if (field == "\\N") {
        put32(out, 0xFFFFFFFF);
        continue;
      }
      if (field.find('\\') != std::string_view::npos) {
        if (!unescape(field, unescaped)) return decline(c, field);
        field = unescaped;
      }
      const size_t length_at = out.size();
      put32(out, 0);
      if (!append_binary_value(columns_[c], field, out)) return decline(c, field);
      const uint32_t length = static_cast<uint32_t>(out.size() - length_at - 4);
      for (int i = 0; i < 4; ++i) {
        out[length_at + static_cast<size_t>(i)] =
            static_cast<char>((length >> (24 - 8 * i)) & 0xFF);
      }
    }
  }
  return true;
}

std::string_view CopyBinaryEncoder::header() {
  // Signature, flags (no OIDs), header extension length.
  static constexpr char kHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
  return {kHeader, 19};
}

std::string_view CopyBinaryEncoder::trailer() { return {"\xFF\xFF", 2}; }

std::optional<CopyBinaryEncoder> binary_encoder_for(pg::Connection& target,
                                                    const pg::QualifiedName& table,
                                                    const std::vector<std::string>& columns,
                                                    std::string& why) {
  // Each column's type with its domains peeled off: a domain's binary input is its base type's.
  pg::Result types = target.exec(
      "WITH RECURSIVE t AS ("
      "  SELECT a.attname, y.oid, y.typtype, y.typbasetype, a.atttypid AS declared"
      "  FROM pg_attribute a JOIN pg_type y ON y.oid = a.atttypid"
      "  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
      "  UNION ALL"
      "  SELECT t.attname, y.oid, y.typtype, y.typbasetype, t.declared"
      "  FROM t JOIN pg_type y ON y.oid = t.typbasetype WHERE t.typtype = 'd')"
      " SELECT attname, oid::int8, typtype, format_type(declared, NULL) FROM t"
      " WHERE typtype <> 'd'",
      {table.quoted()});
  std::vector<BinaryType> kinds;
  for (const std::string& column : columns) {
    std::optional<BinaryType> kind;
    std::string type_name = "unknown";
    for (int r = 0; r < types.rows(); ++r) {
      if (types.value(r, 0) != column) continue;
      type_name = std::string(types.value(r, 3));
      if (types.value(r, 2) == "e") {
        kind = BinaryType::kText;
        break;
      }
      switch (std::stoll(std::string(types.value(r, 1)))) {
        case 16: kind = BinaryType::kBool; break;
        case 17: kind = BinaryType::kBytea; break;
        case 20: kind = BinaryType::kInt8; break;
        case 21: kind = BinaryType::kInt2; break;
        case 23: kind = BinaryType::kInt4; break;
        case 25:    // text
        case 114:   // json
        case 1042:  // character(n)
        case 1043:  // character varying
          kind = BinaryType::kText;
          break;
        case 700: kind = BinaryType::kFloat4; break;
        case 701: kind = BinaryType::kFloat8; break;
        case 1082: kind = BinaryType::kDate; break;
        case 1114: kind = BinaryType::kTimestamp; break;
        case 1184: kind = BinaryType::kTimestamptz; break;
        case 1700: kind = BinaryType::kNumeric; break;
        case 2950: kind = BinaryType::kUuid; break;
        case 3802: kind = BinaryType::kJsonb; break;
        default: break;
      }
      break;
    }
    if (!kind) {
      why = fmt::format("column {} is of type {}, which has no binary encoder here", column,
                        type_name);
      return std::nullopt;
    }
    kinds.push_back(*kind);
  }
  return CopyBinaryEncoder(std::move(kinds));
}

}  // namespace mapengine
