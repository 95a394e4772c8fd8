#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>

#include "engine/apply/progress_display.h"
#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/common/secrets.h"
#include "engine/follow/follow_display.h"
#include "engine/follow/slot_health.h"
#include "engine/pg/connection.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/spec_loader.h"
#include "engine/state/follow_store.h"
#include "engine/state/lease.h"
#include "engine/state/mapping_status.h"
#include "engine/state/state_schema.h"

namespace mapengine::cli {
namespace {

struct StatusFlags {
  std::vector<std::string> paths;
  ConnectionFlags connections;
  LogFlags log;
  std::string format = "text";
};

std::string last_run_text(const state::MappingStatus& s) {
  if (!s.last_run) return "-";
  const state::LastRun& r = *s.last_run;
  return fmt::format("{}: {} {}, {}@{}, started {}", r.run_id, r.command, r.outcome, r.user,
                     r.host, r.started_at.substr(0, 16));
}

std::string lease_text(const state::MappingStatus& s) {
  if (!s.lease_live) return "-";
  return fmt::format("{} until {}", s.lease_owner, s.lease_until.substr(11, 8));
}

// "ranges 0, 1 held by host a, pid 1, run 5; range 2 held by ...": which process loads which
// key ranges (apply --join), or empty.
std::string range_leases_text(const state::MappingStatus& s) {
  std::vector<std::pair<std::string, std::vector<int>>> by_owner;
  for (const auto& holder : s.range_leases) {
    auto it = std::find_if(by_owner.begin(), by_owner.end(),
                           [&](const auto& o) { return o.first == holder.owner; });
    if (it == by_owner.end()) it = by_owner.insert(by_owner.end(), {holder.owner, {}});
    it->second.push_back(holder.range_no);
  }
  std::vector<std::string> parts;
  for (const auto& [owner, ranges] : by_owner) {
    parts.push_back(fmt::format("{} {} held by {}", ranges.size() == 1 ? "range" : "ranges",
                                fmt::join(ranges, ", "), state::describe_lease_owner(owner)));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

// A follow setup as the target records it and, when reachable, as the legacy server sees its
// slot.
struct FollowView {
  state::FollowRecord record;
  std::optional<follow::SlotHealth> slot;  // when the source answered and the slot exists
};

struct SourceView {
  bool configured = false;
  std::string error;  // why the source could not be reached; empty when it answered
  std::vector<FollowView> follows;
  std::vector<follow::SlotHealth> unrecorded;  // mapengine slots no record of this target owns
  bool reached() const { return configured && error.empty(); }
};

// Never throws for the source: status shows what the target knows when the legacy server is
// down, unreachable or not configured.
SourceView look_at_follows(pg::Connection& target, const std::string& source_url) {
  SourceView view;
  for (auto& record : state::load_follows(target)) view.follows.push_back({std::move(record), {}});
  view.configured = !source_url.empty();
  if (!view.configured || view.follows.empty()) return view;
  try {
    pg::Connection source(source_url, "source");
    for (auto& f : view.follows) f.slot = follow::slot_health(source, f.record.slot);
    for (auto& slot : follow::mapengine_slots(source)) {
      bool owned = std::any_of(view.follows.begin(), view.follows.end(),
                               [&](const FollowView& f) { return f.record.slot == slot.slot; });
      if (!owned) view.unrecorded.push_back(std::move(slot));
    }
  } catch (const Error& e) {
    // One line: libpq's message may continue on an indented second one.
    std::string message = redact_secrets_of(e.what(), source_url);
    for (char c : message) {
      bool space = c == '\n' || c == '\t' || c == ' ';
      if (!space || view.error.empty() || view.error.back() != ' ') view.error += space ? ' ' : c;
    }
  }
  return view;
}

std::string slot_state_text(const SourceView& source, const FollowView& f) {
  if (!source.reached()) return "unknown";
  if (!f.slot) return "missing";
  if (f.slot->wal_status == "lost") return "invalidated";
  if (f.slot->active) return fmt::format("active (pid {})", f.slot->active_pid);
  return "inactive";
}

// The loud lines: slots that fill the legacy server's disk, or that following cannot use.
std::vector<std::string> follow_warnings(const SourceView& source) {
  std::vector<std::string> lines;
  for (const auto& f : source.follows) {
    const std::string& name = f.record.name;
    if (!source.reached()) continue;
    if (!f.slot) {
      lines.push_back(fmt::format(
          "WARNING: follow '{}': slot {} does not exist on the legacy server (dropped by hand?); "
          "following cannot resume: `mapengine sync --drop --name {} PATHS` forgets the setup",
          name, f.record.slot, name));
    } else if (f.slot->wal_status == "lost") {
      lines.push_back(fmt::format(
          "WARNING: follow '{}': slot {} was invalidated by the legacy server "
          "(max_slot_wal_keep_size): following must start again with a new load; "
          "`mapengine sync --drop --name {} PATHS`, then reset the mappings",
          name, f.record.slot, name));
    } else if (f.slot->retains_unread()) {
      lines.push_back(fmt::format(
          "WARNING: follow '{}': slot {} is INACTIVE and retains {} of WAL on the legacy "
          "server, growing until the legacy disk fills: resume following (`mapengine sync "
          "PATHS`) or drop the slot (`mapengine sync --drop --name {} PATHS`)",
          name, f.record.slot, follow::format_wal_size(f.slot->retained_bytes), name));
    }
  }
  for (const auto& slot : source.unrecorded) {
    lines.push_back(fmt::format(
        "WARNING: slot {} on the legacy server ({}, retains {} of WAL) is not recorded on this "
        "target: if no other target follows it, drop it (`mapengine sync --drop --name {} "
        "PATHS`)",
        slot.slot, slot.active ? "active" : "inactive",
        follow::format_wal_size(slot.retained_bytes), follow::setup_name_of(slot.slot)));
  }
  return lines;
}

nlohmann::json follow_json(const SourceView& source, const FollowView& f) {
  nlohmann::json out = {{"name", f.record.name},
                        {"slot", f.record.slot},
                        {"publication", f.record.publication},
                        {"phase", f.record.phase == state::FollowPhase::kFollowing
                                      ? "following"
                                      : "loading"},
                        {"confirmed_lsn", f.record.confirmed.to_string()},
                        {"lease_owner", f.record.lease_owner.empty()
                                            ? nlohmann::json()
                                            : nlohmann::json(f.record.lease_owner)},
                        {"source_reachable", source.reached()},
                        {"source_error", source.error.empty() ? nlohmann::json()
                                                              : nlohmann::json(source.error)},
                        {"slot_exists", nullptr},
                        {"slot_active", nullptr},
                        {"retained_wal_bytes", nullptr},
                        {"wal_status", nullptr},
                        {"abandoned_risk", nullptr}};
  if (source.reached()) {
    out["slot_exists"] = f.slot.has_value();
    if (f.slot) {
      out["slot_active"] = f.slot->active;
      out["retained_wal_bytes"] = f.slot->retained_bytes;
      out["wal_status"] = f.slot->wal_status;
      out["abandoned_risk"] = f.slot->retains_unread();
    }
  }
  return out;
}

void print_follows(const SourceView& source) {
  if (source.follows.empty()) return;
  fmt::print("\n{:<16} {:<26} {:<26} {:<9} {:>14} {:>12}  {}\n", "follow", "slot",
             "publication", "phase", "confirmed", "retained", "slot state");
  for (const auto& f : source.follows) {
    std::string retained = source.reached() && f.slot
                               ? follow::format_wal_size(f.slot->retained_bytes)
                               : std::string("?");
    fmt::print("{:<16} {:<26} {:<26} {:<9} {:>14} {:>12}  {}\n", f.record.name, f.record.slot,
               f.record.publication,
               f.record.phase == state::FollowPhase::kFollowing ? "following" : "loading",
               f.record.confirmed.to_string(), retained, slot_state_text(source, f));
  }
  if (!source.configured) {
    fmt::print("source: not configured (MAPENGINE_SOURCE_URL or --source): the slots' WAL and "
               "activity are unknown\n");
  } else if (!source.error.empty()) {
    fmt::print("source: could not be reached ({}): the slots' WAL and activity are unknown\n",
               source.error);
  }
}

}  // namespace

Runner add_status_command(CLI::App& app) {
  auto flags = std::make_shared<StatusFlags>();
  CLI::App* sub = app.add_subcommand(
      "status",
      "Show where each mapping stands on the target: state, last run, rows, checkpoint "
      "progress, lease holder; and each follow setup's slot, with the WAL it retains on the "
      "legacy server");
  sub->add_option("paths", flags->paths,
                  "mapping files or folders (default: every mapping recorded on the target)");
  flags->connections.add_to(*sub);
  flags->log.add_to(*sub);
  sub->add_option("--format", flags->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sub->footer("Exit codes: 0 shown, 2 usage, 4 database failure, "
              "5 a database error retrying cannot fix.");

  return [flags] {
    flags->log.configure();
    std::vector<std::string> names;
    std::map<std::string, std::string> checksums;  // of the files as they are now
    if (!flags->paths.empty()) {
      Diagnostics diagnostics;
      spec::Project project = spec::load_project(flags->paths, diagnostics);
      if (project.mappings.empty()) {
        for (const auto& d : diagnostics.items()) fmt::print(stderr, "{}\n", d.to_string());
        throw Error::usage("no mapping files found");
      }
      Diagnostics plan_diagnostics;
      plan::Plan plan = plan::make_plan(project, plan_diagnostics);
      if (!plan_diagnostics.has_errors() && plan.steps.size() == project.mappings.size()) {
        for (const auto& step : plan.steps) names.push_back(step.mapping->name);
      } else {
        for (const auto& m : project.mappings) names.push_back(m.name);
      }
      for (const auto& m : project.mappings) checksums[m.name] = m.checksum;
    }
    ConnectionConfig connections = flags->connections.resolve(false, true);
    fmt::print(stderr, "target: {}\n", redact_conninfo(connections.target));
    pg::Connection target(connections.target, "target");
    bool have_state = state::readable_state_version(target) > 0;
    std::vector<state::MappingStatus> statuses = state::load_status(target, names);
    SourceView source =
        have_state ? look_at_follows(target, connections.source) : SourceView{};
    std::vector<std::string> warnings = follow_warnings(source);

    if (flags->format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : statuses) {
        nlohmann::json item = state::to_json(s);
        auto now = checksums.find(s.mapping);
        item["file_changed"] = now != checksums.end() && !s.checksum.empty() &&
                               now->second != s.checksum;
        item["follow"] = nullptr;
        for (const auto& f : source.follows) {
          const auto& mappings = f.record.mappings;
          if (std::find(mappings.begin(), mappings.end(), s.mapping) != mappings.end()) {
            item["follow"] = follow_json(source, f);
          }
        }
        out.push_back(std::move(item));
      }
      fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
      for (const auto& line : warnings) fmt::print(stderr, "{}\n", line);
      return kExitOk;
    }
    if (!have_state) {
      fmt::print("nothing has run on this target yet (no mapengine state schema)\n");
      if (statuses.empty()) return kExitOk;
    } else if (statuses.empty()) {
      fmt::print("no mapping has run on this target yet\n");
      print_follows(source);
      for (const auto& line : warnings) fmt::print("{}\n", line);
      return kExitOk;
    }
    std::vector<std::array<std::string, 7>> table = {
        {"mapping", "state", "read", "written", "rejected", "skipped", "ranges"}};
    for (const auto& s : statuses) {
      auto now = checksums.find(s.mapping);
      bool changed = now != checksums.end() && !s.checksum.empty() && now->second != s.checksum;
      table.push_back({s.mapping, s.state + (changed ? "*" : ""), group_digits(s.read),
                       group_digits(s.written), group_digits(s.rejected), group_digits(s.skipped),
                       fmt::format("{}/{}", s.ranges_done, s.ranges_total)});
    }
    // Columns as wide as their widest cell, the last run and a live lease on lines of their
    // own under each mapping: the table stays within an 80-column terminal.
    std::array<size_t, 7> width{};
    for (const auto& row : table) {
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    for (size_t r = 0; r < table.size(); ++r) {
      const auto& row = table[r];
      std::string line = fmt::format("{:<{}}  {:<{}}", row[0], width[0], row[1], width[1]);
      for (size_t c = 2; c < row.size(); ++c) line += fmt::format("  {:>{}}", row[c], width[c]);
      fmt::print("{}\n", line);
      if (r == 0) continue;
      const state::MappingStatus& s = statuses[r - 1];
      if (s.last_run) fmt::print("  last run {}\n", last_run_text(s));
      if (s.lease_live) fmt::print("  lease: {}\n", lease_text(s));
    }
    for (const auto& s : statuses) {
      if (!s.range_leases.empty()) fmt::print("{}: {}\n", s.mapping, range_leases_text(s));
    }
    for (const auto& s : statuses) {
      auto now = checksums.find(s.mapping);
      if (now != checksums.end() && !s.checksum.empty() && now->second != s.checksum) {
        fmt::print("* {}: {} changed since it was applied\n", s.mapping, s.file);
      }
    }
    print_follows(source);
    for (const auto& line : warnings) fmt::print("{}\n", line);
    return kExitOk;
  };
}

}  // namespace mapengine::cli
