#include "engine/apply/progress_display.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

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

// Terminal columns a UTF-8 string takes (one per code point; mapping names are not wide).
int columns_of(std::string_view text) {
  int n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The first `width` columns of `text`, ".." marking a cut.
std::string cut_to(std::string_view text, int width) {
  if (columns_of(text) <= width) return std::string(text);
  int keep = width > 4 ? width - 2 : std::max(0, width);
  std::string out;
  int n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts && n++ == keep) break;
    out += text[i];
  }
  if (width > 4) out += "..";
  return out;
}

std::string pad_right(std::string text, int width) {
  int n = columns_of(text);
  if (n < width) text.append(width - n, ' ');
  return text;
}

std::string pad_left(const std::string& text, int width) {
  int n = columns_of(text);
  return n < width ? std::string(width - n, ' ') + text : text;
}

struct TerminalSize {
  int columns = 80;
  int rows = 24;
};

TerminalSize terminal_size() {
  TerminalSize size;
  struct winsize ws {};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    size.columns = ws.ws_col;
    if (ws.ws_row > 0) size.rows = ws.ws_row;
  } else if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    size.columns = std::max(20, std::atoi(columns));
  }
  return size;
}

// The text columns of one line, apart from the name and the bar.
enum Column { kPercent, kCounts, kRate, kRejected, kEta, kColumns };

struct Fields {
  std::string column[kColumns];
  double fraction = -1;  // of the bar; -1: unknown
};

Fields fields_of(const ProgressLine& line) {
  Fields f;
  long long total = line.total;
  // An estimate can fall short of the rows read so far.
  if (total >= 0 && total < line.read) total = line.read;
  if (total > 0) f.fraction = std::min(1.0, double(line.read) / double(total));
  if (total == 0) f.fraction = 1;
  f.column[kPercent] = f.fraction >= 0 ? fmt::format("{}%", static_cast<int>(100 * f.fraction))
                                       : std::string("?%");
  f.column[kCounts] =
      total >= 0 ? fmt::format("{}/{}{}{}", group_digits(line.read),
                               line.total_estimated ? "~" : "", group_digits(total),
                               line.total_partial ? "+" : "")
                 : group_digits(line.read);
  f.column[kRate] = fmt::format("{}/s", group_digits(static_cast<long long>(line.rate)));
  f.column[kRejected] = fmt::format("rej {}", group_digits(line.rejected));
  double eta = (line.rate > 0 && total >= 0) ? double(total - line.read) / line.rate : -1;
  f.column[kEta] = fmt::format("ETA {}", format_duration(eta));
  return f;
}

struct Layout {
  bool bar;
  std::vector<Column> columns;
};

// From the richest to the plainest; the first that fits the width is used.
const std::vector<Layout>& layouts() {
  static const std::vector<Layout> all = {
      {true, {kPercent, kCounts, kRate, kRejected, kEta}},
      {true, {kPercent, kCounts, kRate, kEta}},
      {true, {kPercent, kCounts, kEta}},
      {false, {kPercent, kCounts, kEta}},
      {false, {kPercent, kEta}},
      {false, {kPercent}},
  };
  return all;
}

constexpr int kBarMin = 10, kBarMax = 30, kNameMax = 28, kNameMin = 10;

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

int terminal_columns() { return terminal_size().columns; }

std::vector<std::string> format_progress_lines(const std::vector<ProgressLine>& mappings,
                                               const ProgressLine& overall, int width,
                                               bool color) {
  std::vector<const ProgressLine*> lines;
  for (const auto& line : mappings) lines.push_back(&line);
  lines.push_back(&overall);
  std::vector<Fields> fields;
  int name_width = 1;
  int column_width[kColumns] = {};
  for (const ProgressLine* line : lines) {
    fields.push_back(fields_of(*line));
    name_width = std::max(name_width, std::min(kNameMax, columns_of(line->name)));
    for (int c = 0; c < kColumns; ++c) {
      column_width[c] = std::max(column_width[c], columns_of(fields.back().column[c]));
    }
  }
  column_width[kPercent] = std::max(column_width[kPercent], 4);  // "100%": the bar keeps still
  const int room = std::max(1, width - 1);
  const Layout* chosen = &layouts().back();
  int bar_width = 0;
  for (const Layout& layout : layouts()) {
    int fixed = 0;
    for (Column c : layout.columns) fixed += 1 + column_width[c];
    int bar_room = layout.bar ? kBarMin + 3 : 0;  // "[...]" and a space
    if (fixed + bar_room + std::min(name_width, kNameMin) <= room) {
      chosen = &layout;
      name_width = std::min(name_width, room - fixed - bar_room);
      if (layout.bar) {
        bar_width = std::clamp(room - fixed - name_width - 3, kBarMin, kBarMax);
      }
      break;
    }
  }
  if (chosen == &layouts().back()) {
    name_width = std::min(name_width, std::max(1, room - 1 - column_width[kPercent]));
  }

  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Fields& f = fields[i];
    std::string plain = pad_right(cut_to(lines[i]->name, name_width), name_width);
    std::string shown = plain;
    if (chosen->bar) {
      int filled = f.fraction >= 0 ? static_cast<int>(bar_width * f.fraction) : 0;
      std::string done(filled, '#'), left(bar_width - filled, '.');
      // fmt, not `" [" + text`: GCC 12 at -O2 reports a false -Wrestrict there (bug 105651).
      plain += fmt::format(" [{}{}]", done, left);
      shown += color && filled > 0 ? fmt::format(" [\033[32m{}\033[0m{}]", done, left)
                                   : fmt::format(" [{}{}]", done, left);
    }
    for (Column c : chosen->columns) {
      std::string text = fmt::format(" {}", c == kRejected || c == kEta
                                                 ? pad_right(f.column[c], column_width[c])
                                                 : pad_left(f.column[c], column_width[c]));
      plain += text;
      shown += text;
    }
    // Trailing padding is not needed, and nothing may reach the last column.
    while (!plain.empty() && plain.back() == ' ') plain.pop_back();
    if (columns_of(plain) > room) {
      out.push_back(cut_to(plain, room));
      continue;
    }
    while (!shown.empty() && shown.back() == ' ') shown.pop_back();
    out.push_back(color ? shown : plain);
  }
  return out;
}

std::chrono::milliseconds plain_interval() {
  const char* ms = std::getenv("MAPENGINE_PROGRESS_INTERVAL_MS");
  long long value = ms != nullptr ? std::atoll(ms) : 0;
  return std::chrono::milliseconds(value > 0 ? value : 10000);
}

ProgressDisplay::ProgressDisplay(const std::deque<MappingProgress>& progress, bool live)
    : progress_(progress),
      live_(live),
      color_(std::getenv("NO_COLOR") == nullptr || *std::getenv("NO_COLOR") == '\0'),
      started_at_(now_seconds()) {
  if (live_) {
    std::lock_guard lock(console_mutex());
    set_live_area(this);
  }
  thread_ = std::thread([this] { loop(); });
}

ProgressDisplay::~ProgressDisplay() { stop(); }

void ProgressDisplay::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!live_) return;
  std::lock_guard lock(console_mutex());
  std::string erase = erase_text();
  frame_.clear();
  frame_columns_.clear();
  set_live_area(nullptr);
  std::fputs(erase.c_str(), stderr);
  std::fflush(stderr);
}

void ProgressDisplay::loop() {
  std::unique_lock lock(mutex_);
  auto interval = live_ ? std::chrono::milliseconds(250) : plain_interval();
  while (!wake_.wait_for(lock, interval, [&] { return stopping_; })) {
    if (live_) {
      draw();
    } else {
      log_progress();
    }
  }
}

std::vector<ProgressLine> ProgressDisplay::snapshot(ProgressLine& overall) const {
  double now = now_seconds();
  std::vector<ProgressLine> lines;
  int finished = 0;
  overall.total = 0;
  overall.total_estimated = false;
  for (const MappingProgress& p : progress_) {
    long long read = p.read, total = p.total;
    overall.read += read;
    overall.rejected += p.rejected;
    if (p.finished) {
      ++finished;
      overall.total += read;
    } else if (total >= 0) {
      overall.total += std::max(total, read);
      overall.total_estimated = overall.total_estimated || p.total_estimated;
    } else {
      overall.total_partial = true;
    }
    if (!p.running) continue;
    ProgressLine line;
    line.name = p.name;
    line.read = read;
    line.total = total;
    line.total_estimated = p.total_estimated;
    line.rejected = p.rejected;
    double elapsed = now - p.started_at;
    line.rate = elapsed > 0.5 ? double(read) / elapsed : 0;
    lines.push_back(std::move(line));
  }
  overall.name = fmt::format("all {}/{}", finished, progress_.size());
  double elapsed = now - started_at_;
  overall.rate = elapsed > 0.5 ? double(overall.read) / elapsed : 0;
  return lines;
}

void ProgressDisplay::draw() {
  ProgressLine overall;
  std::vector<ProgressLine> mappings = snapshot(overall);
  TerminalSize size = terminal_size();
  // The live area never scrolls: it keeps to the screen's height.
  size_t max_mappings = static_cast<size_t>(std::max(0, size.rows - 2));
  if (mappings.size() > max_mappings) mappings.resize(max_mappings);
  std::vector<std::string> lines = format_progress_lines(mappings, overall, size.columns, color_);
  std::lock_guard lock(console_mutex());
  std::string out = erase_text();
  frame_ = std::move(lines);
  frame_columns_.clear();
  for (const auto& line : frame_) {
    // The plain width: colour sequences take no column.
    int columns = 0;
    bool escape = false;
    for (unsigned char c : line) {
      if (c == '\033') escape = true;
      if (!escape && (c & 0xC0) != 0x80) ++columns;
      if (escape && c == 'm') escape = false;
    }
    frame_columns_.push_back(columns);
  }
  out += redraw_text();
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

std::string ProgressDisplay::erase_text() {
  if (frame_.empty()) return "";
  // A terminal that narrowed since re-flows each line over more rows.
  int columns = terminal_size().columns;
  int rows = 0;
  for (int width : frame_columns_) rows += std::max(1, (width + columns - 1) / columns);
  return fmt::format("\r\033[{}A\033[J", rows);
}

std::string ProgressDisplay::redraw_text() {
  std::string out;
  for (const auto& line : frame_) out += line + "\n";
  return out;
}

void ProgressDisplay::log_progress() {
  ProgressLine overall;
  for (const ProgressLine& p : snapshot(overall)) {
    Fields f = fields_of(p);
    log_event(spdlog::level::info, "progress",
              fmt::format("{}: {} rows ({}), {}, {} rejected, {}", p.name, f.column[kCounts],
                          f.column[kPercent], f.column[kRate], group_digits(p.rejected),
                          f.column[kEta]),
              {{"table", p.name},
               {"rows", p.read},
               {"total", p.total},
               {"total_estimated", p.total_estimated},
               {"rejected", p.rejected},
               {"rows_per_second", static_cast<long long>(p.rate)}});
  }
  Fields f = fields_of(overall);
  log_event(spdlog::level::info, "progress_total",
            fmt::format("{} mappings done: {} rows ({}), {}, {}", overall.name.substr(4),
                        f.column[kCounts], f.column[kPercent], f.column[kRate], f.column[kEta]),
            {{"rows", overall.read},
             {"total", overall.total},
             {"total_partial", overall.total_partial},
             {"rejected", overall.rejected},
             {"rows_per_second", static_cast<long long>(overall.rate)}});
}

}  // namespace mapengine
