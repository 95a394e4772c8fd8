#include "engine/scaffold/mapping_draft.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "engine/pg/quote.h"
#include "engine/scaffold/column_conversion.h"
#include "engine/scaffold/scaffold_text.h"

namespace mapengine::scaffold {
namespace {

// A table as a lookup names it: "profiles" in public, else "schema.name" (parts quoted as a
// mapping file needs them).
std::string short_name(const pg::QualifiedName& table) {
  std::string name = pg::written_name_part(table.name);
  return table.schema == "public" ? name : pg::written_name_part(table.schema) + "." + name;
}

// A table as a mapping file writes it in full, for finding its mapping in the project.
std::string written_name(const pg::QualifiedName& table) {
  return pg::written_name_part(table.schema) + "." + pg::written_name_part(table.name);
}

// created_at, created_on, creation_date -> "created"/"creation"; "" when no time suffix.
std::string time_stem(std::string_view name) {
  for (std::string_view suffix : {"_timestamp", "_date", "_time", "_at", "_on", "_ts"}) {
    if (ends_with(name, suffix) && name.size() > suffix.size()) {
      return std::string(name.substr(0, name.size() - suffix.size()));
    }
  }
  return {};
}

std::string boolean_stem(std::string_view name) {
  for (std::string_view prefix : {"is_", "has_", "can_"}) {
    if (starts_with(name, prefix) && name.size() > prefix.size()) {
      return std::string(name.substr(prefix.size()));
    }
  }
  if (ends_with(name, "_flag")) return std::string(name.substr(0, name.size() - 5));
  return std::string(name);
}

// The words of a column name that survive common renames, for suggesting legacy columns: time
// suffixes dropped (hire_date, hired_at), abbreviations spelled out (ms, qty, amt), plurals
// singular, and a verb's -ed and a final -e cut (hired, hire -> hir; invoiced, invoice -> invoic).
std::set<std::string> rename_words(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kAbbreviations = {
      {"ms", "millisecond"},  {"msec", "millisecond"}, {"millis", "millisecond"},
      {"sec", "second"},      {"secs", "second"},      {"min", "minute"},
      {"mins", "minute"},     {"hr", "hour"},          {"hrs", "hour"},
      {"qty", "quantity"},    {"amt", "amount"},       {"num", "number"},
      {"nbr", "number"},      {"no", "number"},        {"desc", "description"},
      {"descr", "description"}, {"addr", "address"},   {"cust", "customer"},
      {"emp", "employee"},    {"dept", "department"},  {"msg", "message"},
      {"pwd", "password"},    {"cnt", "count"},        {"pct", "percent"},
      {"img", "image"},       {"usr", "user"},         {"org", "organization"},
      {"tel", "phone"},       {"dob", "birth"},        {"lang", "language"},
      {"cat", "category"},    {"prod", "product"},     {"ref", "reference"}};
  static const std::set<std::string, std::less<>> kTimeWords = {
      "date", "at", "on", "time", "timestamp", "ts", "dt"};
  std::set<std::string> words;
  std::string lowered(name);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t start = 0;
  while (start <= lowered.size()) {
    size_t end = lowered.find('_', start);
    if (end == std::string::npos) end = lowered.size();
    std::string word = lowered.substr(start, end - start);
    start = end + 1;
    if (word.empty() || kTimeWords.count(word)) continue;
    if (auto it = kAbbreviations.find(word); it != kAbbreviations.end()) word = it->second;
    word = singular(word);
    if (auto it = kAbbreviations.find(word); it != kAbbreviations.end()) word = it->second;
    if (word.size() > 4 && ends_with(word, "ed")) word.resize(word.size() - 2);
    if (word.size() > 3 && ends_with(word, "e")) word.pop_back();
    words.insert(word);
  }
  return words;
}

std::string describe_column(const ColumnInfo& c) {
  std::string out = c.type;
  if (c.generated) return out + ", computed by the database";
  if (c.identity) return out + ", identity";
  out += c.not_null ? ", NOT NULL" : ", nullable";
  if (!c.default_expr.empty()) out += ", default " + c.default_expr;
  return out;
}

struct Match {
  std::vector<std::string> from;   // legacy columns
  std::vector<std::string> steps;  // combining steps (full_name)
  std::string why;                 // empty for a same-name match
};

class Drafter {
 public:
  explicit Drafter(const ScaffoldInputs& in) : in_(in), source_(in.source), target_(in.target) {}

  MappingDraft run() {
    d_.source_table = source_.table;
    d_.table = target_.table;
    d_.name = target_.table.name;
    note_existing_mapping();
    plan_source();
    plan_key();
    plan_legacy_key();
    plan_id();
    match_columns();
    for (const auto& column : target_.columns) d_.columns.push_back(draft_column(column));
    plan_trailer();
    return std::move(d_);
  }

 private:
  void todo(std::vector<std::string>& comments, std::string text) {
    comments.push_back("TODO: " + std::move(text));
    ++d_.todos;
  }

  void note_existing_mapping() {
    if (in_.project == nullptr) return;
    for (const auto* list : {&in_.project->mappings, &in_.project->context}) {
      for (const auto& m : *list) {
        if (m.table == target_.table) {
          d_.notes.push_back(
              fmt::format("{} already fills {} (mapping {}): lint reports two "
                          "files for one table if both stay in the folder",
                          m.file, target_.table.display(), m.name));
        }
      }
    }
  }

  // ---- source ----------------------------------------------------------------------------

  void plan_source() {
    for (const auto& c : source_.columns) d_.select_list.push_back(c.sql_name);
    d_.from_clause = source_.sql_name;
    d_.source_comments.push_back(
        "Every column of the legacy table, in its order: drop the ones no target column needs.");
    for (const auto& c : source_.columns) {
      const std::string name = lower(c.name);
      static const std::set<std::string> kMarkers = {"deleted_at", "deleted_on",  "deleted",
                                                     "is_deleted", "archived_at", "is_archived",
                                                     "removed_at", "is_removed"};
      if (!kMarkers.count(name)) continue;
      std::string filter = c.family == TypeFamily::kBoolean
                               ? fmt::format("WHERE NOT {}", c.sql_name)
                               : fmt::format("WHERE {} IS NULL", c.sql_name);
      todo(d_.source_comments,
           fmt::format("{} looks like a soft-delete marker: add `{}` to leave deleted rows "
                       "behind, or keep them on purpose.",
                       c.name, filter));
    }
  }

  void plan_key() {
    if (!source_.primary_key.empty()) {
      d_.key = source_.primary_key;
      d_.key_comment = d_.key.size() > 1 ? "the legacy table's composite primary key"
                                         : "the legacy table's primary key";
      return;
    }
    for (const auto& unique : source_.unique_keys) {
      bool all_not_null = std::all_of(unique.begin(), unique.end(), [&](const std::string& c) {
        const ColumnInfo* info = source_.find(c);
        return info != nullptr && info->not_null;
      });
      if (all_not_null) {
        d_.key = unique;
        d_.key_comment = "a unique key of NOT NULL columns (the legacy table has no primary key)";
        return;
      }
    }
    d_.key = {"TODO_KEY"};
    d_.key_comment =
        "TODO: the legacy table has no primary key and no unique NOT NULL columns: name the "
        "column(s) that identify a row";
    ++d_.todos;
  }

  // The target column keeping legacy key column `key`, or empty.
  std::string legacy_column_for(const std::string& key, const std::set<std::string>& taken) {
    std::vector<std::string> candidates = {"legacy_" + key};
    if (d_.key.size() == 1) {
      candidates.push_back("legacy_" + singular(source_.table.name) + "_id");
      candidates.push_back("legacy_" + singular(target_.table.name) + "_id");
    }
    for (const auto& name : candidates) {
      const ColumnInfo* c = target_.find(name);
      if (c != nullptr && !c->generated && !taken.count(name)) return name;
    }
    if (d_.key.size() != 1) return {};
    std::vector<std::string> legacy_ids, legacy_any;
    for (const auto& c : target_.columns) {
      if (!starts_with(c.name, "legacy_") || c.generated || taken.count(c.name)) continue;
      legacy_any.push_back(c.name);
      if (ends_with(c.name, "_id")) legacy_ids.push_back(c.name);
    }
    if (legacy_ids.size() == 1) return legacy_ids[0];
    if (legacy_any.size() == 1) return legacy_any[0];
    return {};
  }

  void plan_legacy_key() {
    if (d_.key == std::vector<std::string>{"TODO_KEY"}) return;
    std::set<std::string> taken;
    std::vector<std::string> found;
    for (const auto& key : d_.key) {
      std::string column = legacy_column_for(key, taken);
      if (column.empty()) break;
      taken.insert(column);
      found.push_back(column);
    }
    if (found.size() == d_.key.size()) {
      d_.legacy_key = found;
      d_.target_comment = fmt::format(
          "{} the legacy key: the table is its own id map (lookups into it match {}), so "
          "nothing is written to mapengine.id_map.",
          found.size() > 1 ? "These columns keep" : "This column keeps",
          found.size() > 1 ? "them" : "it");
      if (!target_.is_unique(found)) {
        d_.target_comment +=
            fmt::format(" Note: {} is not UNIQUE in the target.", fmt::join(found, ", "));
      }
      return;
    }
    d_.target_comment = fmt::format(
        "No legacy_* column of {} matches the legacy key ({}): mapengine keeps legacy key -> "
        "new id in mapengine.id_map instead.",
        target_.table.display(), fmt::join(d_.key, ", "));
  }

  void plan_id() {
    if (target_.primary_key.size() == 1) d_.id_column = target_.primary_key[0];
    if (d_.legacy_key.empty() && target_.find(d_.id_column) == nullptr &&
        target_.primary_key.size() > 1) {
      // An association table: its primary key (looked-up ids) is the row's identity.
      d_.association_key = target_.primary_key;
      d_.target_comment = fmt::format(
          "An association table: its primary key ({}) is the row's identity, and "
          "mapengine.id_map keeps legacy key -> those columns.",
          fmt::join(target_.primary_key, ", "));
      return;
    }
    if (d_.legacy_key.empty() && target_.find(d_.id_column) == nullptr) {
      todo(target_comments_,
           fmt::format("{} has no single-column primary key and no legacy_* column for the key: "
                       "the id map needs one of them (set target.id_column or add a legacy "
                       "column to the target).",
                       target_.table.display()));
    }
  }

  // ---- matching --------------------------------------------------------------------------

  bool handled_elsewhere(const ColumnInfo& c) const {
    if (c.generated || c.identity) return true;
    if (contains(d_.legacy_key, c.name)) return true;
    if (c.name == d_.id_column && target_.primary_key.size() == 1 &&
        (c.family == TypeFamily::kUuid || c.has_default())) {
      return true;
    }
    return false;
  }

  bool unmatched(const ColumnInfo& c) const {
    return !handled_elsewhere(c) && !matches_.count(c.name);
  }

  void take(const ColumnInfo& target, Match match) {
    for (const auto& f : match.from) used_.insert(f);
    matches_[target.name] = std::move(match);
  }

  // The legacy columns not used yet, by name predicate.
  std::vector<const ColumnInfo*> free_sources(const std::function<bool(const ColumnInfo&)>& ok) {
    std::vector<const ColumnInfo*> out;
    for (const auto& s : source_.columns) {
      if (!used_.count(s.name) && ok(s)) out.push_back(&s);
    }
    return out;
  }

  const std::optional<TableInfo>& referenced(const pg::QualifiedName& table) {
    auto key = table.display();
    auto it = referenced_.find(key);
    if (it == referenced_.end()) {
      std::optional<TableInfo> info;
      if (table == target_.table) {
        info = target_;
      } else if (in_.target_table) {
        info = in_.target_table(table);
      }
      it = referenced_.emplace(key, std::move(info)).first;
    }
    return it->second;
  }

  // The legacy key columns of a target table: from its mapping or migrated declaration, else
  // its legacy_* columns.
  std::vector<std::string> legacy_columns_of(const pg::QualifiedName& table) {
    if (table == target_.table) return d_.legacy_key;
    if (in_.project != nullptr) {
      if (const auto* m = in_.project->find_mapping(written_name(table))) {
        return m->legacy_key_columns;
      }
      if (const auto* t = in_.project->find_migrated(written_name(table))) {
        return t->legacy_key_columns;
      }
    }
    std::vector<std::string> out;
    if (const auto& info = referenced(table)) {
      for (const auto& c : info->columns) {
        if (starts_with(c.name, "legacy_")) out.push_back(c.name);
      }
    }
    return out;
  }

  // True when target table `candidate` holds the migrated rows of legacy table `legacy`.
  bool is_counterpart(const pg::QualifiedName& legacy, const pg::QualifiedName& candidate) {
    if (legacy == source_.table) return candidate == target_.table;
    if (legacy.name == candidate.name) return true;
    std::vector<std::string> columns = legacy_columns_of(candidate);
    if (columns.size() != 1 || !starts_with(columns[0], "legacy_")) return false;
    std::string x = columns[0].substr(7);
    if (ends_with(x, "_id")) x.resize(x.size() - 3);
    const std::string one = singular(legacy.name);
    return one == x || ends_with(one, "_" + x);
  }

  void match_columns() {
    // 1. The same name.
    for (const auto& t : target_.columns) {
      if (!unmatched(t)) continue;
      if (source_.find(t.name) != nullptr) take(t, {{t.name}, {}, ""});
    }
    // 2. The same name ignoring case and underscores, when only one column on each side fits.
    for (const auto& t : target_.columns) {
      if (!unmatched(t)) continue;
      const std::string loose = loose_name(t.name);
      auto candidates =
          free_sources([&](const ColumnInfo& s) { return loose_name(s.name) == loose; });
      int rivals = 0;
      for (const auto& other : target_.columns) {
        if (unmatched(other) && loose_name(other.name) == loose) ++rivals;
      }
      if (candidates.size() == 1 && rivals == 1) {
        take(t, {{candidates[0]->name},
                 {},
                 fmt::format("Legacy {}: the same name ignoring case and underscores",
                             candidates[0]->name)});
      }
    }
    // 3. Legacy foreign keys, to the target column whose foreign key names the counterpart.
    for (const auto& fk : source_.foreign_keys) {
      if (fk.columns.size() != 1 || used_.count(fk.columns[0])) continue;
      std::vector<const ColumnInfo*> candidates;
      for (const auto& t : target_.columns) {
        const ForeignKey* tfk = target_.foreign_key_on(t.name);
        if (unmatched(t) && tfk != nullptr && is_counterpart(fk.references, tfk->references)) {
          candidates.push_back(&t);
        }
      }
      if (candidates.size() == 1) {
        take(*candidates[0], {{fk.columns[0]},
                              {},
                              fmt::format("Legacy foreign key {}: {} references {}", fk.name,
                                          fk.columns[0], short_name(fk.references))});
      }
    }
    // 4. A target foreign key into a table that keeps legacy ids in legacy_<s>: legacy <s>.
    //    Else legacy <stem>_*_id for target <stem>_id (parent_id <- parent_group_id).
    for (const auto& t : target_.columns) {
      if (!unmatched(t)) continue;
      const ForeignKey* fk = target_.foreign_key_on(t.name);
      if (fk == nullptr) continue;
      std::vector<std::string> legacy = legacy_columns_of(fk->references);
      if (legacy.size() == 1 && starts_with(legacy[0], "legacy_") &&
          fk->references != target_.table) {
        const std::string wanted = legacy[0].substr(7);
        auto candidates = free_sources([&](const ColumnInfo& s) { return s.name == wanted; });
        if (candidates.size() == 1) {
          take(t, {{wanted},
                   {},
                   fmt::format("{} references {}, which keeps legacy ids in {}: fed from "
                               "legacy {}",
                               t.name, short_name(fk->references), legacy[0], wanted)});
          continue;
        }
      }
      if (ends_with(t.name, "_id") && t.name.size() > 3) {
        const std::string stem = t.name.substr(0, t.name.size() - 3) + "_";
        auto candidates = free_sources([&](const ColumnInfo& s) {
          return starts_with(s.name, stem) && ends_with(s.name, "_id") &&
                 s.name.size() > stem.size() + 3;
        });
        if (candidates.size() == 1) {
          take(t, {{candidates[0]->name},
                   {},
                   fmt::format("{} references {}; legacy {} is the only {}*_id column", t.name,
                               short_name(fk->references), candidates[0]->name, stem)});
        }
      }
    }
    // 5. Common renames.
    for (const auto& t : target_.columns) {
      if (!unmatched(t)) continue;
      if (ends_with(t.name, "_cents") && is_number(t.family)) {
        const std::string base = t.name.substr(0, t.name.size() - 6);
        auto candidates = free_sources([&](const ColumnInfo& s) {
          return is_number(s.family) &&
                 (s.name == base || s.name == base + "_amount" || s.name == base + "_dollars");
        });
        if (candidates.size() == 1) {
          take(t, {{candidates[0]->name},
                   {},
                   fmt::format("Legacy {}: the same amount, in cents", candidates[0]->name)});
          continue;
        }
      }
      if (is_textual(t.family) || t.family == TypeFamily::kEnum) {
        auto candidates = free_sources([&](const ColumnInfo& s) {
          return s.name == t.name + "_code" || s.name == t.name + "_cd" ||
                 s.name + "_code" == t.name;
        });
        if (candidates.size() == 1) {
          take(t,
               {{candidates[0]->name},
                {},
                fmt::format("Legacy {}: the same name with a code suffix", candidates[0]->name)});
          continue;
        }
      }
      if ((t.name == "full_name" || t.name == "name" || t.name == "display_name") &&
          is_textual(t.family)) {
        const ColumnInfo* first = source_.find("first_name");
        const ColumnInfo* last = source_.find("last_name");
        if (first != nullptr && last != nullptr && !used_.count("first_name") &&
            !used_.count("last_name")) {
          take(t, {{"first_name", "last_name"},
                   {"{ join: \" \" }", "trim"},
                   "Legacy first_name and last_name, joined with a space"});
          continue;
        }
      }
      if (is_temporal(t.family)) {
        const std::string stem = time_stem(t.name);
        if (!stem.empty()) {
          auto candidates = free_sources([&](const ColumnInfo& s) {
            return is_temporal(s.family) && time_stem(s.name) == stem;
          });
          if (candidates.size() == 1) {
            take(t, {{candidates[0]->name},
                     {},
                     fmt::format("Legacy {}: the same moment under another suffix",
                                 candidates[0]->name)});
            continue;
          }
        }
      }
      if (t.family == TypeFamily::kBoolean) {
        const std::string stem = boolean_stem(t.name);
        auto candidates = free_sources(
            [&](const ColumnInfo& s) { return s.name != t.name && boolean_stem(s.name) == stem; });
        if (candidates.size() == 1) {
          take(t, {{candidates[0]->name},
                   {},
                   fmt::format("Legacy {}: the same flag", candidates[0]->name)});
          continue;
        }
      }
    }
  }

  // ---- one column ------------------------------------------------------------------------

  DraftColumn draft_column(const ColumnInfo& t) {
    DraftColumn c;
    c.name = t.name;
    if (t.generated) {
      c.comments.push_back(fmt::format("{} ({}): not written.", t.name, describe_column(t)));
      return c;
    }
    if (t.identity) {
      c.comments.push_back(
          fmt::format("{} ({}): filled by the database.", t.name, describe_column(t)));
      return c;
    }
    if (t.name == d_.id_column && target_.primary_key.size() == 1 &&
        !contains(d_.legacy_key, t.name)) {
      if (t.family == TypeFamily::kUuid) {
        c.mapped = true;
        c.generate = "uuid_v5";
        c.comments.push_back(fmt::format(
            "The new id: a UUID v5 of the table and the legacy key, so a re-run gives every row "
            "the same id{}.",
            t.default_expr.empty()
                ? ""
                : fmt::format(" (the target's default {} would not)", t.default_expr)));
        return c;
      }
      if (t.has_default()) {
        c.comments.push_back(fmt::format("{} ({}): the new id, assigned by the database.", t.name,
                                         describe_column(t)));
        if (d_.legacy_key.empty()) {
          todo(c.comments,
               "the engine's id map needs each row's new id before the database assigns it: "
               "add a legacy_* column to the target (target.legacy_key) or generate the id.");
        }
        return c;
      }
    }
    for (size_t i = 0; i < d_.legacy_key.size(); ++i) {
      if (d_.legacy_key[i] != t.name) continue;
      c.mapped = true;
      c.from = {d_.key[i]};
      c.comments.push_back(
          d_.key.size() == 1
              ? std::string("The legacy key (target.legacy_key).")
              : fmt::format("Part {} of the legacy key (target.legacy_key).", i + 1));
      // Kept exactly as legacy has it: it is what a re-run and lookups match.
      const ColumnInfo* s = source_.find(d_.key[i]);
      if (s != nullptr && s->family != t.family && !is_textual(t.family)) {
        c.comments.push_back(
            fmt::format("Legacy {} is {}, the target {}.", s->name, s->type, t.type));
      }
      return c;
    }
    auto it = matches_.find(t.name);
    if (it == matches_.end()) {
      describe_gap(t, c);
      return c;
    }
    const Match& match = it->second;
    c.mapped = true;
    c.from = match.from;
    c.steps = match.steps;
    if (!match.why.empty()) c.comments.push_back(match.why + ".");
    if (match.from.size() == 1) {
      const ColumnInfo* s = source_.find(match.from[0]);
      if (s == nullptr) return c;
      if (!propose_lookup(*s, t, c)) d_.todos += propose_conversion(*s, t, in_.distinct_values, c);
      if (c.mapped && t.not_null && !t.has_default() && !s->not_null && c.lookup.empty() &&
          std::none_of(c.steps.begin(), c.steps.end(),
                       [](const std::string& step) { return starts_with(step, "{ default:"); })) {
        c.comments.push_back(fmt::format(
            "Legacy {} allows NULL, the target does not: the server rejects such a row (or add "
            "{{ default: ... }}).",
            s->name));
      }
    }
    return c;
  }

  // Legacy columns no target column reads whose names differ from `t`'s by common renames
  // (rename_words): the same words first, then those sharing all of the shorter name's words.
  std::vector<const ColumnInfo*> rename_suggestions(const ColumnInfo& t) {
    const std::set<std::string> mine = rename_words(t.name);
    std::vector<const ColumnInfo*> same, overlapping;
    if (mine.empty()) return same;
    for (const ColumnInfo* s : free_sources([&](const ColumnInfo& s) {
           return !contains(d_.key, s.name);
         })) {
      const std::set<std::string> theirs = rename_words(s->name);
      if (theirs.empty()) continue;
      if (theirs == mine) {
        same.push_back(s);
      } else if (std::includes(mine.begin(), mine.end(), theirs.begin(), theirs.end()) ||
                 std::includes(theirs.begin(), theirs.end(), mine.begin(), mine.end())) {
        overlapping.push_back(s);
      }
    }
    same.insert(same.end(), overlapping.begin(), overlapping.end());
    if (same.size() > 3) same.resize(3);
    return same;
  }

  void describe_gap(const ColumnInfo& t, DraftColumn& c) {
    std::vector<std::string> suggested;
    for (const ColumnInfo* s : rename_suggestions(t)) {
      suggested.push_back(fmt::format("`{}: {{ from: {} }}` (legacy {} is {})", t.name, s->name,
                                      s->name, s->type));
    }
    std::string perhaps =
        suggested.empty() ? std::string()
                          : fmt::format(" Perhaps renamed: {}.", fmt::join(suggested, " or "));
    if (t.not_null && !t.has_default()) {
      todo(c.comments,
           fmt::format("{} ({}): no legacy column matches and the target requires a value: map "
                       "it (from, value or a transform), or every row is rejected.{}",
                       t.name, describe_column(t), perhaps));
      return;
    }
    if (!suggested.empty()) {
      // A legacy column may hold this one under another name: never leave that silently.
      todo(c.comments,
           fmt::format("{} ({}): no legacy column has this name, so it is left out and the "
                       "target writes {}.{}",
                       t.name, describe_column(t),
                       t.default_expr.empty() ? "NULL" : "its default", perhaps));
      return;
    }
    c.comments.push_back(
        fmt::format("{} ({}): no legacy column matches; left out, so the "
                    "target writes {}.",
                    t.name, describe_column(t), t.default_expr.empty() ? "NULL" : "its default"));
  }

  // A lookup when the target column is a foreign key; false when there is none to propose
  // (the column may then have been turned into a gap).
  bool propose_lookup(const ColumnInfo& s, const ColumnInfo& t, DraftColumn& c) {
    const ForeignKey* fk = target_.foreign_key_on(t.name);
    if (fk == nullptr) {
      if (t.family == TypeFamily::kUuid && s.family != TypeFamily::kUuid) {
        todo(c.comments,
             fmt::format("{} is a uuid but legacy {} is {} and no foreign key says which table "
                         "it points at: add a lookup.",
                         t.name, s.name, s.type));
        return true;
      }
      return false;
    }
    if (fk->references == target_.table) {
      if (d_.legacy_key.size() != 1) {
        c.mapped = false;
        todo(c.comments,
             fmt::format("{} references this table itself, but a self-reference lookup needs a "
                         "single-column target.legacy_key; map it by hand (legacy {}).",
                         t.name, s.name));
        return true;
      }
      c.lookup = fmt::format("{{ table: {}, on_missing: \"null\" }}", yaml_scalar(d_.name));
      c.comments.push_back(fmt::format(
          "A self-reference: resolved through {} once the row it points at is written; a legacy "
          "{} with no row stays NULL (self-references allow null or fail).",
          d_.legacy_key[0], s.name));
      return true;
    }
    // Another target table: name it as the mappings folder does.
    std::string name = short_name(fk->references);
    bool declared = false;
    bool id_map = false;
    std::vector<std::string> legacy;
    if (in_.project != nullptr) {
      if (const auto* m = in_.project->find_mapping(written_name(fk->references))) {
        name = m->name;
        declared = true;
        legacy = m->legacy_key_columns;
        id_map = legacy.empty();
      } else if (const auto* migrated = in_.project->find_migrated(written_name(fk->references))) {
        name = migrated->name.empty() ? migrated->table.name : migrated->name;
        declared = true;
        legacy = migrated->legacy_key_columns;
      }
    }
    if (!declared) legacy = legacy_columns_of(fk->references);
    if (legacy.size() > 1) {
      c.mapped = false;
      todo(c.comments,
           fmt::format("{} references {}, whose legacy key has several columns ({}): a lookup "
                       "matches one column; map legacy {} by hand.",
                       t.name, short_name(fk->references), fmt::join(legacy, ", "), s.name));
      return true;
    }
    if (legacy.empty() && !id_map) {
      c.mapped = false;
      todo(c.comments,
           fmt::format("{} references {}, which keeps no legacy key (no legacy_* column{}): "
                       "nothing maps legacy {} to its new id yet.",
                       t.name, short_name(fk->references),
                       in_.project != nullptr ? ", no mapping in the folder" : "", s.name));
      return true;
    }
    c.lookup = fmt::format("{{ table: {}, on_missing: reject }}", yaml_scalar(name));
    std::string how = id_map ? fmt::format("through the id map of mapping {}", name)
                             : fmt::format("matching {}.{}", short_name(fk->references), legacy[0]);
    c.comments.push_back(fmt::format(
        "A lookup {}: a legacy {} with no row there rejects the row{}.", how, s.name,
        t.not_null
            ? ""
            : fmt::format(" ({} is nullable: on_missing: \"null\" keeps it unlinked)", t.name)));
    if (!declared) {
      if (in_.project != nullptr) {
        todo(c.comments,
             fmt::format("{} is neither mapped nor declared in {}: declare it in a kind: "
                         "migrated file (legacy_key: {}) so the lookup resolves.",
                         fk->references.display(), in_.mappings_folder, legacy[0]));
      } else {
        c.comments.push_back(fmt::format(
            "{} must be mapped or declared migrated in the mappings folder (--mappings DIR "
            "checks it).",
            fk->references.display()));
      }
    }
    return true;
  }

  void plan_trailer() {
    std::set<std::string> used(d_.key.begin(), d_.key.end());
    for (const auto& c : d_.columns) {
      if (c.mapped) used.insert(c.from.begin(), c.from.end());
    }
    std::vector<std::string> unused;
    for (const auto& s : source_.columns) {
      if (!used.count(s.name)) unused.push_back(fmt::format("{} ({})", s.name, s.type));
    }
    if (!unused.empty()) {
      d_.trailer.push_back(
          fmt::format("Legacy columns no target column reads: {}.", fmt::join(unused, ", ")));
    }
    if (!target_comments_.empty()) {
      d_.target_comment += (d_.target_comment.empty() ? "" : " ") +
                           fmt::format("{}", fmt::join(target_comments_, " "));
    }
  }

  const ScaffoldInputs& in_;
  const TableInfo& source_;
  const TableInfo& target_;
  MappingDraft d_;
  std::map<std::string, Match> matches_;
  std::set<std::string> used_;
  std::map<std::string, std::optional<TableInfo>> referenced_;
  std::vector<std::string> target_comments_;
};

}  // namespace

MappingDraft draft_mapping(const ScaffoldInputs& inputs) { return Drafter(inputs).run(); }

}  // namespace mapengine::scaffold
