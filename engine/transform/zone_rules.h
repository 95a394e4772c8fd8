// ZoneRules: the UTC offsets of one IANA time zone at any instant, and mapengine's rule for
// turning a local wall-clock time into an instant.
//
// The transitions come from Howard Hinnant's date library reading the OS tz database
// (/usr/share/zoneinfo). In that mode the library ignores the POSIX TZ rule at the end of each
// TZif file, so after the last listed transition (2037 in Debian's files) it would report
// standard time all year. ZoneRules therefore reads that rule itself and applies it after the
// last transition: 2040-07-01 in America/Chicago is CDT, as in PostgreSQL.
//
// Local times that do not exist or exist twice (DST changes) have two readings, one with the
// offset before the change and one with the offset after it; LocalTimeRule picks one:
//  - gap (clocks jump forward), by default the later reading: the offset in force before the
//    jump, so the time moves forward by the gap's length (02:30 on a spring-forward day becomes
//    03:30 DST). PostgreSQL does the same.
//  - overlap (clocks fall back), by default the earlier instant (the first 01:30, still DST).
//    PostgreSQL takes the later one (standard time) here.
//
// Thread-safety: immutable after locate(); safe to share across threads.
#pragma once

#include <date/tz.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mapengine {

// Which of the two readings of a local time in a gap or an overlap to take.
enum class LocalChoice { kEarlier, kLater, kReject };

struct LocalTimeRule {
  LocalChoice on_ambiguous = LocalChoice::kEarlier;
  LocalChoice on_gap = LocalChoice::kLater;  // PostgreSQL's
};

// What resolve() found for one local time.
enum class LocalKind { kUnique, kAmbiguous, kGap };

class ZoneRules {
 public:
  // The zone named `name` ("America/Chicago", "UTC", links such as "US/Central"), or nullptr
  // with `error` set when the tz database has no such zone.
  static std::unique_ptr<ZoneRules> locate(std::string_view name, std::string& error);
  // Every zone name in the database, for "did you mean".
  static std::vector<std::string_view> zone_names();

  const std::string& name() const { return name_; }
  std::chrono::seconds offset_at(date::sys_seconds instant) const;
  // The instant of a local wall time, by the default gap/overlap rule above.
  date::sys_seconds to_sys(date::local_seconds local) const;
  // The instant of a local wall time by `rule`; nullopt when the rule rejects it. `kind` (when
  // given) says whether the time was unique, in an overlap or in a gap.
  std::optional<date::sys_seconds> resolve(date::local_seconds local, const LocalTimeRule& rule,
                                           LocalKind* kind = nullptr) const;

  struct PosixRule;  // defined in zone_rules.cpp
  ~ZoneRules();

 private:
  ZoneRules(std::string name, const date::time_zone* zone, std::unique_ptr<PosixRule> rule);

  std::string name_;
  const date::time_zone* zone_;       // owned by date's tz database (process lifetime)
  std::unique_ptr<PosixRule> rule_;   // after the last transition; null when the file has none
};

}  // namespace mapengine
