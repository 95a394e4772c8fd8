#include "engine/report/markdown_report.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <set>

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

// A paragraph or list item wrapped at the line limit (markdown joins the lines again); the
// text's leading spaces (a nested list item's) are kept, and a continuation line starts with
// `indent` so that a list item stays one item.
std::string wrap(std::string_view text, std::string_view indent = "") {
  size_t lead = text.find_first_not_of(' ');
  if (lead == std::string_view::npos) lead = text.size();
  std::string out, line(text.substr(0, lead));
  bool fresh = true;  // nothing but indentation on `line` yet
  size_t start = lead;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!fresh && display_width(line) + 1 + display_width(word) > kMaxLineChars) {
      out += fit_line(line) + "\n";
      line = std::string(indent);
      fresh = true;
    }
    if (!fresh) line += ' ';
    line += word;
    fresh = false;
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
    out += fit_line(fmt::format("- every mapping file given as it was applied: {}",
                                v.files_as_applied ? "yes" : "no")) +
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

// The folder every file is in, ending with '/' ("" when they share none).
std::string common_folder(const std::vector<TableReport>& tables) {
  std::string common;
  bool first = true;
  for (const auto& t : tables) {
    std::string folder = t.file.substr(0, t.file.rfind('/') + 1);
    if (first) {
      common = folder;
      first = false;
      continue;
    }
    size_t n = 0;
    while (n < common.size() && n < folder.size() && common[n] == folder[n]) ++n;
    common = common.substr(0, common.rfind('/', n == 0 ? 0 : n - 1) + 1);
    if (n == 0) common.clear();
  }
  return common;
}

void files_section(const MigrationReport& report, std::string& out) {
  if (report.tables.empty()) return;
  out += "## Mapping files\n\n";
  // A path is never cut (two cut paths could read the same); the checksum is, if anything.
  std::string folder = common_folder(report.tables);
  if (!folder.empty() && folder != "./") out += fmt::format("In {}:\n\n", code(folder));
  MarkdownTable table({{"file"}, {"sha256 as applied", false, 1}, {"file now"}});
  for (const auto& t : report.tables) {
    table.add({t.file.substr(folder.size()), t.checksum, t.file_state});
  }
  out += table.render() + "\n";
}


// A Mermaid node id for any name: letters, digits and '_' only.
std::string node_id(std::string_view name) {
  std::string id = "n_";
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return id;
}

// A Mermaid label: quotes and angle brackets as entities.
std::string node_label(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"') {
      out += "#quot;";
    } else if (c == '<') {
      out += "#lt;";
    } else if (c == '>') {
      out += "#gt;";
    } else {
      out += c;
    }
  }
  return out;
}

void graph_section(const MigrationReport& report, std::string& out) {
  if (report.tables.empty()) return;
  out += "## Dependency graph\n\n";
  out += wrap("An arrow goes from a table to the tables that need it first; a dotted one from a "
              "table migrated earlier (rounded) to the tables whose lookups read it.") +
         "\n";
  out += "```mermaid\nflowchart LR\n";
  std::set<std::string> known;
  for (const auto& t : report.tables) known.insert(t.mapping);
  std::set<std::string> others;
  for (const auto& t : report.tables) {
    out += fmt::format("  {}[\"{}\"]\n", node_id(t.mapping), node_label(t.mapping));
    for (const auto& dep : t.depends_on) {
      if (!known.count(dep)) others.insert(dep);
    }
    for (const auto& read : t.migrated_lookups) {
      if (!known.count(read)) others.insert(read);
    }
  }
  // Tables migrated earlier (or not recorded on this target): a rounded node.
  for (const auto& other : others) {
    out += fmt::format("  {}([\"{}\"])\n", node_id(other), node_label(other));
  }
  for (const auto& t : report.tables) {
    for (const auto& dep : t.depends_on) {
      out += fmt::format("  {} --> {}\n", node_id(dep), node_id(t.mapping));
    }
    for (const auto& read : t.migrated_lookups) {
      out += fmt::format("  {} -.-> {}\n", node_id(read), node_id(t.mapping));
    }
  }
  out += "```\n\n";
}

std::string rate(double rows_per_second) {
  return count(static_cast<long long>(std::llround(rows_per_second)));
}

void throughput_section(const MigrationReport& report, std::string& out) {
  if (report.tables.empty()) return;
  const Throughput& tp = report.throughput;
  out += "## Time and throughput\n\n";
  if (tp.apply_runs == 0) {
    out += "No apply run has finished.\n\n";
  } else {
    out += wrap(fmt::format(
               "{} apply run(s) took {} in all, from {} to {}: {} rows written, {} rows per "
               "second.",
               tp.apply_runs, format_duration(tp.apply_seconds), tp.first_started,
               tp.last_finished, count(report.verdict.written), rate(tp.rows_per_second))) +
           "\n";
  }
  // Rows written per second of each table's own apply time (its runs' durations).
  double widest = 0;
  for (const auto& t : report.tables) {
    if (t.seconds > 0) widest = std::max(widest, double(t.written) / t.seconds);
  }
  MarkdownTable table({{"table", false, 1},
                       {"written", true},
                       {"apply time", true},
                       {"rows/s", true},
                       {"", false}});
  std::vector<std::string> names, values;
  for (const auto& t : report.tables) {
    double per_second = t.seconds > 0 ? double(t.written) / t.seconds : 0;
    int bar = widest > 0 ? static_cast<int>(std::lround(per_second / widest * 30)) : 0;
    std::string bars;
    for (int i = 0; i < bar; ++i) bars += "█";
    table.add({t.mapping, count(t.written), format_duration(t.seconds), rate(per_second), bars});
    names.push_back(fmt::format("\"{}\"", node_label(t.mapping)));
    values.push_back(fmt::format("{}", std::llround(per_second)));
  }
  out += table.render() + "\n";
  out += "```mermaid\nxychart-beta\n  title \"Rows written per second\"\n";
  out += fmt::format("  x-axis [{}]\n", fmt::join(names, ", "));
  out += "  y-axis \"rows/s\"\n";
  out += fmt::format("  bar [{}]\n", fmt::join(values, ", "));
  out += "```\n\n";
}

void migrated_section(const MigrationReport& report, std::string& out) {
  if (report.migrated.empty()) return;
  out += "## Tables migrated earlier\n\n";
  out += wrap("Filled before mapengine and declared as migrated in the mapping files: lookups "
              "resolve into them, mapengine never writes them. Their rows now:") +
         "\n";
  MarkdownTable table({{"table", false, 1}, {"name in lookups", false, 1}, {"legacy key"},
                       {"rows", true}});
  long long total = 0;
  for (const auto& m : report.migrated) {
    table.add({m.table, m.name, fmt::format("{}", fmt::join(m.legacy_key_columns, ", ")),
               m.rows ? count(*m.rows) : "table not found"});
    total += m.rows.value_or(0);
  }
  table.add({"**total**", "", "", count(total)});
  out += table.render() + "\n";
}

void id_map_section(const MigrationReport& report, std::string& out) {
  if (report.tables.empty()) return;
  out += "## Id map\n\n";
  out += wrap("Which new id each legacy key became: on the target, the view "
              "`mapengine.id_maps (mapping, legacy_key, new_id)` presents every mapping's map "
              "(all text; a composite legacy key as a JSON array of its parts as text, "
              "`[\"17\", \"admin\"]`). A mapping with "
              "`target.legacy_key` keeps the legacy key in its own table, which the view reads; "
              "one without keeps the pairs in `mapengine.id_map`.") +
         "\n";
  std::string example;  // the first mapping's name inside an SQL literal
  for (char c : report.tables.front().mapping) {
    if (c == '\'') example += '\'';
    example += c;
  }
  out += "```sql\n";
  out += fmt::format("SELECT new_id FROM mapengine.id_maps WHERE mapping = '{}' AND legacy_key = "
                     "'17';\n",
                     example);
  out += "SELECT mapping, count(*) FROM mapengine.id_maps GROUP BY mapping;\n```\n\n";
  MarkdownTable table(
      {{"mapping", false, 1}, {"kept in", false, 1}, {"id column"}, {"entries", true}});
  for (const auto& t : report.tables) {
    std::string kept = t.legacy_key_columns.empty()
                           ? "mapengine.id_map"
                           : fmt::format("{} ({})", t.table, fmt::join(t.legacy_key_columns, ", "));
    table.add({t.mapping, kept, t.id_column,
               t.id_map_entries ? count(*t.id_map_entries) : "no view"});
  }
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
  if (t.waiting_refs > 0) {
    out += wrap(fmt::format("- {} deferred references wait for a mapping not applied yet: apply "
                            "it to fill them",
                            count(t.waiting_refs)),
                "  ");
  }
  out += fit_line(fmt::format("- time: {}, {} rows written per second", format_duration(t.seconds),
                              rate(t.seconds > 0 ? double(t.written) / t.seconds : 0))) +
         "\n";
  out += fit_line(fmt::format("- file: {} ({})", code(t.file), t.file_state)) + "\n";
  out += fit_line(fmt::format("- now: {} read, {} written, {} rejected, {} skipped", count(t.read),
                              count(t.written), count(t.rejected), count(t.skipped))) +
         "\n";
  if (t.retired > 0) {
    out += wrap(fmt::format("- retired: {} row(s) deleted in the source kept by following "
                            "(on_delete: {}), not among the figures above",
                            count(t.retired), t.retired_policies),
                "  ");
  }
  out += "\n";

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
    // A list, not a table: a reason is never cut (the constraint's name and the value are in
    // it); the group's pattern, then the whole reason of its first reject and the examples.
    for (const auto& r : t.reject_reasons) {
      out += wrap(fmt::format("- **{} {}**, rule {}, column {}: {}", count(r.rows),
                              r.rows == 1 ? "row" : "rows", code(r.rule),
                              r.column.empty() ? "-" : code(r.column), escape_cell(r.reason)),
                  "  ");
      if (!r.first.empty() && r.first != r.reason) {
        out += wrap(fmt::format("  - first: {}", escape_cell(r.first)), "    ");
      }
      if (!r.examples.empty()) {
        out += wrap(fmt::format("  - examples (legacy key): {}",
                                escape_cell(fmt::format("{}", fmt::join(r.examples, ", ")))),
                    "    ");
      }
    }
    out += "\n";
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
  out += wrap(fmt::format("Generated {}{} from the target {}.", report.generated_at,
                          report.version.empty() ? "" : fmt::format(" by {}", report.version),
                          report.target)) +
         "\n";
  if (!report.source.empty()) out += wrap(fmt::format("- source: {}", code(report.source)), "  ");
  if (!report.target_url.empty()) {
    out += wrap(fmt::format("- target: {}", code(report.target_url)), "  ");
  }
  if (!report.source.empty() || !report.target_url.empty()) out += "\n";
  verdict_section(report, out);
  tables_section(report, out);
  throughput_section(report, out);
  order_section(report, out);
  graph_section(report, out);
  migrated_section(report, out);
  id_map_section(report, out);
  files_section(report, out);
  runs_section(report, out);
  for (const auto& t : report.tables) table_section(t, out);
  while (out.size() >= 2 && out.substr(out.size() - 2) == "\n\n") out.pop_back();
  return out;
}

}  // namespace mapengine::report
