// ProgressDisplay: while mappings run, shows on a terminal one live line per running mapping
// (bar, rows done / total, rows per second, rejected, ETA) and an overall line over the whole
// plan, redrawn four times a second at the bottom of stderr. Lines fit the terminal's current
// width (read at every redraw): the mapping name is cut and columns are dropped rather than
// wrapped. Log lines are written above it (engine/common/log.h), and it erases itself when it
// stops. When stderr is not a terminal (or logs are JSON) it logs a progress event per running
// mapping and an overall one every 10 seconds instead (MAPENGINE_PROGRESS_INTERVAL_MS changes
// the interval). Colour unless NO_COLOR is set.
//
// Thread-safety: the display runs its own thread; it only reads the atomic counters.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/apply/apply_options.h"
#include "engine/common/log.h"

namespace mapengine {

// One line of the display, as numbers.
struct ProgressLine {
  std::string name;
  long long read = 0;
  long long total = -1;  // -1: not known yet
  bool total_estimated = false;
  bool total_partial = false;  // the total leaves out rows not counted yet ("+")
  long long rejected = 0;
  double rate = 0;  // rows per second
};

// The display's lines for a terminal `width` columns wide: the mappings, then `overall`. No line
// is wider than width - 1 (the last column is left free so that no terminal wraps).
std::vector<std::string> format_progress_lines(const std::vector<ProgressLine>& mappings,
                                               const ProgressLine& overall, int width,
                                               bool color);

class ProgressDisplay : private LiveArea {
 public:
  // `progress` must outlive the display.
  ProgressDisplay(const std::deque<MappingProgress>& progress, bool live);
  ~ProgressDisplay() override;  // stops and erases the live lines

  void stop();

 private:
  void loop();
  void draw();
  void log_progress();
  std::vector<ProgressLine> snapshot(ProgressLine& overall) const;
  std::string erase_text() override;
  std::string redraw_text() override;

  const std::deque<MappingProgress>& progress_;
  bool live_;
  bool color_;
  double started_at_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // Guarded by console_mutex(): the lines on screen and the width they were drawn at.
  std::vector<std::string> frame_;
  std::vector<int> frame_columns_;
  std::thread thread_;
};

// The interval of the plain progress events: MAPENGINE_PROGRESS_INTERVAL_MS, or 10 s.
std::chrono::milliseconds plain_interval();

// "12,345"
std::string group_digits(long long value);

// The width of the terminal stderr writes to (COLUMNS, or 80, when it is not one).
int terminal_columns();

}  // namespace mapengine
