#include "engine/transform/civil_time.h"

#include <array>

#include "engine/transform/factory_support.h"

namespace mapengine {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kWeekdays = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads min..max digits at s[at].
bool read_digits(std::string_view s, size_t& at, size_t min, size_t max, int& out) {
  size_t n = 0;
  int value = 0;
  while (n < max && at + n < s.size() && is_digit(s[at + n])) {
    value = value * 10 + (s[at + n] - '0');
    ++n;
  }
  if (n < min) return false;
  at += n;
  out = value;
  return true;
}

// Reads fraction digits (after the '.') rounded half up to microseconds; 1000000 may result.
bool read_fraction(std::string_view s, size_t& at, int64_t& micros) {
  const size_t start = at;
  int64_t value = 0;
  size_t n = 0;
  bool round_up = false;
  for (; at < s.size() && is_digit(s[at]); ++at, ++n) {
    if (n < 6) {
      value = value * 10 + (s[at] - '0');
    } else if (n == 6) {
      round_up = s[at] >= '5';  // half up on the seventh digit, like PostgreSQL
    }
  }
  if (at == start) return false;
  for (size_t i = n; i < 6; ++i) value *= 10;
  micros = value + (round_up ? 1 : 0);
  return true;
}

// Z | [+-]HH[[:]MM[[:]SS]]
bool read_offset(std::string_view s, size_t& at, seconds& offset) {
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
    offset = seconds(0);
    return true;
  }
  if (at >= s.size() || (s[at] != '+' && s[at] != '-')) return false;
  const int sign = s[at] == '-' ? -1 : 1;
  ++at;
  int h = 0, m = 0, sec = 0;
  if (!read_digits(s, at, 2, 2, h) || h > 15) return false;
  for (int* part : {&m, &sec}) {
    size_t probe = at;
    if (probe < s.size() && s[probe] == ':') ++probe;
    if (!read_digits(s, probe, 2, 2, *part) || *part > 59) break;
    at = probe;
  }
  offset = sign * (hours(h) + minutes(m) + seconds(sec));
  return true;
}

size_t match_name(std::string_view s, size_t at, std::string_view name) {
  // Full name, then the 3-letter abbreviation; case-insensitive. Returns the length matched.
  for (size_t length : {name.size(), size_t{3}}) {
    if (at + length <= s.size() && equals_ignore_case(s.substr(at, length), name.substr(0, length))) {
      return length;
    }
  }
  return 0;
}

std::optional<LocalMicros> build(int year, int month, int day, int hour, int minute, int second,
                                 int64_t micros, std::string& why) {
  if (year < 1 || year > 9999) {
    why = "year out of range 1..9999";
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (month < 1 || month > 12 || !ymd.ok()) {
    why = "no such date";
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) {
    why = "no such time of day";
    return std::nullopt;
  }
  return LocalMicros{date::local_days{ymd}} + hours(hour) + minutes(minute) + seconds(second) +
         microseconds(micros);
}

void write_digits(TimeText& out, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out.data[out.size + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.size += static_cast<size_t>(width);
}

void write_char(TimeText& out, char c) { out.data[out.size++] = c; }

}  // namespace

std::optional<ParsedTime> parse_timestamp_text(std::string_view text, std::string& why) {
  const std::string_view s = trim_ascii(text);
  size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t micros = 0;
  ParsedTime parsed;
  if (!read_digits(s, at, 4, 4, year) || at >= s.size() || s[at++] != '-' ||
      !read_digits(s, at, 1, 2, month) || at >= s.size() || s[at++] != '-' ||
      !read_digits(s, at, 1, 2, day)) {
    why = "expected YYYY-MM-DD";
    return std::nullopt;
  }
  if (at < s.size() && (s[at] == ' ' || s[at] == 'T' || s[at] == 't')) {
    ++at;
    parsed.has_time = true;
    if (!read_digits(s, at, 1, 2, hour) || at >= s.size() || s[at++] != ':' ||
        !read_digits(s, at, 2, 2, minute)) {
      why = "expected HH:MM[:SS] after the date";
      return std::nullopt;
    }
    if (at < s.size() && s[at] == ':') {
      ++at;
      if (!read_digits(s, at, 2, 2, second)) {
        why = "expected seconds after HH:MM:";
        return std::nullopt;
      }
      if (at < s.size() && s[at] == '.') {
        ++at;
        if (!read_fraction(s, at, micros)) {
          why = "expected digits after the decimal point";
          return std::nullopt;
        }
      }
    }
    while (at < s.size() && s[at] == ' ') ++at;
    if (at < s.size()) {
      seconds offset;
      if (!read_offset(s, at, offset)) {
        why = "unexpected text after the time";
        return std::nullopt;
      }
      parsed.offset = offset;
    }
  }
  if (at != s.size()) {
    why = "unexpected text after the date";
    return std::nullopt;
  }
  auto local = build(year, month, day, hour, minute, second, micros, why);
  if (!local) return std::nullopt;
  parsed.local = *local;
  return parsed;
}

std::optional<TimeFormat> TimeFormat::compile(std::string_view pattern, std::string& why) {
  TimeFormat format;
  format.pattern_ = std::string(pattern);
  auto& tokens = format.tokens_;
  const auto add = [&](Field field, char literal = 0) {
    if (field == Field::kSpace && !tokens.empty() && tokens.back().field == Field::kSpace) return;
    tokens.push_back({field, literal});
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (is_ascii_space(c)) {
      add(Field::kSpace);
      continue;
    }
    if (c != '%') {
      add(Field::kLiteral, c);
      continue;
    }
    if (++i == pattern.size()) {
      why = "the pattern ends with a lone %";
      return std::nullopt;
    }
    switch (pattern[i]) {
      case 'Y': add(Field::kYear); break;
      case 'y': add(Field::kYear2); break;
      case 'm': add(Field::kMonth); break;
      case 'b': case 'B': case 'h': add(Field::kMonthName); break;
      case 'd': add(Field::kDay); break;
      case 'e': add(Field::kDaySpaced); break;
      case 'H': add(Field::kHour); break;
      case 'I': add(Field::kHour12); break;
      case 'M': add(Field::kMinute); break;
      case 'S': add(Field::kSecond); break;
      case 'f': add(Field::kFraction); break;
      case 'p': add(Field::kAmPm); break;
      case 'z': add(Field::kOffset); break;
      case 'a': case 'A': add(Field::kWeekdayName); break;
      case 'F':
        for (Field f : {Field::kYear, Field::kLiteral, Field::kMonth, Field::kLiteral, Field::kDay}) {
          add(f, '-');
        }
        break;
      case 'T': case 'R':
        add(Field::kHour); add(Field::kLiteral, ':'); add(Field::kMinute);
        if (pattern[i] == 'T') {
          add(Field::kLiteral, ':');
          add(Field::kSecond);
        }
        break;
      case 'D':
        for (Field f : {Field::kMonth, Field::kLiteral, Field::kDay, Field::kLiteral, Field::kYear2}) {
          add(f, '/');
        }
        break;
      case '%': add(Field::kLiteral, '%'); break;
      case 'n': case 't': add(Field::kSpace); break;
      default:
        why = std::string("unknown directive %") + pattern[i];
        return std::nullopt;
    }
  }
  const auto has = [&](std::initializer_list<Field> fields) {
    for (const Token& t : tokens) {
      for (Field f : fields) {
        if (t.field == f) return true;
      }
    }
    return false;
  };
  if (!has({Field::kYear, Field::kYear2}) || !has({Field::kMonth, Field::kMonthName}) ||
      !has({Field::kDay, Field::kDaySpaced})) {
    why = "the pattern needs a year (%Y or %y), a month (%m or %b) and a day (%d or %e)";
    return std::nullopt;
  }
  if (has({Field::kHour12}) != has({Field::kAmPm})) {
    why = "%I (12-hour clock) and %p (AM/PM) go together";
    return std::nullopt;
  }
  if (has({Field::kHour}) && has({Field::kHour12})) {
    why = "use either %H or %I, not both";
    return std::nullopt;
  }
  format.has_offset_ = has({Field::kOffset});
  format.fraction_in_seconds_ = !has({Field::kFraction});
  return format;
}

std::optional<ParsedTime> TimeFormat::match(std::string_view text, std::string& why) const {
  const std::string_view s = trim_ascii(text);
  size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, hour12 = 0;
  int64_t micros = 0;
  bool pm = false;
  ParsedTime parsed;
  for (const Token& token : tokens_) {
    bool ok = true;
    switch (token.field) {
      case Field::kLiteral:
        ok = at < s.size() && s[at] == token.literal;
        if (ok) ++at;
        break;
      case Field::kSpace:
        while (at < s.size() && is_ascii_space(s[at])) ++at;
        break;
      case Field::kYear: ok = read_digits(s, at, 1, 4, year); break;
      case Field::kYear2:
        ok = read_digits(s, at, 2, 2, year);
        year += year < 69 ? 2000 : 1900;
        break;
      case Field::kMonth: ok = read_digits(s, at, 1, 2, month); break;
      case Field::kMonthName: {
        ok = false;
        for (size_t m = 0; m < kMonths.size() && !ok; ++m) {
          if (size_t n = match_name(s, at, kMonths[m])) {
            at += n;
            month = static_cast<int>(m) + 1;
            ok = true;
          }
        }
        break;
      }
      case Field::kWeekdayName: {
        ok = false;
        for (size_t w = 0; w < kWeekdays.size() && !ok; ++w) {
          if (size_t n = match_name(s, at, kWeekdays[w])) {
            at += n;
            ok = true;
          }
        }
        break;
      }
      case Field::kDaySpaced:
        while (at < s.size() && s[at] == ' ') ++at;
        [[fallthrough]];
      case Field::kDay: ok = read_digits(s, at, 1, 2, day); break;
      case Field::kHour: ok = read_digits(s, at, 1, 2, hour); break;
      case Field::kHour12:
        ok = read_digits(s, at, 1, 2, hour12) && hour12 >= 1 && hour12 <= 12;
        break;
      case Field::kMinute: ok = read_digits(s, at, 1, 2, minute); break;
      case Field::kSecond:
        ok = read_digits(s, at, 1, 2, second);
        if (ok && fraction_in_seconds_ && at + 1 < s.size() && s[at] == '.' &&
            is_digit(s[at + 1])) {
          ++at;
          ok = read_fraction(s, at, micros);
        }
        break;
      case Field::kFraction: ok = read_fraction(s, at, micros); break;
      case Field::kAmPm:
        ok = at + 2 <= s.size() && (equals_ignore_case(s.substr(at, 2), "AM") ||
                                    equals_ignore_case(s.substr(at, 2), "PM"));
        if (ok) {
          pm = s[at] == 'P' || s[at] == 'p';
          at += 2;
        }
        break;
      case Field::kOffset: {
        seconds offset;
        ok = read_offset(s, at, offset);
        if (ok) parsed.offset = offset;
        break;
      }
    }
    if (!ok) {
      why = "does not match " + pattern_;
      return std::nullopt;
    }
  }
  if (at != s.size()) {
    why = "has text left over after " + pattern_;
    return std::nullopt;
  }
  if (hour12 > 0) hour = hour12 % 12 + (pm ? 12 : 0);
  auto local = build(year, month, day, hour, minute, second, micros, why);
  if (!local) return std::nullopt;
  parsed.local = *local;
  parsed.has_time = true;
  return parsed;
}

std::optional<TimeText> format_date(date::local_days day) {
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 1 || year > 9999) return std::nullopt;
  TimeText out;
  write_digits(out, year, 4);
  write_char(out, '-');
  write_digits(out, static_cast<unsigned>(ymd.month()), 2);
  write_char(out, '-');
  write_digits(out, static_cast<unsigned>(ymd.day()), 2);
  return out;
}

std::optional<TimeText> format_timestamp(LocalMicros local) {
  const date::local_days day = date::floor<date::days>(local);
  auto out = format_date(day);
  if (!out) return std::nullopt;
  const date::hh_mm_ss<microseconds> time{local - day};
  write_char(*out, ' ');
  write_digits(*out, time.hours().count(), 2);
  write_char(*out, ':');
  write_digits(*out, time.minutes().count(), 2);
  write_char(*out, ':');
  write_digits(*out, time.seconds().count(), 2);
  int64_t micros = time.subseconds().count();
  if (micros > 0) {
    int width = 6;
    while (micros % 10 == 0) {
      micros /= 10;
      --width;
    }
    write_char(*out, '.');
    write_digits(*out, micros, width);
  }
  return out;
}

std::optional<TimeText> format_timestamptz_utc(SysMicros instant) {
  auto out = format_timestamp(LocalMicros{instant.time_since_epoch()});
  if (!out) return std::nullopt;
  write_char(*out, '+');
  write_char(*out, '0');
  write_char(*out, '0');
  return out;
}

}  // namespace mapengine
