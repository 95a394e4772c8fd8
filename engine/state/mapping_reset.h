// MappingReset: undoes what mappings wrote to the target, so that they can be applied again from
// the start (`mapengine reset`, `apply --restart`).
//
// The rows a mapping wrote are found by its id map, as recorded in mapengine.mappings when it
// ran (not as the file says now):
//  - a target that keeps the legacy key (legacy_key columns): the rows whose first legacy-key
//    column is set, except the keys this mapping rejected (a key rejected as a duplicate names a
//    row that was there before);
//  - otherwise: the rows whose id column holds a new id of its entries in mapengine.id_map.
// With those go its id map entries, rejects, pending self-references, checkpoints and its
// mappings row (with the lease); foreign keys and indexes a bulk load set aside are re-created. Runs, run_mappings and validations stay: they are history, and
// the reset itself is recorded as a run.
//
// Safety:
//  - A reset is refused, naming them, while rows of other tables reference the rows it would
//    delete (any foreign key, whatever its ON DELETE action), or while mappings declared to
//    depend on it still have rows, unless those mappings are reset first (`cascade`, or named
//    together). Rows no mapping wrote are never deleted: a reference from such a row refuses.
//  - Mode upsert / skip_existing may have touched rows that existed before it ran, which cannot
//    be told from rows it inserted: refused unless `include_existing` (skip_existing with no
//    skipped row is exact).
//  - A mapping another live process holds (its lease) is refused.
//  - Each mapping is reset in ONE transaction, in reverse dependency order; the transaction
//    takes the mapping's row lock (waiting for batches in flight) and checks again.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::state {

struct ResetOptions {
  bool cascade = false;           // reset the mappings whose rows reference these first
  bool include_existing = false;  // upsert / skip_existing: delete rows it may only have updated
  // apply --restart: mappings of mode upsert / skip_existing rewrite their rows when applied
  // again, so only their state is cleared (their rows stay).
  bool keep_upsert_rows = false;
  // Mappings known from the mapping files, by name (mode, file); others are known only from
  // mapengine.mappings.
  std::map<std::string, const spec::MappingSpec*> known;
  // Mapping -> the mappings declared (depends_on, lookups) to depend on it, from the files.
  std::map<std::string, std::vector<std::string>> declared_dependents;

  // Fills `known` and `declared_dependents` from the loaded files (named and context).
  // REQUIRES: `project` outlives these options.
  void learn(const spec::Project& project);
};

// What resetting one mapping deletes.
struct ResetStep {
  std::string mapping;
  std::string table;  // schema.name
  bool registered = false;  // false: nothing recorded for it on this target
  bool cascaded = false;    // added because its rows reference a mapping being reset
  bool keep_rows = false;   // its rows stay (keep_upsert_rows); only its state is cleared
  long long rows = 0, id_map = 0, rejects = 0, pending_refs = 0, checkpoints = 0;
};

struct ResetPlan {
  std::vector<ResetStep> steps;  // in the order they run: dependents before what they reference
};

// Plans resetting `mappings` (names; any order): adds dependents when options.cascade, orders
// them, and counts what each step deletes. Throws Error(kConflict) naming every reason it must
// refuse (references from other tables with constraint and count, dependent mappings, a lease
// held by a live process, upsert rows). Reads only; works when the state schema is missing.
ResetPlan plan_reset(pg::Connection& target, const std::vector<std::string>& mappings,
                     const ResetOptions& options);

// Runs `plan`, one transaction per step, recording each under `run_id` in run_mappings (status
// "reset"; run_id 0 records nothing). Each step checks references and the lease again under the mapping's row lock. Steps
// already done stay done when a later one fails. Returns the plan with the counts deleted.
ResetPlan execute_reset(pg::Connection& target, const ResetPlan& plan, long long run_id);

// The plan as a table a person reads (one line per mapping, with a total).
std::string format_reset_plan(const ResetPlan& plan);

}  // namespace mapengine::state
