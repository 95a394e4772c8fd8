#include "engine/lint/semantic_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <map>
#include <set>

#include "engine/common/closest_name.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/schema_validator.h"
#include "engine/transform/pipeline.h"

namespace mapengine::lint {

using spec::ColumnSpec;
using spec::Generate;
using spec::LookupSpec;
using spec::MappingSpec;
using spec::MigratedTable;
using spec::MissPolicy;
using spec::Project;
using spec::WriteMode;
namespace {

// batch_size above this holds locks and WAL for long; a warning, not an error.
constexpr int kLargeBatchSize = 20000;

using pg::names_table;

std::string list_text(const std::vector<std::string>& names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string hint(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = closest_name(word, candidates);
  return best.empty() ? std::string() : fmt::format("; did you mean `{}`?", best);
}

// Where a spot was written, or `fallback`'s location, or the mapping's.
const SourceLocation& spot_or(const MappingSpec& mapping, const std::string& path,
                              const std::string& fallback) {
  if (mapping.spots.count(path) > 0) return mapping.spots.at(path);
  return mapping.at(fallback);
}

// Every name a lookup or depends_on may use: mapping names, their tables, migrated tables.
std::vector<std::string> known_names(const Project& project) {
  std::set<std::string> names;
  for (const auto* list : {&project.mappings, &project.context}) {
    for (const auto& m : *list) {
      names.insert(m.name);
      names.insert(m.table.name);
      names.insert(m.table.display());
    }
  }
  for (const auto& t : project.migrated) {
    names.insert(t.name);
    names.insert(t.table.name);
    names.insert(t.table.display());
  }
  return {names.begin(), names.end()};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void check_transforms(const MappingSpec& mapping, Diagnostics& diagnostics) {
  for (const auto& column : mapping.columns) {
    try {
      ColumnPipeline::compile(column, diagnostics);
    } catch (const std::exception& e) {
      diagnostics.error(column.where, "bad-transform-argument",
                        fmt::format("column {}: {}", column.name, e.what()));
    }
  }
}

namespace {

// target.legacy_key columns keep the legacy key itself: each must be filled from the source key
// columns, as they are; a lookup or a generated id there would hold new ids, so validate would
// find every row missing and every row extra.
void check_legacy_key_columns(const MappingSpec& mapping, Diagnostics& diagnostics) {
  if (mapping.legacy_key_columns.size() != mapping.key.size()) return;  // legacy-key-arity
  for (size_t i = 0; i < mapping.legacy_key_columns.size(); ++i) {
    const std::string& name = mapping.legacy_key_columns[i];
    const SourceLocation& where =
        spot_or(mapping, fmt::format("target.legacy_key[{}]", i), "target.legacy_key");
    const std::string& key = mapping.key[i];
    const ColumnSpec* column = mapping.find_column(name);
    if (column == nullptr) {
      diagnostics.error(where, "legacy-key-from-source",
                        fmt::format("target.legacy_key column `{}` is not mapped: map it `{}: {{ "
                                    "from: {} }}` so each row keeps its legacy key",
                                    name, name, key));
      continue;
    }
    std::string how;
    if (column->lookup) {
      how = "is filled by a lookup (it would hold the looked-up new id, not the legacy key)";
    } else if (column->generate != Generate::kNone) {
      how = "is a generated id, not the legacy key";
    } else if (column->has_constant) {
      how = "is a constant, not the legacy key";
    } else if (column->from.size() != 1 || column->from[0] != key) {
      how = fmt::format("is filled from {}, not from source.key column `{}`",
                        column->from.empty() ? std::string("nothing") : list_text(column->from),
                        key);
    }
    if (!how.empty()) {
      diagnostics.error(
          column->where, "legacy-key-from-source",
          fmt::format("target.legacy_key column `{}` {}; map it `{{ from: {} }}`, or, for an "
                      "association table whose key is looked-up columns, drop target.legacy_key "
                      "and set `target.id_column: [...]`",
                      name, how, key));
    }
  }
}

// An association table (several id columns): its identity is its key columns.
void check_association(const MappingSpec& mapping, Diagnostics& diagnostics) {
  if (!mapping.legacy_key_columns.empty()) {
    diagnostics.error(mapping.at("target.legacy_key"), "association-key",
                      fmt::format("target.id_column lists several columns ({}), so the table is "
                                  "an association whose identity is those columns; it keeps its "
                                  "legacy key in the id map, not in target.legacy_key: remove "
                                  "target.legacy_key",
                                  list_text(mapping.id_columns)));
  }
  for (const auto& name : mapping.id_columns) {
    const ColumnSpec* column = mapping.find_column(name);
    if (column == nullptr || !column->lookup) continue;
    MissPolicy policy = column->lookup->on_missing;
    if (policy == MissPolicy::kNull || policy == MissPolicy::kDefault) {
      std::string path = "columns." + name + ".lookup.on_missing";
      diagnostics.error(
          mapping.spots.count(path) ? mapping.spots.at(path) : column->lookup->where,
          "association-key",
          fmt::format("column `{}` is part of the association's identity (target.id_column); a "
                      "row whose lookup misses cannot be written or identified: use on_missing: "
                      "reject (or fail)",
                      name));
    }
  }
}

}  // namespace

namespace {

// source.key is given, and target.legacy_key has a column for each of its columns.
void check_key_shape(const MappingSpec& mapping, Diagnostics& diagnostics) {
  if (mapping.key.empty()) {
    diagnostics.error(mapping.at("source"), "missing-legacy-key",
                      "`source.key` is required: the legacy key orders the read, identifies rows "
                      "and makes resume possible");
  }
  if (!mapping.legacy_key_columns.empty() && !mapping.key.empty() &&
      mapping.legacy_key_columns.size() != mapping.key.size()) {
    diagnostics.error(
        mapping.at("target.legacy_key"), "legacy-key-arity",
        fmt::format("target.legacy_key has {} column(s) ({}) but source.key has {} ({}): give one "
                    "target column per key column, in the same order",
                    mapping.legacy_key_columns.size(), list_text(mapping.legacy_key_columns),
                    mapping.key.size(), list_text(mapping.key)));
  }
}

// Without target.legacy_key, mapengine keeps the id map and needs each row's new id.
void check_id_columns(const MappingSpec& mapping, Diagnostics& diagnostics) {
  if (!mapping.legacy_key_columns.empty()) return;
  for (const auto& id_column : mapping.id_columns) {
    const ColumnSpec* id = mapping.find_column(id_column);
    if (id == nullptr && mapping.is_association()) {
      diagnostics.error(
          spot_or(mapping, "target.id_column", "columns"), "id-map-needs-id",
          fmt::format("target.id_column lists `{}`, the association's key column, but it is "
                      "not mapped: the row's identity is its key columns, so map each of them "
                      "(usually `{}: {{ from: <legacy column>, lookup: <table> }}`)",
                      id_column, id_column));
    } else if (id == nullptr) {
      diagnostics.error(
          spot_or(mapping, "target", "columns"), "id-map-needs-id",
          fmt::format("without target.legacy_key mapengine keeps the id map itself and must "
                      "know each row's new id, but column `{}` is not mapped: add `{}: {{ "
                      "generate: uuid }}`, set target.legacy_key, or, for an association "
                      "table whose key is looked-up columns, name them: `target.id_column: "
                      "[a_id, b_id]`",
                      id_column, id_column));
    } else if (id->has_constant) {
      diagnostics.error(id->where, "id-map-needs-id",
                        fmt::format("id column `{}` is a constant, so every row would get the "
                                    "same id: use `generate: uuid` or a source column",
                                    id->name));
    }
  }
}

// Each target column once; `namespace` only with uuid_v5.
void check_column_list(const MappingSpec& mapping, Diagnostics& diagnostics) {
  std::map<std::string, const ColumnSpec*> seen;
  for (const auto& column : mapping.columns) {
    auto [first, inserted] = seen.emplace(column.name, &column);
    if (!inserted) {
      diagnostics.error(column.where, "duplicate-target-column",
                        fmt::format("column `{}` is mapped twice (first at line {}); keep one",
                                    column.name, first->second->where.line));
    }
    if (!column.uuid_namespace.empty() && column.generate != Generate::kUuidDeterministic) {
      diagnostics.error(
          spot_or(mapping, "columns." + column.name + ".namespace", "columns"),
          "namespace-needs-uuid-v5",
          fmt::format("column `{}`: `namespace` applies to `generate: uuid_v5` only", column.name));
    }
  }
}

// When the select list is plain names, every key and source column is among them.
void check_selected_columns(const MappingSpec& mapping, Diagnostics& diagnostics) {
  auto selected = simple_select_columns(mapping.source_query);
  if (!selected) return;
  auto check = [&](const std::string& name, const SourceLocation& where, std::string_view what) {
    if (std::find(selected->begin(), selected->end(), name) != selected->end()) return;
    std::string folded = name;
    std::transform(folded.begin(), folded.end(), folded.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string note =
        std::find(selected->begin(), selected->end(), folded) != selected->end()
            ? fmt::format(
                  " (PostgreSQL folds unquoted names to lower case: the query yields "
                  "`{}`)",
                  folded)
            : fmt::format(" (it selects {})", list_text(*selected));
    diagnostics.warning(
        where, "key-not-selected",
        fmt::format("{} `{}` is not in source.query's select list{}", what, name, note));
  };
  for (size_t i = 0; i < mapping.key.size(); ++i) {
    check(mapping.key[i], spot_or(mapping, fmt::format("source.key[{}]", i), "source.key"),
          "source.key column");
  }
  for (const auto& column : mapping.columns) {
    for (size_t i = 0; i < column.from.size(); ++i) {
      std::string path = fmt::format("columns.{}.from[{}]", column.name, i);
      check(column.from[i], mapping.spots.count(path) ? mapping.spots.at(path) : column.where,
            "source column");
    }
  }
}

}  // namespace

void check_mapping_shape(const MappingSpec& mapping, Diagnostics& diagnostics) {
  check_key_shape(mapping, diagnostics);
  check_id_columns(mapping, diagnostics);
  check_legacy_key_columns(mapping, diagnostics);
  if (mapping.is_association()) check_association(mapping, diagnostics);
  if (mapping.mode != WriteMode::kInsert && mapping.conflict_columns.empty()) {
    diagnostics.error(mapping.at("target.mode"), "conflict-needs-columns",
                      fmt::format("mode {} needs conflict columns: set target.conflict or "
                                  "target.legacy_key",
                                  to_string(mapping.mode)));
  }
  if (mapping.batch_size > kLargeBatchSize) {
    diagnostics.warning(mapping.at("batch_size"), "batch-size-range",
                        fmt::format("batch_size {} is above {}: each batch is one transaction, "
                                    "holding locks and WAL for long; 1000 to 5000 is typical",
                                    mapping.batch_size, kLargeBatchSize));
  }

  check_column_list(mapping, diagnostics);
  check_selected_columns(mapping, diagnostics);
}

namespace {

// One column's lookup, with where each of its fields was written.
struct LookupSite {
  const MappingSpec& mapping;
  const ColumnSpec& column;
  const LookupSpec& lookup;
  std::string prefix;  // columns.<name>.lookup

  const SourceLocation& at(const std::string& field) const {
    std::string path = field.empty() ? prefix : prefix + "." + field;
    if (mapping.spots.count(path) > 0) return mapping.spots.at(path);
    return lookup.where;
  }
  bool written(const std::string& field) const {
    return mapping.spots.count(prefix + "." + field) > 0;
  }
};

// What a lookup reads: this mapping (a self-reference), another mapping, or a migrated table.
struct LookupSource {
  bool self = false;
  const MappingSpec* producer = nullptr;  // this mapping when self
  const MigratedTable* migrated = nullptr;
};

// Empty when the lookup names nothing loaded (reported here, or by the unloaded file's error).
std::optional<LookupSource> lookup_source(const LookupSite& site, const Project& project,
                                          Diagnostics& diagnostics) {
  const LookupSpec& lookup = site.lookup;
  LookupSource source;
  if (!lookup.mapping.empty()) {
    source.producer = project.find_mapping(lookup.mapping);
    if (source.producer != nullptr) return source;
    if (project.is_unloaded(lookup.mapping)) return std::nullopt;  // its file's error says why
    diagnostics.error(
        site.at("mapping"), "unknown-lookup-table",
        fmt::format("column `{}` looks up mapping `{}`, which no loaded file "
                    "defines{}",
                    site.column.name, lookup.mapping, hint(lookup.mapping, known_names(project))));
    return std::nullopt;
  }
  source.self = lookup.table == site.mapping.name || names_table(lookup.table, site.mapping.table);
  if (source.self) {
    source.producer = &site.mapping;
    return source;
  }
  source.producer = project.find_mapping(lookup.table);
  if (source.producer == nullptr) source.migrated = project.find_migrated(lookup.table);
  if (source.producer != nullptr || source.migrated != nullptr) return source;
  if (project.is_unloaded(lookup.table)) return std::nullopt;  // its file's error says why
  diagnostics.error(
      site.at("table"), "unknown-lookup-table",
      fmt::format("column `{}` looks up table `{}`, which no mapping fills "
                  "and no `kind: migrated` file declares{}",
                  site.column.name, lookup.table, hint(lookup.table, known_names(project))));
  return std::nullopt;
}

// A self-reference and a deferred lookup are filled after the row is written: no miss policy
// that would reject the row.
void check_late_lookup(const LookupSite& site, const LookupSource& source,
                       Diagnostics& diagnostics) {
  const LookupSpec& lookup = site.lookup;
  const bool can_reject =
      lookup.on_missing != MissPolicy::kNull && lookup.on_missing != MissPolicy::kFail;
  if (source.self && can_reject) {
    diagnostics.error(site.at("on_missing").line ? site.at("on_missing") : site.at(""),
                      "self-reference-policy",
                      fmt::format("column `{}` looks up its own table, which is resolved after "
                                  "each batch: set on_missing to null or fail (it is {})",
                                  site.column.name, to_string(lookup.on_missing)));
  }
  if (!lookup.deferred || source.self) return;
  if (can_reject) {
    diagnostics.error(site.at(site.written("on_missing") ? "on_missing" : "deferred"),
                      "deferred-lookup",
                      fmt::format("column `{}`: a deferred lookup is filled after the row is "
                                  "written, so it cannot reject the row: set on_missing to "
                                  "null or fail (it is {})",
                                  site.column.name, to_string(lookup.on_missing)));
  }
  if (site.mapping.legacy_key_columns.size() != 1) {
    diagnostics.error(site.at("deferred"), "deferred-lookup",
                      fmt::format("column `{}`: a deferred lookup is filled through the "
                                  "row's legacy key column: set target.legacy_key (one "
                                  "column)",
                                  site.column.name));
  }
}

// Without `match`, a lookup matches the looked-up table's one legacy key column.
void check_lookup_match(const LookupSite& site, const LookupSource& source,
                        Diagnostics& diagnostics) {
  if (!site.lookup.match.empty() || !site.lookup.mapping.empty()) return;
  const MappingSpec* producer = source.producer;
  const std::vector<std::string>& keys =
      producer != nullptr ? producer->legacy_key_columns : source.migrated->legacy_key_columns;
  std::string target = producer != nullptr ? producer->name : source.migrated->name;
  if (keys.empty()) {
    diagnostics.error(
        site.at(""), "lookup-needs-match",
        fmt::format("column `{}` looks up `{}`, which has no target.legacy_key "
                    "to match on: give `match: <column>` or set "
                    "target.legacy_key in {}",
                    site.column.name, target,
                    producer != nullptr ? producer->file : source.migrated->where.file));
  } else if (keys.size() > 1) {
    diagnostics.error(site.at(""), "lookup-needs-match",
                      fmt::format("column `{}` looks up `{}`, whose legacy key has {} columns "
                                  "({}); a lookup matches one column: give `match`",
                                  site.column.name, target, keys.size(), list_text(keys)));
  }
}

// An association table has no id of its own: a lookup into it names the column it returns.
void check_association_lookup(const LookupSite& site, const LookupSource& source,
                              Diagnostics& diagnostics) {
  const MappingSpec* producer = source.producer;
  if (producer == nullptr || !producer->is_association()) return;
  if (!site.lookup.mapping.empty()) {
    diagnostics.error(site.at("mapping"), "association-key",
                      fmt::format("column `{}` looks up mapping `{}` through its id map, but it "
                                  "is an association table: its id map holds each row's key "
                                  "columns ({}) as one key text, not an id; look up `table: {}` "
                                  "with `match` and `return: <column>`",
                                  site.column.name, producer->name, list_text(producer->id_columns),
                                  producer->table.display()));
  } else if (site.lookup.returns.empty()) {
    diagnostics.error(
        site.at(""), "association-key",
        fmt::format("column `{}` looks up `{}`, an association table whose "
                    "identity is several columns ({}); a lookup returns one: "
                    "give `return: <column>`",
                    site.column.name, producer->name, list_text(producer->id_columns)));
  }
}

// `default` and on_missing: default come together.
void check_lookup_default(const LookupSite& site, Diagnostics& diagnostics) {
  const MissPolicy on_missing = site.lookup.on_missing;
  const bool has_default = site.written("default");
  if (on_missing == MissPolicy::kDefault && !has_default) {
    diagnostics.error(site.at("on_missing"), "default-needs-value",
                      fmt::format("column `{}`: on_missing: default needs `default: <value>` "
                                  "(use on_missing: null to write NULL)",
                                  site.column.name));
  } else if (on_missing != MissPolicy::kDefault && has_default) {
    diagnostics.warning(site.at("default"), "default-needs-value",
                        fmt::format("column `{}`: `default` is only used with on_missing: "
                                    "default (on_missing is {})",
                                    site.column.name, to_string(on_missing)));
  }
}

}  // namespace

void check_lookups(const MappingSpec& mapping, const Project& project, Diagnostics& diagnostics) {
  for (const auto& column : mapping.columns) {
    if (!column.lookup) continue;
    const LookupSite site{mapping, column, *column.lookup, "columns." + column.name + ".lookup"};
    std::optional<LookupSource> source = lookup_source(site, project, diagnostics);
    if (!source) continue;
    check_late_lookup(site, *source, diagnostics);
    check_lookup_match(site, *source, diagnostics);
    check_association_lookup(site, *source, diagnostics);
    check_lookup_default(site, diagnostics);
  }
}

void check_duplicates(const Project& project, Diagnostics& diagnostics) {
  for (const auto& mapping : project.mappings) {
    auto same = [&](const MappingSpec& other) { return &other == &mapping; };
    for (const auto* list : {&project.mappings, &project.context}) {
      for (const auto& other : *list) {
        if (same(other)) continue;
        if (other.table == mapping.table) {
          diagnostics.error(
              mapping.at("table"), "duplicate-table",
              fmt::format("table {} is also filled by {}:{}: one mapping per target "
                          "table",
                          mapping.table.display(), other.file, other.at("table").line));
        } else if (other.name == mapping.name) {
          diagnostics.error(mapping.at(mapping.spots.count("name") ? "name" : "table"),
                            "duplicate-name",
                            fmt::format("mapping name `{}` is also used by {}: set a distinct "
                                        "`name`",
                                        mapping.name, other.file));
        }
      }
    }
    for (const auto& table : project.migrated) {
      if (table.table == mapping.table) {
        diagnostics.error(mapping.at("table"), "duplicate-table",
                          fmt::format("table {} is declared as migrated in {}:{}; a migrated "
                                      "table is not mapped again",
                                      mapping.table.display(), table.where.file, table.where.line));
      }
    }
  }
}

void check_dependencies(const Project& project, Diagnostics& diagnostics) {
  for (const auto& mapping : project.mappings) {
    for (size_t i = 0; i < mapping.depends_on.size(); ++i) {
      const std::string& name = mapping.depends_on[i];
      if (project.find_mapping(name) != nullptr || project.find_migrated(name) != nullptr ||
          project.is_unloaded(name)) {
        continue;
      }
      diagnostics.error(spot_or(mapping, fmt::format("depends_on[{}]", i), "depends_on"),
                        "unknown-dependency",
                        fmt::format("depends_on names `{}`, which is neither a mapping nor a "
                                    "migrated table{}",
                                    name, hint(name, known_names(project))));
    }
  }
  plan::make_plan(project, diagnostics);
}

void check_project(const Project& project, Diagnostics& diagnostics) {
  for (const auto& mapping : project.mappings) {
    check_mapping_shape(mapping, diagnostics);
    check_transforms(mapping, diagnostics);
    check_lookups(mapping, project, diagnostics);
  }
  check_duplicates(project, diagnostics);
  check_dependencies(project, diagnostics);
}

// ---------------------------------------------------------------------------------------------
// A select list reader: just enough SQL lexing to read `SELECT a, t.b, c AS d FROM ...`.

namespace {

struct Token {
  enum Kind { kWord, kQuoted, kPunct, kOther, kEnd } kind = kEnd;
  std::string text;  // words lower-cased; quoted identifiers unquoted
};

class SqlLexer {
 public:
  explicit SqlLexer(std::string_view sql) : sql_(sql) {}

  Token next() {
    skip_space_and_comments();
    if (pos_ >= sql_.size()) return {};
    char c = sql_[pos_];
    auto word_char = [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '$' ||
             static_cast<unsigned char>(ch) >= 0x80;
    };
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
        static_cast<unsigned char>(c) >= 0x80) {
      size_t start = pos_;
      while (pos_ < sql_.size() && word_char(sql_[pos_])) ++pos_;
      std::string word(sql_.substr(start, pos_ - start));
      std::transform(word.begin(), word.end(), word.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      return {Token::kWord, word};
    }
    if (c == '"') {
      std::string text;
      for (++pos_; pos_ < sql_.size(); ++pos_) {
        if (sql_[pos_] == '"') {
          if (pos_ + 1 < sql_.size() && sql_[pos_ + 1] == '"') {
            text += '"';
            ++pos_;
          } else {
            ++pos_;
            return {Token::kQuoted, text};
          }
        } else {
          text += sql_[pos_];
        }
      }
      return {Token::kOther, text};  // unterminated
    }
    ++pos_;
    if (c == ',' || c == '.' || c == '(' || c == ')' || c == '*') return {Token::kPunct, {c}};
    return {Token::kOther, {c}};
  }

 private:
  void skip_space_and_comments() {
    while (pos_ < sql_.size()) {
      if (std::isspace(static_cast<unsigned char>(sql_[pos_]))) {
        ++pos_;
      } else if (sql_.compare(pos_, 2, "--") == 0) {
        size_t end = sql_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? sql_.size() : end + 1;
      } else if (sql_.compare(pos_, 2, "/*") == 0) {
        size_t end = sql_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? sql_.size() : end + 2;
      } else {
        return;
      }
    }
  }

  std::string_view sql_;
  size_t pos_ = 0;
};

bool is_name(const Token& t) { return t.kind == Token::kWord || t.kind == Token::kQuoted; }

// The output name of one select item (its tokens), or nullopt when it is not `a.b.c [AS] [d]`.
std::optional<std::string> item_name(const std::vector<Token>& item) {
  size_t i = 0;
  if (item.empty() || !is_name(item[0])) return std::nullopt;
  std::string name = item[0].text;
  ++i;
  while (i + 1 < item.size() && item[i].kind == Token::kPunct && item[i].text == ".") {
    if (!is_name(item[i + 1])) return std::nullopt;
    name = item[i + 1].text;
    i += 2;
  }
  if (i < item.size() && item[i].kind == Token::kWord && item[i].text == "as") ++i;
  if (i < item.size()) {
    if (!is_name(item[i]) || i + 1 != item.size()) return std::nullopt;
    name = item[i].text;
  }
  return name;
}

}  // namespace

std::optional<std::vector<std::string>> simple_select_columns(std::string_view query) {
  SqlLexer lexer(query);
  Token token = lexer.next();
  if (token.kind != Token::kWord || token.text != "select") return std::nullopt;
  token = lexer.next();
  if (token.kind == Token::kWord && (token.text == "all" || token.text == "distinct")) {
    token = lexer.next();
    if (token.kind == Token::kWord && token.text == "on") return std::nullopt;
  }
  std::vector<std::string> names;
  std::vector<Token> item;
  for (;; token = lexer.next()) {
    bool end = token.kind == Token::kEnd || (token.kind == Token::kWord && token.text == "from");
    if (end || (token.kind == Token::kPunct && token.text == ",")) {
      auto name = item_name(item);
      if (!name) return std::nullopt;
      names.push_back(*name);
      item.clear();
      if (end) break;
      continue;
    }
    if (token.kind == Token::kOther || (token.kind == Token::kPunct && token.text != ".")) {
      return std::nullopt;  // *, (, literals, operators: not a simple list
    }
    item.push_back(std::move(token));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------

namespace {
constexpr Severity E = Severity::kError;
constexpr Severity W = Severity::kWarning;

constexpr std::array kRules = {
    // Reading files
    LintRule{"io", E, "a named file or folder does not exist or cannot be read"},
    LintRule{"file-too-large", E, "a mapping file is larger than 4 MiB"},
    LintRule{"not-yaml", E, "the file contains NUL bytes (binary data)"},
    LintRule{"not-utf8", E, "the file is not UTF-8 text (Latin-1, ...)"},
    LintRule{"empty-file", E, "the file holds no YAML document"},
    LintRule{"multiple-documents", E, "the file holds more than one YAML document (---)"},
    LintRule{"yaml-syntax", E, "the file is not valid YAML"},
    LintRule{"too-complex", E, "nested deeper than 256 levels, or alias expansion too large"},
    LintRule{"not-a-map", E, "the document is not a map of fields"},
    // Structure (schemas/mapping.schema.json)
    LintRule{"schema-unknown-key", E, "a field the format does not have (typo?)"},
    LintRule{"schema-required", E, "a required field is missing"},
    LintRule{"schema-type", E, "a value has the wrong type (text where a number is expected, ...)"},
    LintRule{"schema-enum", E, "a value is not one of the allowed words"},
    LintRule{"schema-pattern", E, "a value does not have the required form"},
    LintRule{"schema-range", E, "a number out of range, or an empty name, list or map"},
    LintRule{"schema-one-of", E, "none or several of mutually exclusive fields are given"},
    LintRule{"schema", E, "another schema violation"},
    LintRule{"duplicate-key", E, "the same key appears twice in one map"},
    // Building the model
    // (The loader's own structural checks, such as column-source or batch-size, repeat the
    // schema's and cannot fire once the schema passed; they are not listed.)
    LintRule{"env-unset", E, "a ${VAR} names an unset environment variable"},
    LintRule{"version", E, "a format version this mapengine does not read"},
    // Semantic rules
    LintRule{"unknown-transform", E, "a transform name the registry does not know"},
    LintRule{"bad-transform-argument", E, "a transform's argument or option is invalid"},
    LintRule{"unknown-transform-option", E, "an option the transform does not have"},
    LintRule{"unknown-timezone", E, "a time zone name that is not in the time zone database"},
    LintRule{"missing-combiner", E, "several from columns without a combining first step"},
    LintRule{"combiner-not-first", E, "a combiner (join, format, ...) that is not the first step"},
    LintRule{"pipeline-type-mismatch", W, "a step expects another type than the previous yields"},
    LintRule{"duplicate-target-column", E, "the same target column is mapped twice"},
    LintRule{"duplicate-table", E, "two files fill the same target table"},
    LintRule{"duplicate-name", E, "two mappings have the same name"},
    LintRule{"unknown-lookup-table", E, "a lookup into a table no mapping fills or declares"},
    LintRule{"lookup-needs-match", E, "a lookup target without a single legacy key column"},
    LintRule{"self-reference-policy", E, "a self-lookup with on_missing other than null/fail"},
    LintRule{"dependency-cycle", E, "mappings depend on each other in a cycle"},
    LintRule{"deferred-lookup", E, "a deferred lookup that cannot be filled after the row"},
    LintRule{"unknown-dependency", E, "depends_on names an unknown mapping or table"},
    LintRule{"missing-legacy-key", E, "source.key is missing"},
    LintRule{"legacy-key-arity", E, "target.legacy_key and source.key differ in length"},
    LintRule{"key-not-selected", W, "a key or from column is not in a simple select list"},
    LintRule{"id-map-needs-id", E, "no target.legacy_key and the new id is not known per row"},
    LintRule{"legacy-key-from-source", E, "a target.legacy_key column not filled from source.key"},
    LintRule{"association-key", E, "an association table's key columns break its shape's rules"},
    LintRule{"default-needs-value", E, "on_missing: default without default (or the reverse)"},
    LintRule{"conflict-needs-columns", E, "upsert/skip_existing without conflict columns"},
    LintRule{"batch-size-range", W, "batch_size above 20000"},
    LintRule{"namespace-needs-uuid-v5", E, "namespace given without generate: uuid_v5"},
    // lint --db
    LintRule{"db-source-query", E, "the source query does not compile on the source database"},
    LintRule{"db-source-column", E, "a key or from column is not a column of the source query"},
    LintRule{"db-target-table", E, "the target table (or a migrated table) does not exist"},
    LintRule{"db-target-column", E, "a mapped column is not a column of the target table"},
    LintRule{"db-not-null", E, "a NOT NULL target column without default is not mapped"},
    LintRule{"db-lookup-column", E, "a lookup's match or return column does not exist"},
    LintRule{"db-deferred-not-null", E, "a deferred lookup's column is NOT NULL"},
    LintRule{"db-cycle-not-null", E, "a dependency cycle whose lookup columns are all NOT NULL"},
    LintRule{"db-id-column", E, "the default id column is assumed but does not exist"},
    LintRule{"db-key-not-unique", E, "no unique constraint covers the legacy key or id columns"},
    LintRule{"db-legacy-key-type", E, "a legacy key column's type prints the key differently"},
    LintRule{"db-padded-char-lookup", W, "a lookup from a blank-padded char(n) into a text key"},
    LintRule{"db-bulk-target", W, "target.bulk on a table with rows or that the role does not own"},
};
}  // namespace

std::span<const LintRule> lint_rules() { return kRules; }

const LintRule* find_lint_rule(std::string_view id) {
  for (const auto& rule : kRules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

}  // namespace mapengine::lint
