#include "engine/follow/change_applier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "engine/apply/batch_builder.h"
#include "engine/apply/self_reference_resolver.h"
#include "engine/common/error.h"
#include "engine/follow/followed_table.h"
#include "engine/pg/array_literal.h"
#include "engine/pg/catalog.h"
#include "engine/pg/quote.h"
#include "engine/source/source_reader.h"
#include "engine/spec/mark_column.h"
#include "engine/state/follow_store.h"
#include "engine/state/lease.h"
#include "engine/state/legacy_key.h"

namespace mapengine::follow {
namespace {

// Keys per source statement.
constexpr size_t kKeysPerRead = 1000;

std::string canonical(const Key& key) {
  std::vector<Value> parts;
  for (const std::string& part : key) parts.push_back(Value::view(part));
  return legacy_key_text(parts);
}

// The rows of the mapping's source query whose key is among keys[begin, end), in key order,
// as one COPY statement. Key parts travel as libpq-quoted literals compared with the key
// columns in their own type, so the key's index can answer.
std::string rows_of_keys_sql(pg::Connection& source, const spec::MappingSpec& mapping,
                             const std::vector<Key>& keys, size_t begin, size_t end) {
  std::vector<std::string> columns;
  for (const auto& k : mapping.key) columns.push_back("q." + pg::quote_identifier(k));
  std::vector<std::string> tuples;
  for (size_t i = begin; i < end; ++i) {
    std::vector<std::string> literals;
    for (const std::string& part : keys[i]) literals.push_back(source.quote_literal(part));
    tuples.push_back(literals.size() == 1 ? literals[0]
                                          : fmt::format("({})", fmt::join(literals, ", ")));
  }
  std::string lhs =
      columns.size() == 1 ? columns[0] : fmt::format("({})", fmt::join(columns, ", "));
  return fmt::format("COPY (SELECT * FROM ({}\n) q WHERE {} IN ({}) ORDER BY {}) TO STDOUT",
                     mapping.source_query, lhs, fmt::join(tuples, ", "),
                     fmt::join(columns, ", "));
}

}  // namespace

struct ChangeApplier::Followed {
  spec::MappingSpec mapping;  // upserting by its legacy key
  LookupSet lookups;
  std::unique_ptr<RowProgram> program;
  state::LeaseRenewal renewal;
  std::unique_ptr<BatchWriter> writer;
  FollowedTable driving;      // its driving table, whose keys follow.also's changes find
  state::KeyMatch key_match;  // finds target rows `t` by canonical key texts
  std::string key_sql;        // the canonical key text of a target row `t`
  // follow.on_delete mark: how the column is set and cleared ("" when it is mapped: the
  // upsert writes it).
  std::string mark_set, mark_clear;
  // This transaction's work: keys to delete, and the key presence before.
  std::vector<std::string> keys;
  std::vector<Key> to_delete;
  std::vector<std::string> retired_before;
  state::KeyPresence before;
  long long written_by_writer = 0;
};

namespace {

std::vector<std::string> without(const std::vector<std::string>& keys,
                                 const std::vector<std::string>& left_out) {
  std::set<std::string> out(left_out.begin(), left_out.end());
  std::vector<std::string> kept;
  for (const std::string& key : keys) {
    if (out.count(key) == 0) kept.push_back(key);
  }
  return kept;
}

// How `mapping`'s follow.on_delete mark column is set ("" for other policies), and cleared
// when the source returns the row again ("" when the mapping writes the column itself). Throws
// Error(kSpec) at the file's line for a column the table lacks or cannot mark.
std::pair<std::string, std::string> mark_statements(pg::Connection& target,
                                                    const spec::MappingSpec& mapping) {
  if (mapping.follow.on_delete != spec::DeletePolicy::kMark) return {};
  const std::string& column = mapping.follow.mark_column;
  std::optional<std::string> type =
      pg::column_type(target, mapping.table, column, pg::TypeModifier::kWithout);
  std::string quoted = pg::quote_identifier(column);
  std::string set, clear;
  spec::MarkKind kind = spec::mark_kind(type);
  if (kind == spec::MarkKind::kFlag) {
    set = fmt::format("{} = true", quoted);
    clear = fmt::format("{} = false", quoted);
  } else if (kind == spec::MarkKind::kTime) {
    set = fmt::format("{0} = COALESCE(t.{0}, now())", quoted);
    clear = fmt::format("{} = NULL", quoted);
  } else {
    throw Error(ErrorKind::kSpec,
                fmt::format("{}: follow.on_delete marks {}, which {}; mark a boolean, "
                            "timestamp, timestamptz or date column",
                            mapping.at("follow.on_delete.mark").to_string(), column,
                            type ? fmt::format("is {}", *type)
                                 : fmt::format("is not a column of {}",
                                               mapping.table.display())));
  }
  if (mapping.find_column(column) != nullptr) clear.clear();
  return {set, clear};
}

}  // namespace

ChangeApplier::ChangeApplier(const spec::Project& project, const plan::Plan& plan,
                             pg::Connection& source, pg::Connection& target,
                             const ApplyOptions& options, long long run_id, std::string owner)
    : options_(options), run_id_(run_id), owner_(std::move(owner)) {
  for (const auto& step : plan.steps) {
    const spec::MappingSpec& original = *step.mapping;
    if (original.legacy_key_columns.empty()) {
      throw Error(ErrorKind::kSpec,
                  fmt::format("{}: mapping {} cannot be followed: following updates rows by "
                              "their legacy key, and the target keeps none (declare "
                              "target.legacy_key)",
                              original.at("target").to_string(), original.name));
    }
    auto followed = std::make_unique<Followed>();
    followed->mapping = original;
    followed->mapping.mode = spec::WriteMode::kUpsert;
    followed->mapping.conflict_columns = original.legacy_key_columns;
    std::vector<std::string> columns = describe_source(source, original.source_query);
    if (!original.follow.also.empty()) followed->driving = find_followed_table(source, original);
    // Nothing cached: every lookup is answered by the target inside the change's transaction.
    followed->lookups = load_lookups(
        target, RowProgram::lookup_targets(followed->mapping, project), 0, original.name);
    followed->program = std::make_unique<RowProgram>(followed->mapping, project, columns,
                                                     followed->lookups);
    followed->writer = std::make_unique<BatchWriter>(
        followed->mapping, followed->program->target_column_list(), run_id_, owner_,
        options_.transaction, followed->renewal);
    followed->key_match =
        state::KeyMatch::of(target, original.table, original.legacy_key_columns);
    std::vector<std::string> quoted;
    for (const auto& column : original.legacy_key_columns) {
      quoted.push_back("t." + pg::quote_identifier(column));
    }
    followed->key_sql = legacy_key_sql(quoted);
    std::tie(followed->mark_set, followed->mark_clear) = mark_statements(target, original);
    mappings_.push_back(std::move(followed));
  }
}

ChangeApplier::~ChangeApplier() = default;

std::vector<Key> ChangeApplier::upsert(Followed& f, pg::Connection& source,
                                       pg::Connection& target, const std::set<Key>& changed,
                                       AppliedChanges& applied) {
  std::vector<Key> keys(changed.begin(), changed.end());
  std::vector<Key> gone;
  BatchBuilder builder(*f.program);
  for (size_t begin = 0; begin < keys.size(); begin += kKeysPerRead) {
    size_t end = std::min(keys.size(), begin + kKeysPerRead);
    RowBlock block;
    block.last = true;
    source.copy_out(rows_of_keys_sql(source, f.mapping, keys, begin, end),
                    [&](std::string_view rows) {
                      for (char c : rows) {
                        block.data += c;
                        if (c == '\n') block.ends.push_back(block.data.size());
                      }
                      return true;
                    });
    Batch batch;
    builder.build(block, &target, batch);
    std::set<std::string> found;
    for (const auto& row : batch.rows) found.insert(row.legacy_key);
    for (const auto& reject : batch.rejects) found.insert(reject.legacy_key);
    std::vector<std::string> retried;
    for (size_t i = begin; i < end; ++i) {
      std::string text = canonical(keys[i]);
      if (found.count(text) == 0) gone.push_back(keys[i]);
      retried.push_back(std::move(text));
    }
    // Every key's earlier rejects go; this attempt's replace them.
    BatchOutcome outcome = f.writer->write_retry(target, batch, retried);
    f.written_by_writer += outcome.written;
    applied.upserted += outcome.written;
    applied.rejected += outcome.rejected;
  }
  if (f.program->has_self_refs()) resolve_self_references(target, *f.program);
  // Kept rows the source returns again are live again.
  std::vector<std::string> gone_texts;
  for (const Key& key : gone) gone_texts.push_back(canonical(key));
  std::vector<std::string> back = without(f.retired_before, gone_texts);
  if (!back.empty()) {
    state::unretire(target, f.mapping.name, back);
    if (!f.mark_clear.empty()) {
      target.exec(fmt::format("UPDATE {} t SET {} WHERE {}", f.mapping.table.quoted(),
                              f.mark_clear, f.key_match.predicate()),
                  {pg::text_array_literal(f.key_match.usable(back))});
    }
  }
  return gone;
}

void ChangeApplier::retire(Followed& f, pg::Connection& target, const std::vector<Key>& keys) {
  std::vector<std::string> texts;
  for (const Key& key : keys) texts.push_back(canonical(key));
  if (texts.empty()) return;
  std::string list = pg::text_array_literal(f.key_match.usable(texts));
  // Only rows the target holds are kept; a key never written leaves nothing behind.
  pg::Result held = target.exec(fmt::format("SELECT {} FROM {} t WHERE {}", f.key_sql,
                                            f.mapping.table.quoted(), f.key_match.predicate()),
                                {list});
  std::vector<std::string> kept;
  for (int r = 0; r < held.rows(); ++r) kept.emplace_back(held.value(r, 0));
  state::retire(target, f.mapping.name, kept,
                std::string(spec::to_string(f.mapping.follow.on_delete)));
  if (!f.mark_set.empty()) {
    target.exec(fmt::format("UPDATE {} t SET {} WHERE {}", f.mapping.table.quoted(), f.mark_set,
                            f.key_match.predicate()),
                {list});
  }
}

void ChangeApplier::erase(Followed& f, pg::Connection& target, const std::vector<Key>& keys,
                          AppliedChanges& applied) {
  std::vector<std::string> texts;
  if (f.mapping.follow.on_delete == spec::DeletePolicy::kDelete) {
    for (const Key& key : keys) texts.push_back(canonical(key));
  } else {
    retire(f, target, keys);
  }
  // A key whose row is now rejected leaves the target too: apply would not have written it.
  for (const std::string& key : state::rejected_among(target, f.mapping.name, f.keys)) {
    texts.push_back(key);
  }
  if (texts.empty()) return;
  state::unretire(target, f.mapping.name, texts);
  std::string list = pg::text_array_literal(f.key_match.usable(texts));
  try {
    applied.deleted += target
                           .exec(fmt::format("DELETE FROM {} t WHERE {}",
                                             f.mapping.table.quoted(), f.key_match.predicate()),
                                 {list})
                           .affected();
  } catch (const Error& e) {
    if (e.sqlstate() != "23503") throw;
    throw Error(ErrorKind::kConflict,
                fmt::format("{}: rows deleted in the source (or no longer returned by its query) "
                            "are still referenced in the target: {}; delete or re-point the "
                            "referencing rows in the source first",
                            f.mapping.name, e.server().message),
                e.server());
  }
}

AppliedChanges ChangeApplier::apply(pg::Connection& source, pg::Connection& target,
                                    const TransactionChanges& changes, const std::string& name) {
  AppliedChanges applied;
  target.hold_transaction();
  try {
    std::vector<Followed*> touched;
    for (auto& followed : mappings_) {
      Followed& f = *followed;
      std::set<Key> changed;
      if (auto driven = changes.keys.find(f.mapping.name); driven != changes.keys.end()) {
        changed = driven->second;
      }
      // Rows of joined tables changed: the keys whose driving row joins them, as it is now (a
      // driving row that changed since is re-evaluated by its own change).
      if (auto joined = changes.joined.find(f.mapping.name); joined != changes.joined.end()) {
        for (const auto& [also, values] : joined->second) {
          pg::Result rows = source.exec(joined_keys_sql(source, f.mapping, f.driving, also, values));
          for (int r = 0; r < rows.rows(); ++r) {
            Key key;
            for (int c = 0; c < rows.columns(); ++c) key.emplace_back(rows.value(r, c));
            changed.insert(std::move(key));
          }
        }
      }
      if (changed.empty()) continue;
      f.keys.clear();
      for (const Key& key : changed) f.keys.push_back(canonical(key));
      f.written_by_writer = 0;
      // Retired rows are no source row's: the counters leave them out.
      f.retired_before = state::retired_among(target, f.mapping.name, f.keys);
      f.before = state::key_presence(target, f.mapping.name, f.mapping.table.quoted(),
                                     f.key_match, without(f.keys, f.retired_before));
      f.to_delete = upsert(f, source, target, changed, applied);
      touched.push_back(&f);
    }
    // Children before parents.
    for (auto it = touched.rbegin(); it != touched.rend(); ++it) {
      erase(**it, target, (*it)->to_delete, applied);
    }
    for (Followed* f : touched) {
      std::vector<std::string> live =
          without(f->keys, state::retired_among(target, f->mapping.name, f->keys));
      state::KeyPresence after = state::key_presence(target, f->mapping.name,
                                                     f->mapping.table.quoted(), f->key_match,
                                                     live);
      // The writer counted every row it wrote as new; what the target gained is the truth.
      state::adjust_counts(target, f->mapping.name,
                           (after.rows + after.rejected) - (f->before.rows + f->before.rejected),
                           (after.rows - f->before.rows) - f->written_by_writer);
    }
    state::confirm_position(target, name, changes.end_lsn, owner_);
    target.commit_held_transaction();
  } catch (...) {
    target.end_held_transaction();
    throw;
  }
  return applied;
}

}  // namespace mapengine::follow
