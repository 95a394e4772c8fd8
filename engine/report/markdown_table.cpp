#include "engine/report/markdown_table.h"

#include <algorithm>

#include "engine/validate/validation_result.h"

namespace mapengine::report {
namespace {

size_t width_of(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Cuts an escaped cell to at most `chars` characters, "…" included, without splitting an escape
// ("\|", "&lt;") or a UTF-8 sequence.
std::string cut_cell(const std::string& cell, size_t chars) {
  std::string out;
  size_t count = 0;
  for (size_t i = 0; i < cell.size();) {
    size_t step = 1;
    if (cell[i] == '\\' && i + 1 < cell.size()) {
      step = 2;
    } else if (cell.compare(i, 4, "&lt;") == 0) {
      step = 4;
    } else {
      while (i + step < cell.size() &&
             (static_cast<unsigned char>(cell[i + step]) & 0xC0) == 0x80) {
        ++step;
      }
    }
    size_t width = width_of(std::string_view(cell).substr(i, step));
    if (count + width + 1 > chars) break;
    out.append(cell, i, step);
    count += width;
    i += step;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() >= 3 && out.compare(out.size() - 3, 3, "…") == 0) return out;  // no "……"
  return out + "…";
}

std::string render_row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const auto& c : cells) line += " " + c + " |";
  return line;
}

}  // namespace

size_t display_width(std::string_view text) { return width_of(text); }

std::string escape_cell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '<':
        out += "&lt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fit_line(std::string_view text, size_t max_chars) {
  return validate::shorten(text, max_chars);
}

std::string MarkdownTable::render(size_t max_line) const {
  std::string out = render_row([&] {
    std::vector<std::string> headers;
    for (const auto& c : columns_) headers.push_back(escape_cell(c.header));
    return headers;
  }());
  out += "\n|";
  for (const auto& c : columns_) out += c.right ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : rows_) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < columns_.size(); ++i) {
      cells.push_back(i < row.size() ? escape_cell(row[i]) : std::string());
    }
    // Shrink the widest shrinkable cell until the line fits (or nothing can shrink further).
    for (;;) {
      size_t width = display_width(render_row(cells));
      if (width <= max_line) break;
      size_t widest = SIZE_MAX;
      for (size_t i = 0; i < cells.size(); ++i) {
        if (columns_[i].shrink == 0 || display_width(cells[i]) <= 8) continue;
        if (widest == SIZE_MAX || columns_[i].shrink > columns_[widest].shrink ||
            (columns_[i].shrink == columns_[widest].shrink &&
             display_width(cells[i]) > display_width(cells[widest]))) {
          widest = i;
        }
      }
      if (widest == SIZE_MAX) break;
      size_t current = display_width(cells[widest]);
      size_t target = std::max<size_t>(8, current - std::min(current - 8, width - max_line));
      cells[widest] = cut_cell(cells[widest], target);
      if (display_width(cells[widest]) >= current) break;
    }
    out += render_row(cells) + "\n";
  }
  return out;
}

}  // namespace mapengine::report
