#include "engine/follow/follower.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/follow/change_applier.h"
#include "engine/follow/change_collector.h"
#include "engine/follow/follow_display.h"
#include "engine/follow/followed_table.h"
#include "engine/follow/slot_health.h"
#include "engine/follow/pgoutput.h"
#include "engine/pg/connection.h"
#include "engine/pg/quote.h"
#include "engine/pg/replication_stream.h"
#include "engine/state/checkpoint_store.h"
#include "engine/state/follow_store.h"
#include "engine/state/lease.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine::follow {
namespace {

using Clock = std::chrono::steady_clock;

// How often, while nothing changes, the follower confirms the position it reached, renews its
// leases and asks the server where its WAL ends.
constexpr std::chrono::seconds kHeartbeat{1};
constexpr std::chrono::milliseconds kPoll{200};
// A group of waiting source transactions applied in one target transaction ends at this many
// transactions or changed keys.
constexpr long long kGroupTransactions = 1000;
constexpr size_t kGroupKeys = 20000;

// The tables driving `plan`'s mappings and those they join (follow.also), one entry per table.
std::vector<FollowedTable> followed_tables(pg::Connection& source, const plan::Plan& plan) {
  std::vector<FollowedTable> tables;
  auto entry = [&](const FollowedTable& table) -> FollowedTable& {
    auto same = std::find_if(tables.begin(), tables.end(), [&](const FollowedTable& t) {
      return t.schema == table.schema && t.name == table.name;
    });
    if (same != tables.end()) return *same;
    tables.push_back(FollowedTable{table.schema, table.name, {}, {}, {}});
    return tables.back();
  };
  for (const auto& step : plan.steps) {
    FollowedTable table = find_followed_table(source, *step.mapping);
    FollowedTable& same = entry(table);
    if (same.mappings.empty()) {
      same.key_columns = table.key_columns;
      same.mappings = table.mappings;
    } else if (same.key_columns == table.key_columns) {
      same.mappings.push_back(step.mapping->name);
    } else {
      throw Error(ErrorKind::kSpec,
                  fmt::format("mappings {} and {} are both driven by {}.{} with different keys; "
                              "following needs one key per source table",
                              same.mappings.front(), step.mapping->name, table.schema,
                              table.name));
    }
    for (const FollowedTable& joined : find_joined_tables(source, *step.mapping, table)) {
      FollowedTable& into = entry(joined);
      into.joined.insert(into.joined.end(), joined.joined.begin(), joined.joined.end());
    }
  }
  return tables;
}

void require_logical_wal(pg::Connection& source) {
  std::string level(source.exec("SHOW wal_level").value(0, 0));
  if (level != "logical") {
    throw Error(ErrorKind::kConflict,
                fmt::format("source: wal_level is {}; following needs wal_level = logical on the "
                            "legacy server (a restart; see docs/following.md)",
                            level));
  }
}

// Mappings this target already loaded without a slot: their rows could miss changes made
// before a slot existed.
void refuse_loaded_without_slot(pg::Connection& target, const plan::Plan& plan) {
  for (const auto& step : plan.steps) {
    if (!state::recorded_checksum(target, step.mapping->name)) continue;
    throw Error(ErrorKind::kConflict,
                fmt::format("{} was applied without a replication slot, so changes the legacy "
                            "database made meanwhile are in no slot; following must start with "
                            "the load: `mapengine reset {}` (its rows are deleted), then sync",
                            step.mapping->name, step.mapping->file));
  }
}

// A table added to follow.also after the setup started is not in its publication: its changes
// since then are in no slot.
void require_published(pg::Connection& source, const std::string& publication,
                       const std::vector<FollowedTable>& tables) {
  for (const auto& table : tables) {
    pg::Result published = source.exec(
        "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND "
        "tablename = $3",
        {publication, table.schema, table.name});
    if (published.rows() > 0) continue;
    throw Error(ErrorKind::kConflict,
                fmt::format("source table {}.{} is read by the mappings (follow.also) but not in "
                            "publication {}: it was added after the setup started, so its "
                            "changes since then are in no slot; drop the setup (`mapengine sync "
                            "--drop`), reset the mappings and sync again",
                            table.schema, table.name, publication));
  }
}

void create_publication(pg::Connection& source, const std::string& publication,
                        const std::vector<FollowedTable>& tables) {
  std::vector<std::string> names;
  for (const auto& table : tables) {
    names.push_back(pg::QualifiedName{table.schema, table.name}.quoted());
  }
  pg::Result exists =
      source.exec("SELECT 1 FROM pg_publication WHERE pubname = $1", {publication});
  if (exists.rows() > 0) {
    throw Error(ErrorKind::kConflict,
                fmt::format("source: publication {} exists but this target has no record of "
                            "following; it is left from an earlier setup: `mapengine sync --drop` "
                            "removes it and its slot",
                            publication));
  }
  source.exec(fmt::format("CREATE PUBLICATION {} FOR TABLE {}", pg::quote_identifier(publication),
                          fmt::join(names, ", ")));
}

// The abandoned-slot risk, said loudly before anything starts: this setup's slot kept a lot of
// WAL while nobody read it, or slots named like mapengine's that this target has no record of
// keep WAL on the legacy server.
void warn_about_slots(pg::Connection& source, pg::Connection& target,
                      const FollowOptions& options, const std::string& object) {
  std::vector<state::FollowRecord> records = state::load_follows(target);
  for (const SlotHealth& slot : mapengine_slots(source)) {
    std::string size = format_wal_size(slot.retained_bytes);
    if (slot.slot == object) {
      if (slot.active || slot.retained_bytes <= options.warn_retained_bytes) continue;
      log_event(spdlog::level::warn, "follow_slot_retained",
                fmt::format("slot {} retained {} of WAL on the legacy server while no follower "
                            "read it (over --warn-retained {}); following works it off now. "
                            "Never leave a setup stopped: the legacy disk fills. Run sync as a "
                            "service, or drop the setup (`mapengine sync --drop`) if it is no "
                            "longer wanted",
                            slot.slot, size, format_wal_size(options.warn_retained_bytes)),
                {{"slot", slot.slot},
                 {"retained_wal_bytes", slot.retained_bytes},
                 {"active", slot.active}});
      continue;
    }
    bool recorded = std::any_of(records.begin(), records.end(), [&](const auto& record) {
      return record.slot == slot.slot;
    });
    if (recorded) continue;
    log_event(spdlog::level::warn, "follow_slot_unrecorded",
              fmt::format("slot {} on the legacy server ({}, retains {} of WAL) is not recorded "
                          "on this target: if no other target follows it, it is abandoned and "
                          "fills the legacy disk: `mapengine sync --drop --name {} PATHS` drops "
                          "it",
                          slot.slot, slot.active ? "active" : "inactive", size,
                          setup_name_of(slot.slot)),
              {{"slot", slot.slot},
               {"retained_wal_bytes", slot.retained_bytes},
               {"active", slot.active}});
  }
}

struct Totals {
  long long transactions = 0, upserted = 0, deleted = 0, rejected = 0;
};

// The streaming part: from `from` until interrupted or caught up.
class Stream {
 public:
  Stream(const spec::Project& project, const plan::Plan& plan, const FollowOptions& options,
         const state::FollowRecord& record, std::string owner, long long run_id,
         const std::atomic<bool>* interrupted)
      : project_(project),
        plan_(plan),
        options_(options),
        record_(record),
        owner_(std::move(owner)),
        run_id_(run_id),
        interrupted_(interrupted) {}

  // Streams on `replication` (opened with Session::kLogicalReplication). Returns true when
  // caught up (until_caught_up), false when interrupted.
  bool run(pg::Connection& replication, pg::Connection& source, pg::Connection& target,
           Totals& totals, pg::Lsn& confirmed) {
    ChangeCollector collector(followed_tables(source, plan_));
    ChangeApplier applier(project_, plan_, source, target, options_.apply, run_id_, owner_);
    pg::ReplicationStream stream(replication);
    stream.start(record_.slot, confirmed, record_.publication);
    log_event(spdlog::level::info, "follow_start",
              fmt::format("following {} from {} (slot {})", record_.name, confirmed.to_string(),
                          record_.slot),
              {{"slot", record_.slot}, {"from", confirmed.to_string()}});
    pg::Lsn reached = confirmed;   // every transaction before it is handled
    pg::Lsn server_end;            // where the server's WAL ends, as last reported
    pg::Lsn goal;                  // the source's WAL end at the previous heartbeat
    bool in_transaction = false;
    bool goal_asked = false;
    // Commit times (server clock): of the last transaction handled, and of the one arriving.
    std::optional<std::int64_t> handled_time;
    std::optional<std::int64_t> arriving_time;
    FollowDisplay display(options_.show_progress && options_.live_display,
                          options_.report_every);
    auto next_heartbeat = Clock::now();
    auto next_renewal = Clock::now();
    // Committed source transactions already arrived and not yet applied: applied together in
    // one target transaction once no more is waiting (or the group is full).
    std::optional<TransactionChanges> pending;
    auto apply_pending = [&] {
      AppliedChanges applied = applier.apply(source, target, *pending, record_.name);
      totals.transactions += pending->transactions;
      totals.upserted += applied.upserted;
      totals.deleted += applied.deleted;
      totals.rejected += applied.rejected;
      confirmed = pending->end_lsn;
      stream.acknowledge(confirmed);
      reached = std::max(reached, pending->end_lsn);
      handled_time = pending->commit_time;
      pending.reset();
    };
    for (;;) {
      if (interrupted_ != nullptr && interrupted_->load()) return false;
      bool grouping = pending && !in_transaction;
      auto message = stream.next(grouping ? std::chrono::milliseconds(0) : kPoll);
      if (grouping && (!message || std::holds_alternative<pg::Keepalive>(*message) ||
                       pending->transactions >= kGroupTransactions ||
                       pending->key_count() >= kGroupKeys || Clock::now() >= next_heartbeat)) {
        apply_pending();
      }
      if (message) {
        if (auto* alive = std::get_if<pg::Keepalive>(&*message)) {
          server_end = std::max(server_end, alive->wal_end);
          if (alive->reply_requested) stream.acknowledge(confirmed);
          if (!in_transaction) {
            // Nothing is pending before the server's end: the transactions in between
            // touched no followed table (or none happened).
            reached = std::max(reached, alive->wal_end);
          }
        } else {
          const auto& data = std::get<pg::XLogData>(*message);
          Message decoded = decode_pgoutput(data.payload);
          if (auto* begin = std::get_if<Begin>(&decoded)) {
            in_transaction = true;
            arriving_time = begin->commit_time;
          }
          if (auto changes = collector.feed(decoded)) {
            in_transaction = false;
            if (!changes->touches_mappings()) changes->transactions = 0;
            if (pending) {
              merge(*pending, std::move(*changes));
            } else if (changes->transactions > 0) {
              pending = std::move(*changes);
            } else {
              reached = std::max(reached, changes->end_lsn);
              handled_time = changes->commit_time;
            }
          }
        }
      }
      if (Clock::now() < next_heartbeat) continue;
      next_heartbeat = Clock::now() + kHeartbeat;
      // Transactions that touched no followed table still move the position: confirm it so the
      // server can recycle its WAL.
      if (!in_transaction && !pending && reached > confirmed) {
        state::confirm_position(target, record_.name, reached, owner_);
        confirmed = reached;
      }
      if (Clock::now() >= next_renewal) {
        next_renewal = Clock::now() + state::kLeaseRenewalInterval;
        state::renew_follow_lease(target, record_.name, owner_);
      }
      // Caught up: everything the source had written at the previous heartbeat is handled
      // (the server's keepalive, asked for then, says its decoding passed it too).
      bool caught_up = goal_asked && !in_transaction && confirmed >= goal && server_end >= goal;
      pg::Lsn flushed =
          *pg::Lsn::parse(source.exec("SELECT pg_current_wal_flush_lsn()").value(0, 0));
      FollowProgress progress = progress_of(confirmed, totals);
      if (caught_up) {
        progress.lag_seconds = 0;
      } else {
        progress.lag_bytes = flushed > confirmed ? static_cast<long long>(flushed.value -
                                                                          confirmed.value)
                                                 : 0;
        if (auto since = handled_time ? handled_time : arriving_time) {
          double behind = double(pg::replication_clock_now() - *since) / 1e6;
          progress.lag_seconds = std::max(0.0, behind);
        }
      }
      if (caught_up && options_.until_caught_up) {
        display.log(progress);
        return true;
      }
      goal = flushed;
      goal_asked = true;
      stream.acknowledge(confirmed, /*reply_requested=*/true);
      display.update(progress);
    }
  }

 private:
  FollowProgress progress_of(pg::Lsn confirmed, const Totals& totals) const {
    FollowProgress p;
    p.name = record_.name;
    p.confirmed = confirmed;
    p.transactions = totals.transactions;
    p.upserted = totals.upserted;
    p.deleted = totals.deleted;
    p.rejected = totals.rejected;
    return p;
  }

  const spec::Project& project_;
  const plan::Plan& plan_;
  const FollowOptions& options_;
  const state::FollowRecord& record_;
  std::string owner_;
  long long run_id_;
  const std::atomic<bool>* interrupted_;
};

}  // namespace

std::string follow_object_name(const std::string& name) {
  bool valid = !name.empty() && name.size() <= 40 &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
               });
  if (!valid) {
    throw Error::usage(fmt::format(
        "--name {}: use 1 to 40 lower-case letters, digits and underscores", name));
  }
  return "mapengine_" + name;
}

FollowOutcome follow(const spec::Project& project, const plan::Plan& plan,
                     const FollowOptions& options, const InitialLoad& load,
                     const std::atomic<bool>* interrupted) {
  const ApplyOptions& apply = options.apply;
  std::string object = follow_object_name(options.name);
  pg::Connection target(apply.target_url, "target");
  pg::Connection source(apply.source_url, "source");
  state::ensure_state_schema(target);
  state::RunIdentity who = state::RunIdentity::of_this_process();
  long long run_id = state::begin_run(target, "sync", who, "{}", "");
  std::string owner = who.owner(run_id);

  warn_about_slots(source, target, options, object);

  FollowOutcome outcome;
  std::optional<pg::Connection> replication;
  std::optional<state::FollowRecord> record = state::load_follow(target, options.name);
  if (record) {
    std::vector<std::string> asked;
    for (const auto& step : plan.steps) asked.push_back(step.mapping->name);
    std::vector<std::string> recorded = record->mappings;
    std::sort(asked.begin(), asked.end());
    std::sort(recorded.begin(), recorded.end());
    if (asked != recorded) {
      throw Error(ErrorKind::kConflict,
                  fmt::format("setup '{}' follows the mappings {}, not {}: give sync the same "
                              "files, or drop the setup (`mapengine sync --drop`) and start again",
                              options.name, fmt::join(recorded, ", "), fmt::join(asked, ", ")));
    }
    require_published(source, record->publication, followed_tables(source, plan));
  }
  if (!record) {
    refuse_loaded_without_slot(target, plan);
    require_logical_wal(source);
    std::vector<FollowedTable> tables = followed_tables(source, plan);
    try {
      replication.emplace(apply.source_url, "source", pg::Session::kLogicalReplication);
    } catch (const Error& e) {
      throw Error(e.kind(),
                  fmt::format("{} (following needs a direct connection to the legacy server "
                              "with the REPLICATION privilege: a pooler does not carry "
                              "replication)",
                              e.what()),
                  e.server());
    }
    create_publication(source, object, tables);
    pg::ReplicationStream creator(*replication);
    pg::CreatedSlot slot = creator.create_slot(object);
    state::FollowRecord fresh;
    fresh.name = options.name;
    fresh.slot = slot.name;
    fresh.publication = object;
    fresh.consistent_point = slot.consistent_point;
    fresh.confirmed = slot.consistent_point;
    for (const auto& step : plan.steps) fresh.mappings.push_back(step.mapping->name);
    state::record_follow(target, fresh, owner);
    log_event(spdlog::level::info, "follow_slot",
              fmt::format("created slot {} at {}; the initial load reads its snapshot {}",
                          slot.name, slot.consistent_point.to_string(), slot.snapshot),
              {{"slot", slot.name}, {"consistent_point", slot.consistent_point.to_string()}});
    ApplyOptions initial = apply;
    initial.source_snapshot = slot.snapshot;
    outcome.exit_code = load(initial);
    record = fresh;
  } else {
    state::claim_follow(target, options.name, owner);
    if (record->phase == state::FollowPhase::kLoading) {
      log_event(spdlog::level::warn, "follow_resume_load",
                fmt::format("resuming the initial load of {} without the slot's snapshot (it "
                            "ended with the session that exported it); every change since {} "
                            "is replayed from the slot afterwards",
                            options.name, record->consistent_point.to_string()),
                {{"slot", record->slot}});
      outcome.exit_code = load(apply);
    }
  }
  if (outcome.exit_code != 0) {
    state::release_follow(target, options.name, owner);
    outcome.status = "load-failed";
    outcome.message = "the initial load did not finish; run sync again to resume it";
    return outcome;
  }
  if (record->phase == state::FollowPhase::kLoading) {
    state::mark_following(target, options.name);
    record->phase = state::FollowPhase::kFollowing;
  }
  if (interrupted != nullptr && interrupted->load()) {
    state::release_follow(target, options.name, owner);
    outcome.status = "interrupted";
    return outcome;
  }

  // Each mapping's lease, which every change's batch checks.
  state::ClaimOptions claim;
  claim.retry_rejects = true;
  claim.follow = true;
  for (const auto& step : plan.steps) {
    state::claim_mapping(target, *step.mapping, owner, run_id, claim);
  }
  pg::Lsn confirmed = state::load_follow(target, options.name)->confirmed;
  Totals totals;
  bool caught_up = false;
  try {
    // Retried like any work after a transient failure (a lost connection, a server restart),
    // from the position the target recorded; a failure after the stream ran a while is a new
    // failure with a fresh budget.
    std::string what = fmt::format("following {}", options.name);
    int attempt = 0;
    auto first_failure = Clock::now();
    for (;;) {
      auto started = Clock::now();
      try {
        if (!target.is_ok()) target = pg::Connection(apply.target_url, "target");
        if (!source.is_ok()) source = pg::Connection(apply.source_url, "source");
        if (!replication || !replication->is_ok()) {
          replication.emplace(apply.source_url, "source", pg::Session::kLogicalReplication);
        }
        confirmed = state::load_follow(target, options.name)->confirmed;
        Stream stream(project, plan, options, *record, owner, run_id, interrupted);
        caught_up = stream.run(*replication, source, target, totals, confirmed);
        break;
      } catch (const Error& e) {
        if (Clock::now() - started > apply.retry.budget) attempt = 0;
        if (attempt == 0) first_failure = Clock::now();
        if (!wait_before_retry(apply.retry, what, e, attempt, first_failure)) throw;
        ++attempt;
        replication.reset();
      }
    }
  } catch (...) {
    try {
      if (!target.is_ok()) target = pg::Connection(apply.target_url, "target");
      // Every committed change left the mappings' rows consistent: they are complete again.
      for (const auto& step : plan.steps) {
        state::complete_mapping(target, step.mapping->name, owner);
      }
      state::release_follow(target, options.name, owner);
    } catch (const Error&) {
      // The target is unreachable: the leases expire by themselves.
    }
    throw;
  }
  for (const auto& step : plan.steps) state::complete_mapping(target, step.mapping->name, owner);
  state::release_follow(target, options.name, owner);
  outcome.status = caught_up ? "caught-up" : "interrupted";
  outcome.transactions = totals.transactions;
  outcome.upserted = totals.upserted;
  outcome.deleted = totals.deleted;
  outcome.rejected = totals.rejected;
  outcome.confirmed = confirmed;
  state::finish_run(target, run_id, caught_up ? "succeeded" : "interrupted",
                    fmt::format("{} source transactions applied; confirmed {}",
                                totals.transactions, confirmed.to_string()));
  return outcome;
}

void drop_follow(const FollowOptions& options) {
  std::string object = follow_object_name(options.name);
  pg::Connection source(options.apply.source_url, "source");
  pg::Connection target(options.apply.target_url, "target");
  state::ensure_state_schema(target);
  pg::Result active = source.exec(
      "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active", {object});
  if (active.rows() > 0) {
    throw Error(ErrorKind::kConflict,
                fmt::format("source: slot {} is in use by server process {}: stop the follower "
                            "first",
                            object, active.value(0, 0)));
  }
  source.exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
              "WHERE slot_name = $1",
              {object});
  source.exec(fmt::format("DROP PUBLICATION IF EXISTS {}", pg::quote_identifier(object)));
  state::forget_follow(target, options.name);
  log_event(spdlog::level::info, "follow_dropped",
            fmt::format("dropped slot and publication {} and the target's record of them", object),
            {{"slot", object}});
}

}  // namespace mapengine::follow
