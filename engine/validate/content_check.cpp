#include "engine/validate/content_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/apply/row_program.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/lookup/lookup_table.h"
#include "engine/pg/connection.h"
#include "engine/pg/quote.h"
#include "engine/source/copy_text_decoder.h"
#include "engine/source/source_reader.h"
#include "engine/state/follow_store.h"
#include "engine/state/legacy_key.h"
#include "engine/validate/chunk_digest.h"
#include "engine/validate/record_stream.h"
#include "engine/validate/target_table.h"
#include "engine/validate/value_normalizer.h"

namespace mapengine::validate {
namespace {

// Streams run in one read-only transaction each, without a statement timeout (one statement
// reads a whole table) and with room to sort in memory.
const std::vector<std::string> kStreamSetup = {
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    "SET LOCAL statement_timeout = 0",
    "SET LOCAL work_mem = '64MB'",
};

// How a target column is compared.
enum class Compare {
  kValue,     // the value the mapping produces
  kPresence,  // generate: uuid, random: only its presence
  kSelfRef,   // a self-reference: the legacy value of the row it points at
};

struct ColumnPlan {
  std::string name;
  size_t program_index = 0;
  Compare how = Compare::kValue;
  std::string type;         // for normalisation: the column's type (kSelfRef: the match column's)
  std::string target_expr;  // SQL over `t`
  std::string match;        // kSelfRef: the column holding the legacy value
};

// Appends `text` escaped the way the server's COPY TO writes it (CopyAttributeOutText), so that
// an expected value and the target's output are byte-equal when the values are.
void append_server_copy(std::string& out, std::string_view text) {
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char letter = 0;
    switch (text[i]) {
      case '\\':
        letter = '\\';
        break;
      case '\b':
        letter = 'b';
        break;
      case '\f':
        letter = 'f';
        break;
      case '\n':
        letter = 'n';
        break;
      case '\r':
        letter = 'r';
        break;
      case '\t':
        letter = 't';
        break;
      case '\v':
        letter = 'v';
        break;
      default:
        continue;
    }
    out.append(text.data() + run, i - run);
    out += '\\';
    out += letter;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

std::vector<ColumnPlan> plan_columns(const spec::MappingSpec& mapping, const RowProgram& program,
                                     const TargetTable& table, std::vector<std::string>& notes) {
  std::vector<ColumnPlan> plans;
  const auto& columns = program.columns();
  for (size_t i = 0; i < columns.size(); ++i) {
    const CompiledColumn& column = columns[i];
    std::string quoted = "t." + pg::quote_identifier(column.name);
    if (mapping.mode == spec::WriteMode::kUpsert && !mapping.is_association() &&
        column.name == mapping.id_columns[0]) {
      notes.push_back(
          fmt::format("{}: not compared (an upsert keeps the id of a row that existed "
                      "before)",
                      column.name));
      continue;
    }
    ColumnPlan plan;
    plan.name = column.name;
    plan.program_index = i;
    const std::string& type = table.type_of(column.name);
    if (column.generate == spec::Generate::kUuidRandom ||
        column.generate == spec::Generate::kUuidTimeOrdered) {
      plan.how = Compare::kPresence;
      plan.target_expr = fmt::format("CASE WHEN {} IS NULL THEN NULL ELSE 'present' END", quoted);
      notes.push_back(fmt::format("{}: {} uuid, checked for presence only", column.name,
                                  column.generate == spec::Generate::kUuidRandom ? "random"
                                                                                 : "time-ordered"));
    } else if (column.lookup_target && column.lookup_target->self) {
      const LookupTarget& self = *column.lookup_target;
      plan.how = Compare::kSelfRef;
      plan.match = self.match;
      plan.type = table.type_of(self.match);
      plan.target_expr = fmt::format("(SELECT s.{} FROM {} s WHERE s.{} = {} LIMIT 1)",
                                     pg::quote_identifier(self.match), mapping.table.quoted(),
                                     pg::quote_identifier(self.returns), quoted);
      notes.push_back(
          fmt::format("{}: self-reference, compared through the row it points at "
                      "(its {})",
                      column.name, self.match));
    } else {
      plan.type = type;
      plan.target_expr = quoted;
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

// The source side's records: key, NUL, then 'o' + the expected row, or 'r' + why the mapping
// rejects the row.
struct SourceState {
  const RowProgram* program = nullptr;
  const std::vector<ColumnPlan>* plans = nullptr;
  RowScratch scratch;
  std::vector<Value> fields;
  std::string encoded;  // what apply would send (unused here)
  std::string record;
};

void make_source_record(SourceState& state, std::string_view row, RecordBlock& block) {
  const RowProgram& program = *state.program;
  if (!CopyTextDecoder::decode_row(row, state.fields) ||
      state.fields.size() != program.source_columns().size()) {
    throw Error(ErrorKind::kData, fmt::format("{}: malformed row from the source: {}",
                                              program.mapping().name, row.substr(0, 200)));
  }
  std::string& record = state.record;
  state.encoded.clear();
  record.clear();
  try {
    RowResult result = program.process(state.fields, state.scratch, state.encoded);
    record = state.scratch.legacy_key;
    record += '\0';
    if (!result.ok) {
      const RejectRecord& r = result.reject;
      record += 'r';
      record += fmt::format("{} {}: {}", r.rule, r.column, r.reason);
    } else {
      record += 'o';
      bool first = true;
      for (const ColumnPlan& plan : *state.plans) {
        if (!first) record += '\t';
        first = false;
        if (plan.how == Compare::kPresence) {
          record += "present";
          continue;
        }
        if (plan.how == Compare::kSelfRef) {
          const PendingRef* ref = nullptr;
          for (const auto& p : result.pending) {
            if (p.column == plan.name) ref = &p;
          }
          if (ref == nullptr) {
            record += "\\N";
          } else {
            append_server_copy(record, ref->ref);
          }
          continue;
        }
        const Value& value = state.scratch.outputs[plan.program_index];
        if (value.is_null()) {
          record += "\\N";
        } else {
          append_server_copy(record, value.text());
        }
      }
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kData) throw;
    program.key_of(state.fields, state.scratch.legacy_key);
    record = state.scratch.legacy_key;
    record += '\0';
    record += 'r';
    record += e.what();
  }
  block.add(record);
}

// A walk over one sorted stream, exposing the current record's key and payload.
class Cursor {
 public:
  enum class Layout { kSource, kTabbed };
  Cursor(RecordStream& stream, Layout layout, std::string what)
      : stream_(stream), layout_(layout), what_(std::move(what)) {
    advance();
  }

  bool valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view payload() const { return payload_; }

  void advance() {
    previous_.assign(key_);
    std::string_view record;
    valid_ = stream_.next(record);
    if (!valid_) return;
    size_t split = record.find(layout_ == Layout::kSource ? '\0' : '\t');
    std::string_view key = record.substr(0, split);
    payload_ = split == std::string_view::npos ? std::string_view() : record.substr(split + 1);
    if (layout_ == Layout::kTabbed && key.find('\\') != std::string_view::npos) {
      Value decoded;
      if (!CopyTextDecoder::decode_field(key, decoded)) {
        throw Error(ErrorKind::kData, fmt::format("{}: malformed COPY row", what_));
      }
      owned_.assign(decoded.text());
      key = owned_;
    }
    key_ = key;
    if (started_ && key_ < std::string_view(previous_)) {
      throw Error::internal(fmt::format(
          "{}: rows arrived out of legacy-key order ({} after {}); the comparison needs the "
          "server's COLLATE \"C\" order",
          what_, key_, previous_));
    }
    started_ = true;
  }

 private:
  RecordStream& stream_;
  Layout layout_;
  std::string what_;
  bool valid_ = false;
  bool started_ = false;
  std::string_view key_, payload_;
  std::string owned_;
  std::string previous_;
};

// One key of the merge.
struct Entry {
  std::string key;
  char source = 0;       // 0: no source row; 'o': an expected row; 'r': the mapping rejects it
  std::string expected;  // 'o': the expected row (COPY text); 'r': why it is rejected
  bool target = false;
  std::string actual;      // the target row (COPY text)
  bool rejected = false;   // a reject is recorded for the key
  std::string reject;      // rule, column, reason (raw COPY fields)
  bool duplicate = false;  // the key repeats the previous key
};

std::vector<std::optional<std::string>> decode_line(std::string_view line) {
  std::vector<Value> fields;
  std::vector<std::optional<std::string>> out;
  if (!CopyTextDecoder::decode_row(line, fields)) return out;
  for (const auto& f : fields) {
    out.push_back(f.is_null() ? std::nullopt : std::optional<std::string>(f.text()));
  }
  return out;
}

std::string reject_note(const std::string& raw) {
  std::vector<std::optional<std::string>> f = decode_line(raw);
  if (f.size() < 3) return "a reject is recorded";
  std::string rule = f[0].value_or("");
  std::string column = f[1].value_or("");
  return fmt::format("rejected by apply: {}{}{}: {}", rule, column.empty() ? "" : " ", column,
                     f[2].value_or(""));
}

class ContentComparer {
 public:
  ContentComparer(const spec::MappingSpec& mapping, const std::vector<ColumnPlan>& plans,
                  const std::string& target_url, const ContentOptions& options)
      : mapping_(mapping), plans_(plans), normalizer_(target_url), options_(options) {}

  Entry& add() {
    if (used_ >= static_cast<size_t>(std::max(1L, options_.chunk_rows))) flush();
    if (used_ == entries_.size()) entries_.emplace_back();  // grows to one chunk, then reused
    Entry& e = entries_[used_++];
    e.source = 0;
    e.target = false;
    e.rejected = false;
    e.duplicate = false;
    return e;
  }

  // Compares the chunk gathered so far.
  void flush() {
    if (used_ == 0) return;
    ++figures_.chunks;
    static constexpr std::string_view kSeparator("\0", 1);
    for (size_t i = 0; i < used_; ++i) {
      const Entry& e = entries_[i];
      if (!e.rejected && e.source != 0) {
        expected_digest_.update(e.key);
        expected_digest_.update(kSeparator);
        expected_digest_.update(e.source == 'o' ? std::string_view(e.expected) : "\x01");
        expected_digest_.update("\n");
      }
      if (e.target) {
        actual_digest_.update(e.key);
        actual_digest_.update(kSeparator);
        actual_digest_.update(e.actual);
        actual_digest_.update("\n");
      }
    }
    std::string expected = expected_digest_.finish();
    std::string actual = actual_digest_.finish();
    table_digest_.update(actual);
    if (expected != actual && examine()) ++figures_.chunks_differing;
    used_ = 0;
  }

  ContentFigures& figures() { return figures_; }
  std::vector<Difference>& differences() { return differences_; }
  std::string table_digest() { return table_digest_.finish(); }

 private:
  struct Candidate {
    size_t entry;
    size_t column;
    std::optional<std::string> expected, actual;
    bool differs = true;
  };

  void name(Difference d) {
    size_t& count = named_[static_cast<int>(d.kind)];
    if (count >= options_.max_examples) return;
    ++count;
    differences_.push_back(std::move(d));
  }

  // Looks at the chunk row by row; returns true when some row really differs.
  bool examine() {
    long long before = figures_.missing + figures_.extra + figures_.changed;
    std::vector<Candidate> candidates;
    for (size_t i = 0; i < used_; ++i) {
      const Entry& e = entries_[i];
      if (e.rejected) {
        if (e.target) {
          ++figures_.extra;
          name(
              {DifferenceKind::kExtra, e.key, "", {}, {}, reject_note(e.reject) + "; yet present"});
        }
        continue;
      }
      if (e.source == 0) {
        ++figures_.extra;
        name({DifferenceKind::kExtra,
              e.key,
              "",
              {},
              {},
              e.duplicate ? "the target holds this legacy key more than once"
                          : "the source does not produce this legacy key"});
        continue;
      }
      if (!e.target) {
        ++figures_.missing;
        std::string note;
        if (e.duplicate) {
          note = "the source produces this legacy key more than once (source.key must be unique)";
        } else if (e.source == 'r') {
          note = "the mapping now rejects the row and no reject is recorded: " + e.expected;
        }
        name({DifferenceKind::kMissing, e.key, "", {}, {}, note});
        continue;
      }
      if (e.source == 'r') {
        ++figures_.changed;
        name({DifferenceKind::kChanged,
              e.key,
              "",
              {},
              {},
              "the target holds the row but the mapping now rejects it: " + e.expected});
        continue;
      }
      if (e.expected == e.actual) continue;
      std::vector<std::optional<std::string>> want = decode_line(e.expected);
      std::vector<std::optional<std::string>> have = decode_line(e.actual);
      if (want.size() != plans_.size() || have.size() != plans_.size()) {
        throw Error::internal(
            fmt::format("{}: legacy key {}: rows of {} and {} fields, expected {}", mapping_.name,
                        e.key, want.size(), have.size(), plans_.size()));
      }
      for (size_t c = 0; c < plans_.size(); ++c) {
        if (want[c] != have[c])
          candidates.push_back({i, c, std::move(want[c]), std::move(have[c])});
      }
    }
    resolve(candidates);
    size_t last_entry = SIZE_MAX;
    for (auto& c : candidates) {
      if (!c.differs) continue;
      if (c.entry != last_entry) ++figures_.changed;
      last_entry = c.entry;
      const ColumnPlan& plan = plans_[c.column];
      std::string note;
      if (plan.how == Compare::kSelfRef) {
        note = fmt::format("a self-reference: the {} of the row it points at", plan.match);
      }
      name({DifferenceKind::kChanged, entries_[c.entry].key, plan.name,
            plan.how == Compare::kPresence ? std::optional<std::string>("a uuid") : c.expected,
            plan.how == Compare::kPresence && c.actual ? std::optional<std::string>("a uuid")
                                                       : c.actual,
            note});
    }
    return figures_.missing + figures_.extra + figures_.changed > before;
  }

  // Decides which candidate values really differ: normalises expected values through the
  // target's types, and accepts a NULL self-reference whose target row does not exist.
  void resolve(std::vector<Candidate>& candidates) {
    std::map<size_t, std::vector<size_t>> to_normalize, to_find;  // column -> candidates
    for (size_t k = 0; k < candidates.size(); ++k) {
      Candidate& c = candidates[k];
      const ColumnPlan& plan = plans_[c.column];
      if (plan.how == Compare::kPresence) continue;
      if (c.expected && c.actual) {
        to_normalize[c.column].push_back(k);
      } else if (plan.how == Compare::kSelfRef && c.expected && !c.actual) {
        to_find[c.column].push_back(k);
      }
    }
    for (const auto& [column, indexes] : to_normalize) {
      std::vector<std::string> values;
      for (size_t k : indexes) values.push_back(*candidates[k].expected);
      std::vector<std::string> normal = normalizer_.normalize(plans_[column].type, values);
      for (size_t n = 0; n < indexes.size(); ++n) {
        Candidate& c = candidates[indexes[n]];
        if (normal[n] == *c.actual) c.differs = false;
        c.expected = std::move(normal[n]);  // shown as the target would print it
      }
    }
    for (const auto& [column, indexes] : to_find) {
      const ColumnPlan& plan = plans_[column];
      std::vector<std::string> values;
      for (size_t k : indexes) values.push_back(*candidates[k].expected);
      auto found = normalizer_.existing(mapping_.table, plan.match, plan.type, values);
      for (size_t k : indexes) {
        // No row to point at: NULL is what on_missing: null writes.
        if (!found.count(*candidates[k].expected)) candidates[k].differs = false;
      }
    }
  }

  const spec::MappingSpec& mapping_;
  const std::vector<ColumnPlan>& plans_;
  ValueNormalizer normalizer_;
  const ContentOptions& options_;
  std::vector<Entry> entries_;
  size_t used_ = 0;
  ChunkDigest expected_digest_, actual_digest_, table_digest_;
  ContentFigures figures_;
  std::vector<Difference> differences_;
  size_t named_[3] = {0, 0, 0};
};

std::string source_sql(const spec::MappingSpec& mapping) {
  std::vector<std::string> key;
  for (const auto& k : mapping.key) key.push_back("q." + pg::quote_identifier(k));
  return fmt::format("COPY (SELECT * FROM ({}\n) q ORDER BY ({}) COLLATE \"C\") TO STDOUT",
                     mapping.source_query, legacy_key_sql(key));
}

// `live`: a condition on `t` leaving out rows kept as retired (legacy key mappings only).
std::string target_sql(const spec::MappingSpec& mapping, const std::vector<ColumnPlan>& plans,
                       const pg::Connection& quoting, const std::string& live) {
  std::string columns;
  for (const auto& plan : plans) columns += ", " + plan.target_expr;
  if (!mapping.legacy_key_columns.empty()) {
    std::vector<std::string> key;
    for (const auto& k : mapping.legacy_key_columns) key.push_back("t." + pg::quote_identifier(k));
    std::string key_text = legacy_key_sql(key);
    return fmt::format(
        "COPY (SELECT {key}{columns} FROM {table} t WHERE {first} IS NOT NULL AND {live} "
        "ORDER BY ({key}) COLLATE \"C\") TO STDOUT",
        fmt::arg("key", key_text), fmt::arg("columns", columns),
        fmt::arg("table", mapping.table.quoted()), fmt::arg("first", key[0]),
        fmt::arg("live", live));
  }
  return fmt::format(
      "COPY (SELECT m.legacy_key{columns} FROM mapengine.id_map m JOIN {table} t "
      "ON {id} = m.new_id WHERE m.mapping = {name} "
      "ORDER BY m.legacy_key COLLATE \"C\") TO STDOUT",
      fmt::arg("columns", columns), fmt::arg("table", mapping.table.quoted()),
      fmt::arg("id", id_expr(mapping)),
      fmt::arg("name", quoting.quote_literal(mapping.name)));
}

std::string rejects_sql(const spec::MappingSpec& mapping, const pg::Connection& quoting) {
  return fmt::format(
      "COPY (SELECT k, rule, column_name, reason FROM (SELECT DISTINCT ON (legacy_key) "
      "legacy_key AS k, rule, column_name, reason, reject_id FROM mapengine.rejects "
      "WHERE mapping = {} ORDER BY legacy_key, reject_id DESC) r ORDER BY k COLLATE \"C\") "
      "TO STDOUT",
      quoting.quote_literal(mapping.name));
}

}  // namespace

ContentOutcome check_content(const spec::MappingSpec& mapping, const spec::Project& project,
                             const std::string& source_url, const std::string& target_url,
                             const ContentOptions& options) {
  auto started = std::chrono::steady_clock::now();
  pg::Connection source(source_url, "source");
  pg::Connection target(target_url, "target");

  // Compile the mapping as apply does, but with deferred lookups resolved now: the value a
  // deferred column must hold once filled, so that one still NULL is a difference.
  std::vector<std::string> columns = describe_source(source, mapping.source_query);
  // Lookups are loaded whole here, whatever apply's --lookup-memory: validate streams rows one
  // by one and has no batches to fetch lookups for.
  LookupSet lookups;
  for (const auto& where :
       RowProgram::lookup_targets(mapping, project, DeferredLookups::kResolve)) {
    std::string key = where.select_sql();
    if (!lookups.tables.count(key)) lookups.tables.emplace(key, LookupTable::load(target, where));
  }
  RowProgram program(mapping, project, columns, lookups, DeferredLookups::kResolve);
  // References still parked are unfilled whatever the looked-up table holds now (it may not be
  // written yet, so that resolving gives NULL too).
  long long unfilled = 0;
  std::vector<std::string> unfilled_columns;
  if (target.exec("SELECT to_regclass('mapengine.pending_refs') IS NOT NULL").value(0, 0) == "t") {
    for (const auto& column : mapping.columns) {
      if (!column.lookup || !column.lookup->deferred) continue;
      long long parked = std::stoll(std::string(
          target
              .exec("SELECT count(*) FROM mapengine.pending_refs WHERE mapping = $1 AND "
                    "column_name = $2",
                    {mapping.name, column.name})
              .value(0, 0)));
      if (parked == 0) continue;
      unfilled += parked;
      unfilled_columns.push_back(column.name);
    }
  }
  TargetTable table = TargetTable::load(target, mapping.table);
  std::vector<std::string> notes;
  std::vector<ColumnPlan> plans = plan_columns(mapping, program, table, notes);

  auto state = std::make_shared<SourceState>();
  state->program = &program;
  state->plans = &plans;
  std::string live = "true";
  if (!mapping.legacy_key_columns.empty()) {
    std::vector<std::string> key;
    for (const auto& k : mapping.legacy_key_columns) key.push_back("t." + pg::quote_identifier(k));
    live = state::not_retired_sql(target, mapping.name, legacy_key_sql(key));
  }
  std::string target_copy = target_sql(mapping, plans, target, live);
  std::string rejects_copy = rejects_sql(mapping, target);
  ContentComparer comparer(mapping, plans, target_url, options);

  {
    RecordStream source_stream(source_url, "source", kStreamSetup, source_sql(mapping),
                               [state](std::string_view row, RecordBlock& block) {
                                 make_source_record(*state, row, block);
                               });
    RecordStream target_stream(target_url, "target", kStreamSetup, target_copy);
    RecordStream reject_stream(target_url, "target", kStreamSetup, rejects_copy);
    Cursor src(source_stream, Cursor::Layout::kSource, "source");
    Cursor tgt(target_stream, Cursor::Layout::kTabbed, "target " + mapping.table.display());
    Cursor rej(reject_stream, Cursor::Layout::kTabbed, "mapengine.rejects");
    ContentFigures& figures = comparer.figures();
    bool reject_matched = false;
    std::string last_key;
    bool have_last = false;
    long long steps = 0;

    while (src.valid() || tgt.valid()) {
      if ((++steps & 0xfff) == 0 && options.interrupted != nullptr && options.interrupted->load()) {
        throw Error(ErrorKind::kInterrupted,
                    fmt::format("{}: validation interrupted", mapping.name));
      }
      std::string_view key = !src.valid()   ? tgt.key()
                             : !tgt.valid() ? src.key()
                                            : std::min(src.key(), tgt.key());
      bool from_source = src.valid() && src.key() == key;
      bool from_target = tgt.valid() && tgt.key() == key;
      while (rej.valid() && rej.key() < key) {
        if (!reject_matched) ++figures.stale_rejects;
        rej.advance();
        reject_matched = false;
      }
      Entry& e = comparer.add();
      e.key.assign(key);
      e.duplicate = have_last && e.key == last_key;
      last_key.assign(e.key);
      have_last = true;
      if (rej.valid() && rej.key() == e.key) {
        e.rejected = true;
        e.reject.assign(rej.payload());
        reject_matched = true;
      }
      if (from_source) {
        ++figures.source_rows;
        std::string_view payload = src.payload();
        e.source = payload.empty() ? 'r' : payload[0];
        e.expected.assign(payload.empty() ? payload : payload.substr(1));
        src.advance();
      }
      if (from_target) {
        ++figures.target_rows;
        e.target = true;
        e.actual.assign(tgt.payload());
        tgt.advance();
      }
      if (e.rejected && e.source != 0 && !e.target) ++figures.rejected;
      if (!e.rejected && e.source == 'o' && e.target) ++figures.compared;
    }
    while (rej.valid()) {
      if (!reject_matched) ++figures.stale_rejects;
      rej.advance();
      reject_matched = false;
    }
    comparer.flush();
  }

  ContentOutcome outcome;
  ContentFigures& f = outcome.figures = comparer.figures();
  CheckResult& check = outcome.check;
  check.check = "content";
  check.label = "content";
  long long differing = f.missing + f.extra + f.changed;
  bool tolerated = mapping.mode == spec::WriteMode::kSkipExisting && f.missing == 0 &&
                   f.extra == 0 && f.changed > 0 && f.changed <= options.tolerated_changes;
  check.ok = (differing == 0 || tolerated) && unfilled == 0;
  std::string excluded =
      f.rejected > 0 ? fmt::format("; {} rejected row(s) excluded", group_thousands(f.rejected))
                     : "";
  if (differing == 0) {
    check.summary = fmt::format(
        "{} row(s) hold exactly what the mapping produces{} ({} chunk(s) "
        "of up to {} keys)",
        group_thousands(f.compared), excluded, f.chunks, group_thousands(options.chunk_rows));
  } else {
    check.summary = fmt::format(
        "{} row(s) differ: {} missing, {} extra, {} changed ({} compared{}; {} of {} chunk(s) "
        "differ)",
        group_thousands(differing), group_thousands(f.missing), group_thousands(f.extra),
        group_thousands(f.changed), group_thousands(f.compared), excluded, f.chunks_differing,
        f.chunks);
  }
  if (tolerated) {
    check.details.push_back(fmt::format(
        "mode skip_existing kept {} existing row(s) as found: {} changed row(s) are expected",
        group_thousands(options.tolerated_changes), group_thousands(f.changed)));
  }
  if (unfilled > 0) {
    check.summary += fmt::format("; {} deferred reference(s) not filled yet", unfilled);
    check.details.push_back(fmt::format(
        "{} deferred reference(s) of {} are not filled yet: apply the mapping they look up, or "
        "run apply again to finish an interrupted fill",
        group_thousands(unfilled), fmt::join(unfilled_columns, ", ")));
  }
  for (auto& note : notes) check.details.push_back(std::move(note));
  if (f.stale_rejects > 0) {
    check.details.push_back(
        fmt::format("{} recorded reject(s) name legacy keys the source no longer produces",
                    group_thousands(f.stale_rejects)));
  }
  if (differing > static_cast<long long>(comparer.differences().size())) {
    check.details.push_back(
        fmt::format("showing up to {} examples of each kind", options.max_examples));
  }
  check.differences = std::move(comparer.differences());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  check.figures = {{"source_rows", f.source_rows},
                   {"target_rows", f.target_rows},
                   {"compared", f.compared},
                   {"rejected", f.rejected},
                   {"missing", f.missing},
                   {"extra", f.extra},
                   {"changed", f.changed},
                   {"stale_rejects", f.stale_rejects},
                   {"unfilled_deferred", unfilled},
                   {"chunks", f.chunks},
                   {"chunks_differing", f.chunks_differing},
                   {"chunk_rows", options.chunk_rows},
                   {"target_digest", comparer.table_digest()},
                   {"seconds", seconds}};
  log_event(spdlog::level::debug, "validate_content",
            fmt::format("{}: content compared in {:.1f} s", mapping.name, seconds),
            {{"table", mapping.name}, {"rows", f.source_rows}, {"differing", differing}});
  return outcome;
}

}  // namespace mapengine::validate
