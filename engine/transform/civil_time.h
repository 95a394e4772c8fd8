// Reading and writing dates and timestamps as text, for the time transforms.
//
//  - parse_timestamp_text: PostgreSQL's own output form (what COPY delivers for date, timestamp
//    and timestamptz columns) and ISO 8601: "YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][offset]",
//    offset "Z", "+HH", "+HH:MM", "+HHMM" or "+HH:MM:SS".
//  - TimeFormat: a strftime-like pattern compiled once (see the directive list in
//    TimeFormat::compile) and matched against whole values.
//  - format_*: the text written back, in PostgreSQL's input/output form.
//
// Years are limited to 0001..9999; fractions are rounded to microseconds (like PostgreSQL).
//
// Thread-safety: TimeFormat is immutable after compile(); the functions are pure.
#pragma once

#include <date/date.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mapengine {

using LocalMicros = date::local_time<std::chrono::microseconds>;
using SysMicros = date::sys_time<std::chrono::microseconds>;

struct ParsedTime {
  LocalMicros local;                       // the wall-clock date and time as written
  std::optional<std::chrono::seconds> offset;  // UTC offset, when the text carried one
  bool has_time = false;                   // false for a bare date
};

// nullopt (and `why` set) when the text is not a timestamp in the form above.
std::optional<ParsedTime> parse_timestamp_text(std::string_view text, std::string& why);

class TimeFormat {
 public:
  // Directives: %Y (year, up to 4 digits) %y (2 digits: 69-99 -> 19xx, else 20xx) %m %d %e %H
  // %I (with %p) %M %S (takes a ".fraction" too, unless the pattern has %f) %f (fraction) %p
  // (AM/PM) %b %B %h (English month name or abbreviation) %a %A (English weekday, checked only
  // for form) %z (Z, +HH, +HHMM, +HH:MM) %F (%Y-%m-%d) %T (%H:%M:%S) %R (%H:%M) %D (%m/%d/%y)
  // %% %n %t. Whitespace matches any run of spaces (or none); other characters match exactly.
  // nullopt (and `why` set) for an unknown directive or a pattern without year, month and day.
  static std::optional<TimeFormat> compile(std::string_view pattern, std::string& why);

  const std::string& pattern() const { return pattern_; }
  bool has_offset() const { return has_offset_; }
  // The value read by the whole pattern (surrounding spaces ignored), or nullopt (with `why`).
  std::optional<ParsedTime> match(std::string_view text, std::string& why) const;

  enum class Field : unsigned char {
    kLiteral, kSpace, kYear, kYear2, kMonth, kMonthName, kDay, kDaySpaced, kHour, kHour12,
    kMinute, kSecond, kFraction, kAmPm, kOffset, kWeekdayName
  };
  struct Token {
    Field field;
    char literal = 0;
  };

 private:
  std::string pattern_;
  std::vector<Token> tokens_;
  bool has_offset_ = false;
  bool fraction_in_seconds_ = true;  // %S reads ".fraction" (no %f in the pattern)
};

// Fixed-capacity text for formatted times (never allocates).
struct TimeText {
  char data[40];
  size_t size = 0;
  std::string_view view() const { return {data, size}; }
};

// nullopt when the year is outside 0001..9999.
std::optional<TimeText> format_date(date::local_days day);
// "YYYY-MM-DD HH:MM:SS[.ffffff]" with trailing fraction zeros removed.
std::optional<TimeText> format_timestamp(LocalMicros local);
// The instant in UTC: "YYYY-MM-DD HH:MM:SS[.ffffff]+00".
std::optional<TimeText> format_timestamptz_utc(SysMicros instant);

}  // namespace mapengine
