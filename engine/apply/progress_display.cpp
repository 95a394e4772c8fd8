#include "engine/apply/progress_display.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "engine/common/log.h"

namespace mapengine {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  long s = static_cast<long>(seconds);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

std::string group_digits(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out += ',';
    out += *it;
    ++count;
  }
  if (value < 0) out += '-';
  return {out.rbegin(), out.rend()};
}

ProgressDisplay::ProgressDisplay(const std::deque<MappingProgress>& progress, bool live)
    : progress_(progress), live_(live), thread_([this] { loop(); }) {}

ProgressDisplay::~ProgressDisplay() { stop(); }

void ProgressDisplay::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (live_) draw(true);
}

void ProgressDisplay::loop() {
  std::unique_lock lock(mutex_);
  auto interval = live_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
  while (!wake_.wait_for(lock, interval, [&] { return stopping_; })) {
    draw(false);
  }
}

void ProgressDisplay::draw(bool final) {
  std::string text;
  int lines = 0;
  for (const MappingProgress& p : progress_) {
    if (!p.running) continue;
    long long read = p.read;
    long long total = p.total;
    // An estimate can fall short of the rows read so far.
    if (p.total_estimated && total >= 0 && total < read) total = read;
    std::string about = p.total_estimated ? "~" : "";
    double elapsed = now_seconds() - p.started_at;
    double rate = elapsed > 0.5 ? read / elapsed : 0;
    double eta = (rate > 0 && total > 0) ? (total - read) / rate : -1;
    int percent = total > 0 ? static_cast<int>(100.0 * read / total) : 0;
    if (!live_) {
      log_event(spdlog::level::info, "progress",
                fmt::format("{}: {} / {}{} rows ({}%)", p.name, group_digits(read), about,
                            group_digits(total), percent),
                {{"table", p.name},
                 {"rows", read},
                 {"total", total},
                 {"total_estimated", p.total_estimated.load()},
                 {"written", p.written.load()},
                 {"rejected", p.rejected.load()},
                 {"rows_per_second", static_cast<long long>(rate)}});
      continue;
    }
    int width = 24;
    int filled = total > 0 ? static_cast<int>(width * std::min(1.0, double(read) / total)) : 0;
    text += fmt::format("\033[2K{:<24} [{}{}] {:>3}% {:>11}/{:<12} {:>9}/s  rejected {}  ETA {}\n",
                        p.name.substr(0, 24), std::string(filled, '#'),
                        std::string(width - filled, '.'), percent, group_digits(read),
                        about + group_digits(total), group_digits(static_cast<long long>(rate)),
                        group_digits(p.rejected), format_duration(eta));
    ++lines;
  }
  if (!live_) return;
  std::string erase;
  for (int i = 0; i < drawn_lines_; ++i) erase += "\033[1A\033[2K";
  if (final) {
    std::fputs(erase.c_str(), stderr);
    drawn_lines_ = 0;
  } else {
    std::fputs((erase + text).c_str(), stderr);
    drawn_lines_ = lines;
  }
  std::fflush(stderr);
}

}  // namespace mapengine
