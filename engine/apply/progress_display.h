// ProgressDisplay: while mappings run, shows one live line per running mapping on a terminal
// (rows done / total, rows per second, ETA), or logs a progress event every 10 seconds when the
// output is not a terminal or logs are JSON.
//
// Thread-safety: the display runs its own thread; it only reads the atomic counters.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "engine/apply/apply_options.h"

namespace mapengine {

class ProgressDisplay {
 public:
  // `progress` must outlive the display.
  ProgressDisplay(const std::deque<MappingProgress>& progress, bool live);
  ~ProgressDisplay();  // stops and erases the live lines

  void stop();

 private:
  void loop();
  void draw(bool final);

  const std::deque<MappingProgress>& progress_;
  bool live_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int drawn_lines_ = 0;
  std::thread thread_;
};

// "12,345"
std::string group_digits(long long value);

}  // namespace mapengine
