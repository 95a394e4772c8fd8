// The text and JSON forms of a MappingExplanation. Both carry the same content; the text is for
// a person reading a terminal, the JSON (stable key order) for tools and golden tests.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "engine/explain/mapping_explanation.h"

namespace mapengine::explain {
namespace {

using Json = nlohmann::ordered_json;

// Every line of `sql` indented by `indent` (multi-line source queries stay readable).
std::string indented(const std::string& sql, std::string_view indent) {
  std::string out;
  size_t start = 0;
  while (start <= sql.size()) {
    size_t end = sql.find('\n', start);
    std::string_view line = std::string_view(sql).substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    out += line.empty() ? std::string("\n") : fmt::format("{}{}\n", indent, line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string list(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

std::string placeholders(std::string_view prefix, const std::vector<std::string>& key) {
  std::vector<std::string> names;
  for (const auto& k : key) names.push_back(fmt::format("{}{}", prefix, k));
  return list(names);
}

std::string column_source(const ExplainedColumn& c) {
  if (c.source == "generate") {
    if (!c.from.empty()) return fmt::format("generate {} (time from {})", c.generate, list(c.from));
    return c.uuid_namespace.empty()
               ? fmt::format("generate {}", c.generate)
               : fmt::format("generate {} (namespace {})", c.generate, c.uuid_namespace);
  }
  if (c.source == "value") {
    return c.value ? fmt::format("value '{}'", *c.value) : std::string("value NULL");
  }
  std::vector<std::string> parts;
  for (size_t i = 0; i < c.from.size(); ++i) {
    parts.push_back(i < c.source_types.size() ? fmt::format("{} ({})", c.from[i], c.source_types[i])
                                              : c.from[i]);
  }
  return "from " + list(parts);
}

std::string lookup_line(const ExplainedLookup& l) {
  std::string line = fmt::format("{}: {}{}, on_missing {}", l.written, l.resolved,
                                 l.self ? " (self-reference)" : "", l.on_missing);
  if (l.default_value) line += fmt::format(" (default '{}')", *l.default_value);
  return line;
}

// The legacy side: the key and the statements that read it.
void write_source_text(const MappingExplanation& e, std::string& out) {
  out += "\nsource (legacy database)\n";
  out += fmt::format("  key: {}\n", list(e.key));
  if (e.database) {
    if (e.estimated_source_rows) {
      out +=
          fmt::format("  estimated rows: {} (the planner's estimate)\n", *e.estimated_source_rows);
    } else {
      out += fmt::format("  estimated rows: unknown ({})\n", e.source_error);
    }
  }
  out += fmt::format("  first chunk, at most {} rows per statement:\n", e.chunk_rows);
  out += indented(e.first_chunk_sql, "    ");
  out += fmt::format(
      "  next chunks and a resumed run continue after the last key read ({} = its "
      "text, sent as a quoted literal):\n",
      placeholders(kLastKeyPrefix, e.key));
  out += indented(e.resume_sql, "    ");
}

// Each lookup and the statement that loads it.
void write_lookups_text(const MappingExplanation& e, std::string& out) {
  out += "\nlookups (each loaded once per run from the target into memory)\n";
  if (e.lookups.empty()) out += "  none\n";
  for (const auto& l : e.lookups) {
    out += fmt::format("  {} <- {}\n", l.column, lookup_line(l));
    if (l.self) {
      out += "    resolved against this table's own rows (see self-references)\n";
      continue;
    }
    out += indented(l.load_sql, "    ");
    if (e.database) {
      out += l.entries ? fmt::format("    entries: {}\n", *l.entries)
                       : fmt::format("    entries: unknown ({})\n", l.error);
    }
  }
}

// Each target column and the steps that make its value.
void write_columns_text(const MappingExplanation& e, std::string& out) {
  out += "\ncolumns (in COPY order; each step: type read -> type written)\n";
  for (const auto& c : e.columns) {
    out += fmt::format("  {} <- {}\n", c.name, column_source(c));
    int n = 0;
    for (const auto& s : c.steps) {
      out += fmt::format("    {}. {}: {} -> {}{}\n", ++n, s.written, s.input, s.output,
                         s.combiner ? " (combines the inputs)" : "");
    }
    if (c.lookup) out += fmt::format("    {}. lookup {}\n", ++n, lookup_line(*c.lookup));
    const bool as_read = c.source == "from" && c.from.size() == 1 && c.steps.empty() && !c.lookup;
    std::string writes = as_read ? std::string("    passes the value through as read")
                                 : fmt::format("    writes {}", c.output);
    if (!c.target_type.empty()) writes += fmt::format(" into {}", c.target_type);
    out += writes + "\n";
  }
}

// How a batch is written: strategy, statements, bulk mode, key ranges.
void write_write_text(const MappingExplanation& e, std::string& out) {
  out += fmt::format(
      "\nwrite (one target transaction per batch of {} rows: rows, rejects, id map "
      "and checkpoint commit together)\n",
      e.batch_size);
  if (e.write_strategy == "copy") {
    out +=
        "  strategy: COPY straight into the table (mode insert: a row the table refuses is "
        "rejected, the rest is written)\n";
  } else {
    out += fmt::format(
        "  strategy: COPY into a staging table, then INSERT ... ON CONFLICT ({}) "
        "{} (mode {})\n",
        list(e.conflict_columns),
        e.mode == "upsert" ? "updates the existing row" : "keeps the existing row", e.mode);
  }
  for (const auto& sql : e.write_sql) out += indented(sql, "    ");
  if (e.copy_format.empty()) {
    out +=
        "  rows go in COPY's binary format (FORMAT binary) when every target column's type has "
        "an encoder, a batch with a value it does not take as text (explain --db tells which)\n";
  } else if (e.copy_format == "binary") {
    out += "  rows go in COPY's binary format (FORMAT binary); a batch with a value the encoder "
           "does not take goes as text\n";
  } else {
    out += fmt::format("  rows go as COPY text: {}\n", e.copy_format);
  }
  if (e.bulk != spec::BulkMode::kOff) {
    out += fmt::format(
        "  bulk load (the table must be empty at the start): its {} set aside before the first "
        "batch, their DDL kept in mapengine.bulk_definitions, and re-created after the last: "
        "ALTER TABLE ... ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT{}; rows a key "
        "refuses become rejects\n",
        e.bulk == spec::BulkMode::kWithIndexes
            ? "foreign keys and non-unique secondary indexes are"
            : "foreign keys are",
        e.bulk == spec::BulkMode::kWithIndexes ? ", the indexes rebuilt" : "");
  }
  if (e.parallel <= 1) {
    out += "  key ranges: 1 (the whole key space in order)\n";
  } else {
    out += fmt::format(
        "  key ranges: {}, loaded concurrently, each with its own checkpoint; split "
        "at the first run into ranges of about equal row counts. A range reads "
        "({} .. {}, the range's bounds; the first has no lower, the last no upper "
        "bound):\n",
        e.parallel, placeholders(kLowerPrefix, e.key), placeholders(kUpperPrefix, e.key));
    for (const auto& sql : e.range_sql) out += indented(sql, "    ");
  }
}

bool follows_by_default(const spec::FollowSpec& follow) {
  return follow.on_delete == spec::DeletePolicy::kDelete && follow.also.empty();
}

std::string join_text(const spec::JoinedTable& joined) {
  std::vector<std::string> pairs;
  for (const auto& [driving, column] : joined.join) {
    pairs.push_back(fmt::format("{} = {}.{}", driving, joined.table.display(), column));
  }
  return fmt::format("{}", fmt::join(pairs, " AND "));
}

// What `mapengine sync` does beyond its defaults: follow.on_delete and follow.also.
void write_follow_text(const MappingExplanation& e, std::string& out) {
  if (follows_by_default(e.follow)) return;
  out += "\nfollowing (mapengine sync)\n";
  switch (e.follow.on_delete) {
    case spec::DeletePolicy::kDelete:
      out += "  a key the query no longer returns (deleted, or filtered out): its row is "
             "deleted\n";
      break;
    case spec::DeletePolicy::kKeep:
      out += "  a key the query no longer returns (deleted, or filtered out): its row is kept as "
             "it was, recorded in mapengine.retired (validate counts it apart)\n";
      break;
    case spec::DeletePolicy::kMark:
      out += fmt::format(
          "  a key the query no longer returns (deleted, or filtered out): its row is kept and "
          "{} set (true, or the time), recorded in mapengine.retired (validate counts it "
          "apart); cleared when the query returns the key again\n",
          e.follow.mark_column);
      break;
  }
  for (const auto& joined : e.follow.also) {
    out += fmt::format(
        "  a change of a row of {} re-evaluates the keys whose driving row has {}\n",
        joined.table.display(), join_text(joined));
  }
}

// Where legacy key -> new id is kept.
void write_id_map_text(const MappingExplanation& e, std::string& out) {
  out += "\nid map\n";
  if (e.id_map == "legacy_column") {
    out += fmt::format(
        "  the target keeps the legacy key in {}: lookups into {} match it; "
        "nothing is written to mapengine.id_map\n",
        list(e.legacy_key_columns), e.table);
  } else {
    out += fmt::format(
        "  mapengine.id_map keeps legacy key -> new id (column {}) of every row "
        "written, in the batch's transaction\n",
        e.id_column);
  }
}

// Columns that point into the same table.
void write_self_references_text(const MappingExplanation& e, std::string& out) {
  out += "\nself-references\n";
  if (e.self_references.empty()) out += "  none\n";
  for (const auto& s : e.self_references) {
    out += fmt::format(
        "  {}: written NULL and parked in mapengine.pending_refs with its batch; "
        "once every key range is written, one UPDATE sets it through {}; "
        "on_missing {}\n",
        s.column, s.through, s.on_missing);
  }
}

// Where the mapping runs in the dependency order.
void write_plan_text(const MappingExplanation& e, std::string& out) {
  out += fmt::format("\ndependency order (plan over {})\n", e.plan_folder);
  if (!e.plan_error.empty()) out += fmt::format("  unavailable: {}\n", e.plan_error);
  for (const auto& p : e.plan) {
    out += fmt::format("  {}. {} -> {}{}{}\n", p.position, p.name, p.table,
                       p.depends_on.empty() ? "" : fmt::format(" (after {})", list(p.depends_on)),
                       p.position == e.plan_position ? "   <- this mapping" : "");
  }
  if (!e.migrated_used.empty()) {
    out +=
        fmt::format("  reads migrated tables (ready from the start): {}\n", list(e.migrated_used));
  }
}

Json lookup_json(const ExplainedLookup& l, bool database) {
  Json j;
  j["column"] = l.column;
  j["lookup"] = l.written;
  j["resolved"] = l.resolved;
  j["on_missing"] = l.on_missing;
  if (l.default_value) j["default"] = *l.default_value;
  j["self"] = l.self;
  if (!l.self) j["load_sql"] = l.load_sql;
  if (database && !l.self) {
    j["entries"] = l.entries ? Json(*l.entries) : Json(nullptr);
    if (!l.error.empty()) j["error"] = l.error;
  }
  return j;
}

Json source_json(const MappingExplanation& e) {
  Json source;
  source["key"] = e.key;
  source["query"] = e.source_query;
  source["chunk_rows"] = e.chunk_rows;
  source["first_chunk_sql"] = e.first_chunk_sql;
  source["resume_sql"] = e.resume_sql;
  source["resume_placeholders"] = placeholders(kLastKeyPrefix, e.key);
  if (e.database) {
    source["estimated_rows"] =
        e.estimated_source_rows ? Json(*e.estimated_source_rows) : Json(nullptr);
    if (!e.source_error.empty()) source["error"] = e.source_error;
  }
  return source;
}

Json column_json(const ExplainedColumn& c, bool database) {
  Json col;
  col["name"] = c.name;
  col["source"] = c.source;
  if (c.source == "from") col["from"] = c.from;
  if (c.source == "value") col["value"] = c.value ? Json(*c.value) : Json(nullptr);
  if (c.source == "generate") {
    col["generate"] = c.generate;
    if (!c.from.empty()) col["from"] = c.from;
    if (!c.uuid_namespace.empty()) col["namespace"] = c.uuid_namespace;
  }
  col["steps"] = Json::array();
  for (const auto& s : c.steps) {
    col["steps"].push_back({{"name", s.name},
                            {"written", s.written},
                            {"combiner", s.combiner},
                            {"input", s.input},
                            {"output", s.output}});
  }
  if (c.lookup) col["lookup"] = c.lookup->written;
  col["output"] = c.output;
  if (database) {
    col["source_types"] = c.source_types;
    col["target_type"] = c.target_type.empty() ? Json(nullptr) : Json(c.target_type);
  }
  return col;
}

// How a batch is written: strategy, statements, key ranges.
Json write_json(const MappingExplanation& e) {
  Json write;
  write["strategy"] = e.write_strategy;
  if (e.write_strategy == "staging") write["conflict"] = e.conflict_columns;
  write["sql"] = e.write_sql;
  if (!e.copy_format.empty()) {
    write["copy_format"] = e.copy_format == "binary" ? "binary" : "text";
    if (e.copy_format != "binary") write["text_because"] = e.copy_format;
  }
  write["batch_size"] = e.batch_size;
  write["key_ranges"] = e.parallel;
  if (!e.range_sql.empty()) {
    write["range_sql"] = e.range_sql;
    write["range_placeholders"] = {placeholders(kLowerPrefix, e.key),
                                   placeholders(kUpperPrefix, e.key)};
  }
  return write;
}

// Where the mapping runs in the dependency order.
Json plan_json(const MappingExplanation& e) {
  Json plan;
  plan["folder"] = e.plan_folder;
  if (!e.plan_error.empty()) plan["error"] = e.plan_error;
  plan["position"] = e.plan_position;
  plan["depends_on"] = e.plan_depends_on;
  plan["order"] = Json::array();
  for (const auto& p : e.plan) {
    plan["order"].push_back({{"position", p.position},
                             {"mapping", p.name},
                             {"table", p.table},
                             {"level", p.level},
                             {"depends_on", p.depends_on}});
  }
  plan["migrated_used"] = e.migrated_used;
  return plan;
}

}  // namespace

std::string render_text(const MappingExplanation& e) {
  std::string out;
  out += fmt::format("mapping {} -> {} ({})\n", e.name, e.table, e.file);
  out += fmt::format("mode {}, batch_size {}, parallel {}\n", e.mode, e.batch_size, e.parallel);
  write_source_text(e, out);
  write_lookups_text(e, out);
  write_columns_text(e, out);
  write_write_text(e, out);
  write_follow_text(e, out);
  write_id_map_text(e, out);
  write_self_references_text(e, out);
  write_plan_text(e, out);
  return out;
}

std::string render_json(const MappingExplanation& e) {
  Json j;
  j["mapping"] = e.name;
  j["table"] = e.table;
  j["file"] = e.file;
  j["mode"] = e.mode;
  if (e.bulk != spec::BulkMode::kOff) {
    j["bulk"] = e.bulk == spec::BulkMode::kWithIndexes ? "with_indexes" : "foreign_keys";
  }
  j["batch_size"] = e.batch_size;
  j["parallel"] = e.parallel;
  if (!follows_by_default(e.follow)) {
    Json follow;
    follow["on_delete"] = std::string(spec::to_string(e.follow.on_delete));
    if (e.follow.on_delete == spec::DeletePolicy::kMark) follow["mark"] = e.follow.mark_column;
    follow["also"] = Json::array();
    for (const auto& joined : e.follow.also) {
      Json join = Json::object();
      for (const auto& [driving, column] : joined.join) join[driving] = column;
      follow["also"].push_back({{"table", joined.table.display()}, {"join", join}});
    }
    j["follow"] = follow;
  }

  j["source"] = source_json(e);

  j["lookups"] = Json::array();
  for (const auto& l : e.lookups) j["lookups"].push_back(lookup_json(l, e.database));

  j["columns"] = Json::array();
  for (const auto& c : e.columns) j["columns"].push_back(column_json(c, e.database));

  j["write"] = write_json(e);

  Json id_map;
  id_map["strategy"] = e.id_map;
  if (e.id_map == "legacy_column") id_map["legacy_key"] = e.legacy_key_columns;
  id_map["id_column"] = e.id_column;
  j["id_map"] = id_map;

  j["self_references"] = Json::array();
  for (const auto& s : e.self_references) {
    j["self_references"].push_back(
        {{"column", s.column}, {"through", s.through}, {"on_missing", s.on_missing}});
  }

  j["plan"] = plan_json(e);
  j["database"] = e.database;
  return j.dump(2) + "\n";
}

}  // namespace mapengine::explain
