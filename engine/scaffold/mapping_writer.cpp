#include "engine/scaffold/mapping_writer.h"

#include <fmt/format.h>

#include "engine/pg/quote.h"
#include "engine/scaffold/scaffold_text.h"

namespace mapengine::scaffold {
namespace {

constexpr size_t kWidth = 100;

void comment_lines(std::string& out, std::string_view indent, const std::string& text) {
  std::string line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t space = text.find(' ', pos);
    std::string word(
        text.substr(pos, space == std::string::npos ? std::string::npos : space - pos));
    pos = space == std::string::npos ? text.size() : space + 1;
    if (word.empty()) continue;
    if (!line.empty() && indent.size() + 2 + line.size() + 1 + word.size() > kWidth) {
      out += fmt::format("{}# {}\n", indent, line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += fmt::format("{}# {}\n", indent, line);
}

std::string column_body(const DraftColumn& c) {
  std::vector<std::string> parts;
  if (!c.generate.empty()) parts.push_back("generate: " + c.generate);
  if (!c.from.empty()) parts.push_back("from: " + flow_list(c.from));
  if (!c.steps.empty()) parts.push_back(fmt::format("transform: [{}]", fmt::join(c.steps, ", ")));
  if (!c.lookup.empty()) parts.push_back("lookup: " + c.lookup);
  return fmt::format("{{ {} }}", fmt::join(parts, ", "));
}

void render_column(std::string& out, const DraftColumn& c) {
  for (const auto& comment : c.comments) comment_lines(out, "  ", comment);
  if (!c.mapped) return;
  std::string line = fmt::format("  {}: {}", yaml_scalar(c.name), column_body(c));
  if (line.size() <= kWidth) {
    out += line + "\n";
    return;
  }
  out += fmt::format("  {}:\n", yaml_scalar(c.name));
  if (!c.generate.empty()) out += fmt::format("    generate: {}\n", c.generate);
  if (!c.from.empty()) out += fmt::format("    from: {}\n", flow_list(c.from));
  if (!c.steps.empty()) {
    std::string steps = fmt::format("    transform: [{}]", fmt::join(c.steps, ", "));
    if (steps.size() <= kWidth) {
      out += steps + "\n";
    } else {
      out += "    transform:\n";
      for (const auto& step : c.steps) out += fmt::format("      - {}\n", step);
    }
  }
  if (!c.lookup.empty()) out += fmt::format("    lookup: {}\n", c.lookup);
}

// A table name as the mapping format reads it: a part with a dot, a quote or an upper-case letter
// is double-quoted.
std::string mapping_table_name(const pg::QualifiedName& table) {
  return pg::written_name_part(table.schema) + "." + pg::written_name_part(table.name);
}

std::string select_text(const MappingDraft& d) {
  std::string out = "    SELECT ";
  std::string line = out;
  std::string text;
  for (size_t i = 0; i < d.select_list.size(); ++i) {
    std::string item = d.select_list[i] + (i + 1 < d.select_list.size() ? "," : "");
    if (line.size() > 11 && line.size() + 1 + item.size() > kWidth) {
      text += line + "\n";
      line = "           ";
    } else if (line.size() > 11) {
      line += " ";
    }
    line += item;
  }
  text += line + "\n";
  text += fmt::format("    FROM {}\n", d.from_clause);
  return text;
}

}  // namespace

std::string render_mapping(const MappingDraft& d) {
  std::string out = "# yaml-language-server: $schema=../schemas/mapping.schema.json\n";
  comment_lines(out, "",
                fmt::format("Scaffolded by `mapengine scaffold` from legacy table {} into {}. "
                            "Each comment says why its line is there; {}",
                            d.source_table.display(), d.table.display(),
                            d.todos == 0 ? std::string("nothing is left open: review, then run "
                                                       "`mapengine lint`.")
                                         : fmt::format("{} decision{} left open say{} TODO: settle "
                                                       "them, then run `mapengine lint`.",
                                                       d.todos, d.todos == 1 ? "" : "s",
                                                       d.todos == 1 ? "s" : "")));
  out += "version: 1\n";
  out += fmt::format("table: {}\n", yaml_scalar(mapping_table_name(d.table)));
  out += "source:\n";
  for (const auto& c : d.source_comments) comment_lines(out, "  ", c);
  out += "  query: |\n";
  out += select_text(d);
  out += fmt::format("  key: {}  # {}\n", flow_list(d.key), d.key_comment);
  const bool target_section =
      !d.legacy_key.empty() || d.id_column != "id" || !d.association_key.empty();
  if (target_section) {
    out += "target:\n";
    comment_lines(out, "  ", d.target_comment);
    if (!d.legacy_key.empty()) out += fmt::format("  legacy_key: {}\n", flow_list(d.legacy_key));
    if (!d.association_key.empty()) {
      out += fmt::format("  id_column: {}  # the target's primary key\n",
                         flow_list(d.association_key));
    } else if (d.id_column != "id") {
      out += fmt::format("  id_column: {}  # the target's primary key\n", yaml_scalar(d.id_column));
    }
  } else {
    comment_lines(out, "", d.target_comment);
  }
  out += "columns:\n";
  comment_lines(out, "  ",
                "In the target's column order. A line without a comment reads the legacy column "
                "of the same name, whose type fits as it is.");
  for (const auto& c : d.columns) render_column(out, c);
  for (const auto& line : d.trailer) comment_lines(out, "  ", line);
  return out;
}

}  // namespace mapengine::scaffold
