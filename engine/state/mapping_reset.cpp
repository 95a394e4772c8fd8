#include "engine/state/mapping_reset.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"
#include "engine/plan/dependency_plan.h"
#include "engine/state/bulk_definitions.h"
#include "engine/state/checkpoint_store.h"
#include "engine/state/lease.h"
#include "engine/state/legacy_key.h"
#include "engine/state/range_lease.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine::state {
namespace {

// A mapping as mapengine.mappings recorded it when it last ran.
struct Registered {
  std::string mapping;
  pg::QualifiedName table;
  std::vector<std::string> legacy_key_columns;
  std::string id_column;                // as recorded: an association's key columns joined by ","
  std::vector<std::string> id_columns;  // id_column split
  std::string file, checksum;
  std::string lease_owner;
  bool lease_live = false;
  std::string started_at;
  long long skipped = 0;
};

std::vector<std::string> json_strings(std::string_view json) {
  std::vector<std::string> out;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_array()) {
    for (const auto& item : parsed) out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, Registered> load_registered(pg::Connection& target) {
  std::map<std::string, Registered> out;
  if (state_version(target) == 0) return out;
  pg::Result rows = target.exec(
      "SELECT mapping, table_schema, table_name, array_to_json(legacy_key_columns)::text, "
      "id_column, file, checksum, lease_owner, COALESCE(lease_until > clock_timestamp(), false), "
      "COALESCE(to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ'), ''), "
      "(SELECT COALESCE(sum(rows_skipped), 0) FROM mapengine.checkpoints c "
      "WHERE c.mapping = m.mapping) FROM mapengine.mappings m");
  for (int r = 0; r < rows.rows(); ++r) {
    Registered m;
    m.mapping = rows.value(r, 0);
    m.table = {std::string(rows.value(r, 1)), std::string(rows.value(r, 2))};
    m.legacy_key_columns = json_strings(rows.value(r, 3));
    m.id_column = rows.value(r, 4);
    for (std::string_view ids = m.id_column; !ids.empty();) {
      size_t comma = std::min(ids.find(','), ids.size());
      m.id_columns.emplace_back(ids.substr(0, comma));
      ids.remove_prefix(std::min(comma + 1, ids.size()));
    }
    m.file = rows.value(r, 5);
    m.checksum = rows.value(r, 6);
    m.lease_owner = rows.value(r, 7);
    m.lease_live = rows.value(r, 8) == "t";
    m.started_at = rows.value(r, 9);
    m.skipped = std::stoll(std::string(rows.value(r, 10)));
    // Processes that joined a run (apply --join) hold only key ranges.
    if (!m.lease_live) {
      if (auto holder = live_range_holder(range_holders(target, m.mapping), /*owner=*/"")) {
        m.lease_owner = holder->owner;
        m.lease_live = true;
      }
    }
    out.emplace(m.mapping, std::move(m));
  }
  return out;
}

bool table_exists(pg::Connection& target, const pg::QualifiedName& table) {
  return !target.exec("SELECT to_regclass($1)", {table.quoted()}).is_null(0, 0);
}

bool column_exists(pg::Connection& target, const pg::QualifiedName& table,
                   const std::string& column) {
  return target
             .exec("SELECT FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 "
                   "AND attnum > 0 AND NOT attisdropped",
                   {table.quoted(), column})
             .rows() == 1;
}

// Whether the rows `m` wrote can be found: by a legacy-key column, or by the id column(s) its id
// map entries name. REQUIRES: m.table exists.
bool identifiable(pg::Connection& target, const Registered& m) {
  if (!m.legacy_key_columns.empty()) return true;
  if (m.id_columns.empty()) return false;
  return std::all_of(m.id_columns.begin(), m.id_columns.end(), [&](const std::string& column) {
    return column_exists(target, m.table, column);
  });
}

// SQL condition true for the rows of m.table (as `alias`) that mapping `m` wrote.
std::string owned_rows(pg::Connection& target, const Registered& m, const std::string& alias) {
  std::string name = target.quote_literal(m.mapping);
  if (!m.legacy_key_columns.empty()) {
    std::vector<std::string> quoted;
    for (const auto& c : m.legacy_key_columns) {
      quoted.push_back(alias + "." + pg::quote_identifier(c));
    }
    return fmt::format(
        "({} IS NOT NULL AND NOT EXISTS (SELECT FROM mapengine.rejects r WHERE r.mapping = {} "
        "AND r.legacy_key = {}))",
        quoted[0], name, legacy_key_sql(quoted));
  }
  // The id map's new id: the id column's text, or an association's canonical key text.
  std::vector<std::string> ids;
  for (const auto& c : m.id_columns) ids.push_back(alias + "." + pg::quote_identifier(c));
  return fmt::format(
      "EXISTS (SELECT FROM mapengine.id_map i WHERE i.mapping = {} AND i.new_id = {})", name,
      legacy_key_sql(ids));
}

// A foreign key into a mapping's table.
struct Reference {
  std::string constraint;
  pg::QualifiedName from;
  std::vector<std::string> columns, referenced;
};

std::vector<Reference> references_to(pg::Connection& target, const pg::QualifiedName& table) {
  pg::Result rows = target.exec(
      "SELECT c.oid, c.conname, n.nspname, t.relname, a.attname, b.attname "
      "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
      "JOIN pg_namespace n ON n.oid = t.relnamespace "
      "CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(fk, pk, ord) "
      "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.fk "
      "JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = k.pk "
      "WHERE c.contype = 'f' AND c.confrelid = $1::regclass "
      "ORDER BY n.nspname, t.relname, c.conname, c.oid, k.ord",
      {table.quoted()});
  std::vector<Reference> out;
  std::string last_oid;
  for (int r = 0; r < rows.rows(); ++r) {
    if (rows.value(r, 0) != last_oid) {
      last_oid = rows.value(r, 0);
      out.push_back({std::string(rows.value(r, 1)),
                     {std::string(rows.value(r, 2)), std::string(rows.value(r, 3))},
                     {},
                     {}});
    }
    out.back().columns.emplace_back(rows.value(r, 4));
    out.back().referenced.emplace_back(rows.value(r, 5));
  }
  return out;
}

// Rows of ref.from that reference rows `m` wrote, leaving out rows written by `excluded` (the
// mappings of ref.from that are reset too, before or with `m`).
long long count_referencing(pg::Connection& target, const Registered& m, const Reference& ref,
                            const std::vector<const Registered*>& excluded) {
  std::string join;
  for (size_t i = 0; i < ref.columns.size(); ++i) {
    join += fmt::format(" AND t.{} = c.{}", pg::quote_identifier(ref.referenced[i]),
                        pg::quote_identifier(ref.columns[i]));
  }
  std::string sql = fmt::format("SELECT count(*) FROM {} c WHERE EXISTS (SELECT FROM {} t WHERE {}{})",
                                ref.from.quoted(), m.table.quoted(), owned_rows(target, m, "t"), join);
  for (const Registered* x : excluded) sql += " AND NOT " + owned_rows(target, *x, "c");
  return std::stoll(std::string(target.exec(sql).value(0, 0)));
}

long long count_rows(pg::Connection& target, const std::string& sql, const std::string& mapping) {
  return std::stoll(std::string(target.exec(sql, {mapping}).value(0, 0)));
}

// The state rows of `mapping` (they exist only when the state schema does).
void count_state(pg::Connection& target, ResetStep& step) {
  step.id_map = count_rows(target, "SELECT count(*) FROM mapengine.id_map WHERE mapping = $1",
                      step.mapping);
  step.rejects = count_rows(target, "SELECT count(*) FROM mapengine.rejects WHERE mapping = $1",
                       step.mapping);
  step.pending_refs = count_rows(
      target, "SELECT count(*) FROM mapengine.pending_refs WHERE mapping = $1", step.mapping);
  step.checkpoints = count_rows(
      target, "SELECT count(*) FROM mapengine.checkpoints WHERE mapping = $1", step.mapping);
}

std::string lease_refusal(const Registered& m) {
  return fmt::format(
      "{}: another mapengine is applying this mapping: {}, started {}; wait for it to finish or "
      "stop it (its lease expires {} after its last batch)",
      m.mapping, describe_lease_owner(m.lease_owner), m.started_at, lease_duration_text());
}

// Reset owns no lease: any live one is another process's.
bool held_by_another(const Registered& m) {
  return decide_lease(m.lease_owner, m.lease_live, /*owner=*/"") == LeaseDecision::kRefuse;
}

std::optional<spec::WriteMode> mode_of(const ResetOptions& options, const std::string& mapping) {
  auto it = options.known.find(mapping);
  if (it == options.known.end()) return std::nullopt;
  return it->second->mode;
}

}  // namespace

void ResetOptions::learn(const spec::Project& project) {
  for (const auto* list : {&project.context, &project.mappings}) {
    for (const auto& m : *list) {
      known[m.name] = &m;
      for (const auto& dep : plan::dependencies_of(m, project)) {
        declared_dependents[dep].push_back(m.name);
      }
    }
  }
}

ResetPlan plan_reset(pg::Connection& target, const std::vector<std::string>& mappings,
                     const ResetOptions& options) {
  std::map<std::string, Registered> registered = load_registered(target);
  auto owners_of = [&](const pg::QualifiedName& table) {
    std::vector<const Registered*> out;
    for (const auto& [name, m] : registered) {
      if (m.table == table) out.push_back(&m);
    }
    return out;
  };

  // Closure: the named mappings, and with cascade every mapping whose rows reference theirs.
  std::set<std::string> chosen(mappings.begin(), mappings.end());
  std::set<std::string> cascaded;
  std::map<std::string, std::set<std::string>> dependents;  // mapping -> must be reset before
  std::map<std::string, bool> has_table;
  std::vector<std::string> work(mappings.begin(), mappings.end());
  while (!work.empty()) {
    std::string name = work.back();
    work.pop_back();
    auto it = registered.find(name);
    if (it == registered.end()) continue;
    const Registered& m = it->second;
    has_table[name] = table_exists(target, m.table);
    if (!has_table[name] || !identifiable(target, m)) continue;
    std::set<std::string> found;
    for (const Reference& ref : references_to(target, m.table)) {
      if (ref.from == m.table) continue;  // its own self-references go with it
      if (count_referencing(target, m, ref, {}) == 0) continue;
      for (const Registered* owner : owners_of(ref.from)) found.insert(owner->mapping);
    }
    auto declared = options.declared_dependents.find(name);
    if (declared != options.declared_dependents.end()) {
      for (const auto& d : declared->second) {
        if (registered.count(d)) found.insert(d);
      }
    }
    for (const auto& d : found) {
      dependents[name].insert(d);
      if (options.cascade && chosen.insert(d).second) {
        cascaded.insert(d);
        work.push_back(d);
      }
    }
  }

  // Order: depth first, a mapping after every chosen mapping that depends on it.
  ResetPlan plan;
  std::map<std::string, int> visit_state;  // 1 on the stack, 2 done
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (visit_state[name] == 2) return;
    if (visit_state[name] == 1) {
      throw Error::conflict(fmt::format(
          "{}: its rows and those of a mapping that depends on it reference each other (a "
          "cycle); reset cannot order them",
          name));
    }
    visit_state[name] = 1;
    for (const auto& d : dependents[name]) {
      if (chosen.count(d)) visit(d);
    }
    visit_state[name] = 2;
    ResetStep step;
    step.mapping = name;
    step.cascaded = cascaded.count(name) > 0;
    plan.steps.push_back(std::move(step));
  };
  for (const auto& name : mappings) visit(name);

  // Counts, and every reason to refuse.
  std::vector<std::string> refusals;
  std::set<std::pair<std::string, std::string>> named;  // (mapping, dependent) refusals name
  bool have_state = state_version(target) > 0;
  for (ResetStep& step : plan.steps) {
    if (!have_state) continue;  // nothing was ever recorded on this target
    count_state(target, step);
    auto it = registered.find(step.mapping);
    if (it == registered.end()) continue;
    const Registered& m = it->second;
    step.registered = true;
    step.table = m.table.display();
    if (held_by_another(m)) refusals.push_back(lease_refusal(m));
    std::optional<spec::WriteMode> mode = mode_of(options, m.mapping);
    step.keep_rows = options.keep_upsert_rows && mode && *mode != spec::WriteMode::kInsert;
    if (!has_table[m.mapping] || step.keep_rows) continue;
    if (!identifiable(target, m)) {
      refusals.push_back(fmt::format(
          "{}: {} has neither a legacy-key column nor its id column {}, so the rows this "
          "mapping wrote cannot be told apart; delete them by hand",
          m.mapping, m.table.display(), m.id_column));
      continue;
    }
    step.rows = std::stoll(std::string(
        target
            .exec(fmt::format("SELECT count(*) FROM {} t WHERE {}", m.table.quoted(),
                              owned_rows(target, m, "t")))
            .value(0, 0)));
    bool may_touch_existing =
        mode == spec::WriteMode::kUpsert || (mode == spec::WriteMode::kSkipExisting && m.skipped > 0);
    if (may_touch_existing && step.rows > 0 && !options.include_existing) {
      refusals.push_back(fmt::format(
          "{}: mode {} may have updated or skipped rows that were in {} before it ran, and they "
          "cannot be told apart from the rows it inserted; pass --include-existing to delete "
          "all {} rows of its id map",
          m.mapping, spec::to_string(*mode), m.table.display(), step.rows));
    }
    for (const Reference& ref : references_to(target, m.table)) {
      std::vector<const Registered*> excluded;
      std::vector<std::string> others;
      for (const Registered* owner : owners_of(ref.from)) {
        if (chosen.count(owner->mapping)) {
          excluded.push_back(owner);
        } else {
          others.push_back(owner->mapping);
          named.emplace(m.mapping, owner->mapping);
        }
      }
      long long n = count_referencing(target, m, ref, excluded);
      if (n == 0) continue;
      std::string hint =
          others.empty()
              ? "rows no mapping wrote: delete or repoint them first"
              : fmt::format("written by mapping {}: reset it first, name it too, or pass "
                            "--cascade",
                            fmt::join(others, ", "));
      refusals.push_back(fmt::format("{}: {} rows of {} reference its rows (constraint {}; {})",
                                     m.mapping, n, ref.from.display(), ref.constraint, hint));
    }
  }
  // Mappings declared to depend on a chosen one, with rows of their own, left out of the set.
  for (const ResetStep& step : plan.steps) {
    for (const auto& d : dependents[step.mapping]) {
      if (chosen.count(d) || named.count({step.mapping, d})) continue;
      const Registered& dm = registered.at(d);
      long long n = 0;
      if (table_exists(target, dm.table) && identifiable(target, dm)) {
        n = std::stoll(std::string(
            target
                .exec(fmt::format("SELECT count(*) FROM {} t WHERE {}", dm.table.quoted(),
                                  owned_rows(target, dm, "t")))
                .value(0, 0)));
      }
      if (n == 0) continue;
      std::string message = fmt::format(
          "{}: mapping {} ({}) depends on it and has {} rows in {}: reset it first, name it too, "
          "or pass --cascade",
          step.mapping, d, dm.file, n, dm.table.display());
      refusals.push_back(message);
    }
  }
  if (!refusals.empty()) {
    throw Error::conflict(fmt::format("reset refused, nothing was changed:\n  {}",
                                      fmt::join(refusals, "\n  ")));
  }
  return plan;
}

ResetPlan execute_reset(pg::Connection& target, const ResetPlan& plan, long long run_id) {
  ResetPlan done;
  if (state_version(target) == 0) return plan;  // nothing was ever recorded here
  for (const ResetStep& planned : plan.steps) {
    ResetStep step = planned;
    pg::Transaction tx(target);
    // The id_maps view is rebuilt below; serialise with other rebuilds (same lock as apply's).
    target.exec("SELECT pg_advisory_xact_lock(120368403721832)");
    // The mapping's row lock waits for its batches in flight and fences later ones.
    pg::Result locked = target.exec(
        "SELECT FROM mapengine.mappings WHERE mapping = $1 FOR UPDATE", {step.mapping});
    std::map<std::string, Registered> registered = load_registered(target);
    auto it = registered.find(step.mapping);
    step.rows = 0;
    if (locked.rows() == 1 && it != registered.end()) {
      const Registered& m = it->second;
      if (held_by_another(m)) throw Error::conflict(lease_refusal(m));
      if (!step.keep_rows && table_exists(target, m.table) && identifiable(target, m)) {
        for (const Reference& ref : references_to(target, m.table)) {
          std::vector<const Registered*> excluded;
          if (ref.from == m.table) excluded.push_back(&m);
          long long n = count_referencing(target, m, ref, excluded);
          if (n > 0) {
            throw Error::conflict(fmt::format(
                "{}: {} rows of {} reference its rows (constraint {}); nothing of {} was "
                "deleted",
                m.mapping, n, ref.from.display(), ref.constraint, m.mapping));
          }
        }
        step.rows = target
                        .exec(fmt::format("DELETE FROM {} t WHERE {}", m.table.quoted(),
                                          owned_rows(target, m, "t")))
                        .affected();
      }
    }
    // A bulk load's set-aside foreign keys and indexes come back with the rows gone.
    restore_definitions_in(target, step.mapping);
    auto remove = [&](const char* table) {
      return static_cast<long long>(
          target
              .exec(fmt::format("DELETE FROM mapengine.{} WHERE mapping = $1", table),
                    {step.mapping})
              .affected());
    };
    step.id_map = remove("id_map");
    step.rejects = remove("rejects");
    remove("retired");
    step.pending_refs = remove("pending_refs");
    step.checkpoints = remove("checkpoints");
    remove("mappings");
    refresh_id_maps_view_in(target);
    if (run_id > 0 && it != registered.end()) {
      target.exec(
          "INSERT INTO mapengine.run_mappings (run_id, mapping, file, checksum, table_name, "
          "status, finished_at, message) VALUES ($1, $2, $3, $4, $5, 'reset', "
          "clock_timestamp(), $6)",
          {std::to_string(run_id), step.mapping, it->second.file, it->second.checksum,
           it->second.table.display(),
           fmt::format("deleted {} rows, {} id map entries, {} rejects", step.rows,
                       step.id_map, step.rejects)});
    }
    tx.commit();
    done.steps.push_back(std::move(step));
  }
  return done;
}

std::string format_reset_plan(const ResetPlan& plan) {
  std::string out = fmt::format("{:<26} {:<30} {:>10} {:>8} {:>8} {:>8} {:>11}\n", "mapping",
                                "table", "rows", "id map", "rejects", "pending", "checkpoints");
  ResetStep total;
  for (const auto& s : plan.steps) {
    std::string name = s.mapping + (s.cascaded ? " (cascade)" : "");
    std::string table = s.registered ? s.table : "(nothing recorded)";
    if (s.keep_rows) table += " (rows kept)";
    out += fmt::format("{:<26} {:<30} {:>10} {:>8} {:>8} {:>8} {:>11}\n", name, table, s.rows,
                       s.id_map, s.rejects, s.pending_refs, s.checkpoints);
    total.rows += s.rows;
    total.id_map += s.id_map;
    total.rejects += s.rejects;
    total.pending_refs += s.pending_refs;
    total.checkpoints += s.checkpoints;
  }
  out += fmt::format("{:<26} {:<30} {:>10} {:>8} {:>8} {:>8} {:>11}\n", "total", "", total.rows,
                     total.id_map, total.rejects, total.pending_refs, total.checkpoints);
  return out;
}

}  // namespace mapengine::state
