// MarkdownTable: a GitHub-flavoured markdown table that stays readable in a terminal and in a
// diff: cells are escaped (| and line breaks, HTML-looking <), numbers are right-aligned, and no
// line is longer than a limit: shrinkable cells are cut with "…" until the row fits, the
// highest-ranked (least important) first, the widest first among equals.
//
// Thread-safety: plain value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mapengine::report {

inline constexpr size_t kMaxLineChars = 120;

class MarkdownTable {
 public:
  struct Column {
    std::string header;
    bool right = false;  // right-aligned (numbers)
    int shrink = 0;      // 0: never cut; otherwise cut to fit the line, higher ranks first
  };
  explicit MarkdownTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  void add(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  std::string render(size_t max_line = kMaxLineChars) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// A cell's text: | escaped, line breaks and tabs as spaces, < as &lt;.
std::string escape_cell(std::string_view text);
// Characters (not bytes) in UTF-8 text.
size_t display_width(std::string_view text);
// Cuts a line of text to `max_chars` characters with "…".
std::string fit_line(std::string_view text, size_t max_chars = kMaxLineChars);

}  // namespace mapengine::report
