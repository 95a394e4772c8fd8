// Follower: `mapengine sync`: loads the mappings once and then follows the legacy database's
// changes through PostgreSQL logical replication, so the legacy application can stay live until
// a short cutover.
//
//   1. First start: a publication on the tables that drive the mappings, and a logical slot
//      (pgoutput) whose exported snapshot the initial load reads, so that every change after
//      the snapshot arrives through the slot and none before it does twice. The setup is
//      recorded in the target (state::FollowRecord) before the load starts.
//   2. The initial load is apply's, at that snapshot. A load cut short resumes without the
//      snapshot: the rows it reads then are newer, and every change since the snapshot is
//      replayed from the slot, which re-reads current rows again: the same result.
//   3. Following: each committed source transaction's changed keys are applied through the
//      mappings in one target transaction with the position (ChangeApplier); transactions that
//      already arrived behind it are merged into that one; the slot is acknowledged only up to
//      positions the target committed. A restart resumes there.
//
// Thread-safety: one call per process, from the main thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "engine/apply/apply_options.h"
#include "engine/pg/lsn.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::follow {

struct FollowOptions {
  ApplyOptions apply;            // connections, retries, batch settings; the initial load's options
  std::string name = "default";  // the setup: slot and publication mapengine_<name>
  bool until_caught_up = false;  // return once every source change committed so far is applied
  bool show_progress = true;     // the live displays: the initial load's, then the lag line
  bool live_display = false;     // stderr is a terminal with text logs (the lag line can draw)
  std::chrono::milliseconds report_every{10000};  // follow_progress events without a live line
  // At startup, warn when the setup's slot, unread, retains more WAL than this.
  long long warn_retained_bytes = 1LL << 30;
};

struct FollowOutcome {
  std::string status;  // caught-up, interrupted, load-failed
  std::string message;
  int exit_code = 0;   // the initial load's, when it did not succeed
  long long transactions = 0;  // source transactions that changed followed tables
  long long upserted = 0, deleted = 0, rejected = 0;
  pg::Lsn confirmed;
};

// Runs the initial load (apply) with the given ApplyOptions, whose source_snapshot is set when
// the load can read at the slot's snapshot; returns apply's exit code (0: every mapping done).
using InitialLoad = std::function<int(const ApplyOptions&)>;

// Runs the setup for `plan`'s mappings: creates or resumes it, loads through `load`, then
// follows until interrupted (or caught up with until_caught_up). Throws Error on failures.
FollowOutcome follow(const spec::Project& project, const plan::Plan& plan,
                     const FollowOptions& options, const InitialLoad& load,
                     const std::atomic<bool>* interrupted);

// Drops the setup: the source's slot and publication and the target's record of them. The
// mappings' rows stay. Throws Error(kConflict) while a follower is connected to the slot.
void drop_follow(const FollowOptions& options);

// The slot and publication names of setup `name`; throws Error(kUsage) for a name that is not
// lower-case letters, digits and underscores.
std::string follow_object_name(const std::string& name);

}  // namespace mapengine::follow
