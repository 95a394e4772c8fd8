#include "engine/report/markdown_report.h"

#include <fmt/format.h>

#include <cmath>

#include "engine/report/markdown_table.h"
#include "engine/validate/validation_result.h"

namespace mapengine::report {
namespace {

using validate::group_thousands;

std::string count(long long n) { return group_thousands(n); }

std::string duration(const std::optional<double>& s) { return s ? format_duration(*s) : "-"; }

// Inline code for names; backticks inside are dropped rather than escaped.
std::string code(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != '`') clean += c;
  }
  return "`" + clean + "`";
}

// A paragraph or list item wrapped at the line limit (markdown joins the lines again); a
// continuation line starts with `indent` so that a list item stays one item.
std::string wrap(std::string_view text, std::string_view indent = "") {
  std::string out, line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    if (!line.empty() && display_width(line) + 1 + display_width(word) > kMaxLineChars) {
      out += fit_line(line) + "\n";
      line = std::string(indent);
    }
    if (!line.empty() && line != indent) line += ' ';
    line += word;
    start = end + 1;
  }
  return out + fit_line(line) + "\n";
}

std::string status_word(bool ok) { return ok ? "PASS" : "FAIL"; }

std::string validation_cell(const TableReport& t) {
  if (!t.validation) return "not validated";
  std::string word = status_word(t.validation->ok);
  return t.validation->current ? word : word + " (before last apply)";
}

void verdict_section(const MigrationReport& report, std::string& out) {
  const Verdict& v = report.verdict;
  out += "## Verdict\n\n";
  out += wrap(fmt::format("**{}**: {}", v.ok ? "PASS" : "NOT DONE", v.headline)) + "\n";
  if (!report.tables.empty()) {
    out += fit_line(fmt::format("- all tables complete: {}", v.complete ? "yes" : "no")) + "\n";
    out += fit_line(fmt::format("- all tables validated after their last apply: {}",
                                v.validated ? "yes" : "no")) +
           "\n";
    out += fit_line(fmt::format("- every rejected row recorded with its reason: {}",
                                v.rejects_recorded ? "yes" : "no")) +
           "\n";
    out += fit_line(fmt::format("- every table's rejects within its max_rejects: {}",
                                v.rejects_accepted ? "yes" : "no")) +
           "\n";
  }
  if (!v.issues.empty()) {
    out += "\nTo do:\n\n";
    for (const auto& issue : v.issues) out += wrap("- " + issue, "  ");
  }
  out += "\n";
}

void tables_section(const MigrationReport& report, std::string& out) {
  out += "## Tables\n\n";
  if (report.tables.empty()) {
    out += "No mapping has been applied to this target.\n\n";
    return;
  }
  MarkdownTable table({{"#", true},
                       {"mapping", false, 1},
                       {"table", false, 1},
                       {"status"},
                       {"read", true},
                       {"written", true},
                       {"rejected", true},
                       {"skipped", true},
                       {"runs", true},
                       {"duration", true},
                       {"validation"}});
  for (const auto& t : report.tables) {
    table.add({std::to_string(t.order), t.mapping, t.table, t.status, count(t.read),
               count(t.written), count(t.rejected), count(t.skipped), std::to_string(t.runs.size()),
               format_duration(t.seconds), validation_cell(t)});
  }
  const Verdict& v = report.verdict;
  table.add({"", "**total**", "", "", count(v.read), count(v.written), count(v.rejected),
             count(v.skipped), "", "", ""});
  out += table.render() + "\n";
}

void order_section(const MigrationReport& report, std::string& out) {
  out += "## Dependency order\n\n";
  if (report.tables.empty()) {
    out += "Nothing to order.\n\n";
    return;
  }
  out += fit_line(fmt::format("From {}.", report.order_source)) + "\n\n";
  for (const auto& t : report.tables) {
    std::string after =
        t.depends_on.empty() ? "" : fmt::format(" (after {})", fmt::join(t.depends_on, ", "));
    out += fit_line(fmt::format("{}. {} -> {}{}", t.order, code(t.mapping), t.table, after)) + "\n";
  }
  out += "\n";
}

void files_section(const MigrationReport& report, std::string& out) {
  if (report.tables.empty()) return;
  out += "## Mapping files\n\n";
  MarkdownTable table({{"file", false, 1}, {"sha256 as applied"}, {"file now"}});
  for (const auto& t : report.tables) table.add({t.file, t.checksum, t.file_state});
  out += table.render() + "\n";
}

void runs_section(const MigrationReport& report, std::string& out) {
  out += "## Runs\n\n";
  if (report.runs.empty()) {
    out += "No run recorded.\n\n";
    return;
  }
  if (report.runs_total > static_cast<long long>(report.runs.size())) {
    out += fmt::format("The latest {} of {} runs.\n\n", report.runs.size(), report.runs_total);
  }
  MarkdownTable table({{"run", true},
                       {"command"},
                       {"status"},
                       {"started (UTC)"},
                       {"duration", true},
                       {"by", false, 1},
                       {"message", false, 1}});
  for (const auto& r : report.runs) {
    std::string started =
        r.started_at.size() > 4 ? r.started_at.substr(0, r.started_at.size() - 4) : r.started_at;
    table.add({std::to_string(r.run_id), r.command, r.status, started, duration(r.seconds),
               r.user + "@" + r.host, r.message});
  }
  out += table.render() + "\n";
}

void table_section(const TableReport& t, std::string& out) {
  out += fit_line(fmt::format("## {} -> {}", t.mapping, t.table)) + "\n\n";
  out += fit_line(fmt::format("- status: {}{}", t.status,
                              t.completed_at.empty() ? "" : ", completed " + t.completed_at)) +
         "\n";
  out += fit_line(fmt::format("- file: {} ({})", code(t.file), t.file_state)) + "\n";
  out += fit_line(fmt::format("- now: {} read, {} written, {} rejected, {} skipped", count(t.read),
                              count(t.written), count(t.rejected), count(t.skipped))) +
         "\n\n";

  out += "### Run history\n\n";
  if (t.runs.empty()) {
    out += "No run recorded.\n\n";
  } else {
    MarkdownTable runs({{"run", true},
                        {"started (UTC)"},
                        {"status"},
                        {"duration", true},
                        {"read", true},
                        {"written", true},
                        {"rejected", true},
                        {"skipped", true},
                        {"message", false, 1}});
    for (const auto& r : t.runs) {
      std::string started =
          r.started_at.size() > 4 ? r.started_at.substr(0, r.started_at.size() - 4) : r.started_at;
      runs.add({std::to_string(r.run_id), started, r.status, duration(r.seconds), count(r.read),
                count(r.written), count(r.rejected), count(r.skipped), r.message});
    }
    out += runs.render() + "\n";
  }

  out += "### Top reject reasons\n\n";
  if (t.reject_reasons.empty()) {
    out += "No row rejected.\n\n";
  } else {
    if (t.reject_groups > static_cast<long long>(t.reject_reasons.size())) {
      out += fmt::format("The {} most frequent of {} reasons.\n\n", t.reject_reasons.size(),
                         t.reject_groups);
    }
    MarkdownTable reasons({{"rows", true},
                           {"rule"},
                           {"column", false, 1},
                           {"reason", false, 1},
                           {"examples (legacy key)", false, 2}});
    for (const auto& r : t.reject_reasons) {
      reasons.add({count(r.rows), r.rule, r.column.empty() ? "-" : r.column, r.reason,
                   fmt::format("{}", fmt::join(r.examples, ", "))});
    }
    out += reasons.render() + "\n";
  }

  out += "### Latest validation\n\n";
  if (!t.validation) {
    out += "Not validated yet: run `mapengine validate` with this mapping.\n\n";
    return;
  }
  const LatestValidation& v = *t.validation;
  out += fit_line(fmt::format("**{}** at {} (run {}){}", status_word(v.ok), v.checked_at, v.run_id,
                              v.current ? "" : ": before the last apply, validate again")) +
         "\n\n";
  MarkdownTable checks({{"result"}, {"check", false, 1}, {"details", false, 1}});
  for (const auto& c : v.checks) checks.add({status_word(c.ok), c.label, c.summary});
  if (!checks.empty()) out += checks.render() + "\n";
}

}  // namespace

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  long long whole = std::llround(seconds);
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, (whole % 3600) / 60);
}

std::string render_markdown(const MigrationReport& report) {
  std::string out = "# Migration report\n\n";
  out += wrap(fmt::format("Generated {} from the target {}.", report.generated_at, report.target)) +
         "\n";
  verdict_section(report, out);
  tables_section(report, out);
  order_section(report, out);
  files_section(report, out);
  runs_section(report, out);
  for (const auto& t : report.tables) table_section(t, out);
  while (out.size() >= 2 && out.substr(out.size() - 2) == "\n\n") out.pop_back();
  return out;
}

}  // namespace mapengine::report
