// FollowDisplay: how far `sync` is behind the legacy database while it follows, and what it
// applied. On a terminal (text logs, no --no-progress) it is one live line at the bottom of
// stderr, redrawn at every update, with log lines written above it (engine/common/log.h) and
// erased when the display ends. Otherwise it logs a `follow_progress` event (JSON with
// --log-format json) at the first update and then at most once per interval.
//
// Lag in seconds is measured from the commit time of the last source transaction applied: an
// upper bound of how old the target's view is (the oldest change it misses committed later).
// The legacy server's clock is the reference; a clock ahead of this machine's reads as 0.
//
// Thread-safety: one thread updates it; it shares stderr through console_mutex().
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/log.h"
#include "engine/pg/lsn.h"

namespace mapengine::follow {

struct FollowProgress {
  std::string name;  // the setup's
  pg::Lsn confirmed;
  long long lag_bytes = 0;            // source WAL not yet confirmed by the target
  std::optional<double> lag_seconds;  // 0 when caught up; nullopt: behind, nothing applied yet
  long long transactions = 0;         // source transactions applied by this process
  long long upserted = 0, deleted = 0, rejected = 0;
};

// "0 B", "812 B", "12.3 KiB", "4.0 GiB".
std::string format_wal_size(long long bytes);
// The live line for a terminal `width` columns wide (at most width - 1 columns).
std::string format_follow_line(const FollowProgress& progress, int width);

class FollowDisplay : private LiveArea {
 public:
  // `live`: draw the line (stderr is a terminal and logs are text); else log every `interval`.
  FollowDisplay(bool live, std::chrono::milliseconds interval);
  ~FollowDisplay() override;  // erases the live line

  // The latest numbers: redraws the line, or logs them when the interval has passed.
  void update(const FollowProgress& progress);
  // Logs the numbers now (also when live), e.g. when following caught up.
  void log(const FollowProgress& progress);

 private:
  std::string erase_text() override;
  std::string redraw_text() override;

  bool live_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_log_{};  // the first update logs
  std::string line_;  // guarded by console_mutex(): the line on screen, empty when none
};

}  // namespace mapengine::follow
