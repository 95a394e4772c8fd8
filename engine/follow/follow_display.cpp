#include "engine/follow/follow_display.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/apply/progress_display.h"

namespace mapengine::follow {
namespace {

std::string format_lag_seconds(const std::optional<double>& seconds) {
  if (!seconds) return "? s";
  if (*seconds < 60) return fmt::format("{:.1f} s", *seconds);
  long s = static_cast<long>(*seconds);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

nlohmann::json lag_seconds_json(const std::optional<double>& seconds) {
  if (!seconds) return nullptr;
  return std::round(*seconds * 10) / 10;
}

}  // namespace

std::string format_wal_size(long long bytes) {
  if (bytes < 1024) return fmt::format("{} B", std::max(0LL, bytes));
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string format_follow_line(const FollowProgress& p, int width) {
  std::string line = fmt::format(
      "following {}  lag {}, {}  {} transactions ({} written, {} deleted, {} rejected)  "
      "confirmed {}",
      p.name, format_wal_size(p.lag_bytes), format_lag_seconds(p.lag_seconds),
      group_digits(p.transactions), group_digits(p.upserted), group_digits(p.deleted),
      group_digits(p.rejected), p.confirmed.to_string());
  // Names and positions are ASCII: a byte is a column.
  size_t room = static_cast<size_t>(std::max(1, width - 1));
  if (line.size() > room) line.resize(room);
  return line;
}

FollowDisplay::FollowDisplay(bool live, std::chrono::milliseconds interval)
    : live_(live), interval_(interval) {
  if (live_) {
    std::lock_guard lock(console_mutex());
    set_live_area(this);
  }
}

FollowDisplay::~FollowDisplay() {
  if (!live_) return;
  std::lock_guard lock(console_mutex());
  std::string erase = erase_text();
  line_.clear();
  set_live_area(nullptr);
  std::fputs(erase.c_str(), stderr);
  std::fflush(stderr);
}

void FollowDisplay::update(const FollowProgress& progress) {
  if (!live_) {
    if (std::chrono::steady_clock::now() < next_log_) return;
    log(progress);
    return;
  }
  std::string line = format_follow_line(progress, terminal_columns());
  std::lock_guard lock(console_mutex());
  std::string out = erase_text();
  line_ = std::move(line);
  out += redraw_text();
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

void FollowDisplay::log(const FollowProgress& p) {
  next_log_ = std::chrono::steady_clock::now() + interval_;
  bool caught_up = p.lag_seconds && *p.lag_seconds == 0 && p.lag_bytes == 0;
  log_event(spdlog::level::info, "follow_progress",
            fmt::format("following {}: confirmed {}, {}; {} transactions applied ({} rows "
                        "written, {} deleted, {} rejected)",
                        p.name, p.confirmed.to_string(),
                        caught_up ? std::string("caught up")
                                  : fmt::format("{} ({}) behind", format_wal_size(p.lag_bytes),
                                                format_lag_seconds(p.lag_seconds)),
                        p.transactions, p.upserted, p.deleted, p.rejected),
            {{"setup", p.name},
             {"confirmed", p.confirmed.to_string()},
             {"lag_bytes", p.lag_bytes},
             {"lag_seconds", lag_seconds_json(p.lag_seconds)},
             {"transactions", p.transactions},
             {"upserted", p.upserted},
             {"deleted", p.deleted},
             {"rejected", p.rejected}});
}

std::string FollowDisplay::erase_text() {
  if (line_.empty()) return "";
  // The line is narrower than the terminal was; one that narrowed since re-flows it.
  int columns = std::max(1, terminal_columns());
  int rows = std::max(1, (static_cast<int>(line_.size()) + columns - 1) / columns);
  return fmt::format("\r\033[{}A\033[J", rows);
}

std::string FollowDisplay::redraw_text() { return line_.empty() ? "" : line_ + "\n"; }

}  // namespace mapengine::follow
