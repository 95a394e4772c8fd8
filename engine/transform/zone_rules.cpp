#include "engine/transform/zone_rules.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

namespace mapengine {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr std::string_view kZoneDirectory = "/usr/share/zoneinfo/";

// A POSIX TZ rule date: Mm.w.d, Jn (1..365, Feb 29 never counted) or n (0..365).
struct RuleDate {
  enum Kind { kMonthWeekDay, kJulianNoLeap, kDayOfYear } kind = kMonthWeekDay;
  unsigned month = 0, week = 0, weekday = 0;
  unsigned day = 0;
  seconds time = hours(2);  // local time of day of the change; may be negative or > 24h

  date::local_seconds in_year(int year) const {
    const date::year y{year};
    date::local_days day_start;
    switch (kind) {
      case kMonthWeekDay:
        if (week == 5) {
          day_start = date::local_days{
              date::year_month_weekday_last{y, date::month{month},
                                            date::weekday_last{date::weekday{weekday}}}};
        } else {
          day_start = date::local_days{date::year_month_weekday{
              y, date::month{month}, date::weekday{weekday}[week]}};
        }
        break;
      case kJulianNoLeap:
        day_start = date::local_days{y / date::January / 1} + date::days{day - 1} +
                    date::days{(y.is_leap() && day >= 60) ? 1 : 0};
        break;
      case kDayOfYear:
        day_start = date::local_days{y / date::January / 1} + date::days{day};
        break;
    }
    return day_start + time;
  }
};

date::sys_seconds utc_of(date::local_seconds local, seconds offset) {
  return date::sys_seconds{local.time_since_epoch() - offset};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool parse_number(std::string_view& s, unsigned max_digits, unsigned& out) {
  unsigned n = 0, digits = 0;
  while (!s.empty() && is_digit(s.front()) && digits < max_digits) {
    n = n * 10 + static_cast<unsigned>(s.front() - '0');
    s.remove_prefix(1);
    ++digits;
  }
  out = n;
  return digits > 0;
}

// [+-]hh[:mm[:ss]]
bool parse_duration(std::string_view& s, seconds& out) {
  int sign = 1;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  unsigned h = 0, m = 0, sec = 0;
  if (!parse_number(s, 3, h)) return false;
  if (!s.empty() && s.front() == ':') {
    s.remove_prefix(1);
    if (!parse_number(s, 2, m)) return false;
    if (!s.empty() && s.front() == ':') {
      s.remove_prefix(1);
      if (!parse_number(s, 2, sec)) return false;
    }
  }
  out = sign * (hours(h) + std::chrono::minutes(m) + seconds(sec));
  return true;
}

bool parse_zone_name(std::string_view& s) {
  if (!s.empty() && s.front() == '<') {
    const size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t letters = 0;
  while (letters < s.size() && ((s[letters] >= 'A' && s[letters] <= 'Z') ||
                                (s[letters] >= 'a' && s[letters] <= 'z'))) {
    ++letters;
  }
  s.remove_prefix(letters);
  return letters >= 3;
}

bool parse_rule_date(std::string_view& s, RuleDate& out) {
  if (!s.empty() && s.front() == 'M') {
    s.remove_prefix(1);
    out.kind = RuleDate::kMonthWeekDay;
    if (!parse_number(s, 2, out.month) || s.empty() || s.front() != '.') return false;
    s.remove_prefix(1);
    if (!parse_number(s, 1, out.week) || s.empty() || s.front() != '.') return false;
    s.remove_prefix(1);
    if (!parse_number(s, 1, out.weekday)) return false;
    if (out.month < 1 || out.month > 12 || out.week < 1 || out.week > 5 || out.weekday > 6) {
      return false;
    }
  } else if (!s.empty() && s.front() == 'J') {
    s.remove_prefix(1);
    out.kind = RuleDate::kJulianNoLeap;
    if (!parse_number(s, 3, out.day) || out.day < 1 || out.day > 365) return false;
  } else {
    out.kind = RuleDate::kDayOfYear;
    if (!parse_number(s, 3, out.day) || out.day > 365) return false;
  }
  if (!s.empty() && s.front() == '/') {
    s.remove_prefix(1);
    if (!parse_duration(s, out.time)) return false;
  }
  return true;
}

}  // namespace

// The rule in a TZif footer, e.g. "CST6CDT,M3.2.0,M11.1.0". POSIX offsets count west of
// Greenwich as positive; the fields here are UTC offsets (east positive).
struct ZoneRules::PosixRule {
  seconds standard{0};
  bool has_dst = false;
  seconds daylight{0};
  RuleDate start, end;  // DST starts (in standard local time) and ends (in DST local time)

  static std::unique_ptr<PosixRule> parse(std::string_view s) {
    auto rule = std::make_unique<PosixRule>();
    seconds offset;
    if (!parse_zone_name(s) || !parse_duration(s, offset)) return nullptr;
    rule->standard = -offset;
    if (s.empty()) return rule;
    if (!parse_zone_name(s)) return nullptr;
    rule->has_dst = true;
    rule->daylight = rule->standard + hours(1);
    if (!s.empty() && s.front() != ',') {
      if (!parse_duration(s, offset)) return nullptr;
      rule->daylight = -offset;
    }
    if (s.empty() || s.front() != ',') return nullptr;
    s.remove_prefix(1);
    if (!parse_rule_date(s, rule->start) || s.empty() || s.front() != ',') return nullptr;
    s.remove_prefix(1);
    if (!parse_rule_date(s, rule->end) || !s.empty()) return nullptr;
    return rule;
  }

  seconds offset_at(date::sys_seconds instant) const {
    if (!has_dst) return standard;
    const int year = static_cast<int>(
        date::year_month_day{date::floor<date::days>(instant)}.year());
    // The changes of the surrounding years, in order; the last one not after `instant` wins.
    std::array<std::pair<date::sys_seconds, seconds>, 6> changes;
    size_t n = 0;
    for (int y = year - 1; y <= year + 1; ++y) {
      changes[n++] = {utc_of(start.in_year(y), standard), daylight};
      changes[n++] = {utc_of(end.in_year(y), daylight), standard};
    }
    std::sort(changes.begin(), changes.end());
    seconds offset = changes.front().second == daylight ? standard : daylight;
    for (const auto& [when, after] : changes) {
      if (when > instant) break;
      offset = after;
    }
    return offset;
  }
};

ZoneRules::ZoneRules(std::string name, const date::time_zone* zone,
                     std::unique_ptr<PosixRule> rule)
    : name_(std::move(name)), zone_(zone), rule_(std::move(rule)) {}

ZoneRules::~ZoneRules() = default;

std::unique_ptr<ZoneRules> ZoneRules::locate(std::string_view name, std::string& error) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  // The footer is the last line of a TZif version 2+ file: "\n<rule>\n".
  std::unique_ptr<PosixRule> rule;
  std::ifstream file(std::string(kZoneDirectory) + std::string(zone->name()), std::ios::binary);
  std::ostringstream content;
  content << file.rdbuf();
  const std::string bytes = content.str();
  if (bytes.size() > 6 && bytes.compare(0, 4, "TZif") == 0 && bytes[4] >= '2' &&
      bytes.back() == '\n') {
    const size_t start = bytes.rfind('\n', bytes.size() - 2);
    if (start != std::string::npos) {
      rule = PosixRule::parse(std::string_view(bytes).substr(start + 1, bytes.size() - start - 2));
    }
  }
  return std::unique_ptr<ZoneRules>(new ZoneRules(std::string(name), zone, std::move(rule)));
}

std::vector<std::string_view> ZoneRules::zone_names() {
  std::vector<std::string_view> names;
  try {
    for (const date::time_zone& zone : date::get_tzdb().zones) names.push_back(zone.name());
  } catch (const std::exception&) {
    // No database: no suggestions.
  }
  return names;
}

namespace {

// True for the open-ended period after the last transition the library knows.
bool is_last_period(const date::sys_info& info) {
  return info.end >= date::sys_days{date::year{9000} / 1 / 1};
}

}  // namespace

seconds ZoneRules::offset_at(date::sys_seconds instant) const {
  const date::sys_info info = zone_->get_info(instant);
  if (rule_ && is_last_period(info)) return rule_->offset_at(instant);
  return info.offset;
}

date::sys_seconds ZoneRules::to_sys(date::local_seconds local) const {
  return *resolve(local, LocalTimeRule{});
}

std::optional<date::sys_seconds> ZoneRules::resolve(date::local_seconds local,
                                                    const LocalTimeRule& rule,
                                                    LocalKind* kind) const {
  // The readings of `local`: one when it is unique; otherwise with the offsets before and after
  // the change, whose instants `rule` chooses between.
  LocalKind found = LocalKind::kUnique;
  date::sys_seconds first{}, second{};
  const date::local_info info = zone_->get_info(local);
  if (rule_ && rule_->has_dst && info.result == date::local_info::unique &&
      is_last_period(info.first)) {
    // Past the listed transitions: resolve with the POSIX rule's two offsets.
    const date::sys_seconds standard = utc_of(local, rule_->standard);
    const date::sys_seconds daylight = utc_of(local, rule_->daylight);
    const bool standard_holds = offset_at(standard) == rule_->standard;
    const bool daylight_holds = offset_at(daylight) == rule_->daylight;
    first = standard;
    second = daylight;
    if (standard_holds && daylight_holds) {
      found = LocalKind::kAmbiguous;
    } else if (standard_holds || daylight_holds) {
      first = standard_holds ? standard : daylight;
    } else {
      found = LocalKind::kGap;
    }
  } else {
    first = utc_of(local, info.first.offset);
    switch (info.result) {
      case date::local_info::unique: break;
      case date::local_info::nonexistent:
        found = LocalKind::kGap;
        second = utc_of(local, info.second.offset);
        break;
      case date::local_info::ambiguous:
        found = LocalKind::kAmbiguous;
        second = utc_of(local, info.second.offset);
        break;
    }
  }
  if (kind != nullptr) *kind = found;
  if (found == LocalKind::kUnique) return first;
  switch (found == LocalKind::kGap ? rule.on_gap : rule.on_ambiguous) {
    case LocalChoice::kEarlier: return std::min(first, second);
    case LocalChoice::kLater: return std::max(first, second);
    case LocalChoice::kReject: return std::nullopt;
  }
  return first;
}

}  // namespace mapengine
