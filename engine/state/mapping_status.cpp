#include "engine/state/mapping_status.h"

#include <fmt/format.h>

#include "engine/state/checkpoint_store.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"

namespace mapengine::state {
namespace {

constexpr const char* kTime = "'YYYY-MM-DD HH24:MI:SSOF'";

void load_one(pg::Connection& target, MappingStatus& s) {
  pg::Result row = target.exec(
      fmt::format(
          "SELECT table_schema || '.' || table_name, file, checksum, status, "
          "COALESCE(lease_owner, ''), COALESCE(to_char(lease_until, {0}), ''), "
          "COALESCE(lease_until > clock_timestamp(), false), "
          "COALESCE(to_char(completed_at, {0}), '') FROM mapengine.mappings WHERE mapping = $1",
          kTime),
      {s.mapping});
  if (row.rows() == 1) {
    s.table = row.value(0, 0);
    s.file = row.value(0, 1);
    s.checksum = row.value(0, 2);
    s.state = row.value(0, 3);
    s.lease_owner = row.value(0, 4);
    s.lease_until = row.value(0, 5);
    s.lease_live = row.value(0, 6) == "t" && !owner_is_dead(s.lease_owner);
    s.completed_at = row.value(0, 7);
    if (!s.lease_live) {
      s.lease_owner.clear();
      s.lease_until.clear();
    }
  }
  pg::Result ranges = target.exec(
      "SELECT count(*), count(*) FILTER (WHERE done), COALESCE(sum(rows_read), 0), "
      "COALESCE(sum(rows_written), 0), COALESCE(sum(rows_rejected), 0), "
      "COALESCE(sum(rows_skipped), 0) FROM mapengine.checkpoints WHERE mapping = $1",
      {s.mapping});
  s.ranges_total = std::stoi(std::string(ranges.value(0, 0)));
  s.ranges_done = std::stoi(std::string(ranges.value(0, 1)));
  s.read = std::stoll(std::string(ranges.value(0, 2)));
  s.written = std::stoll(std::string(ranges.value(0, 3)));
  s.rejected = std::stoll(std::string(ranges.value(0, 4)));
  s.skipped = std::stoll(std::string(ranges.value(0, 5)));
  for (auto& holder : range_holders(target, s.mapping)) {
    if (holder.live) s.range_leases.push_back(std::move(holder));
  }
  s.rejects_now = std::stoll(std::string(
      target.exec("SELECT count(*) FROM mapengine.rejects WHERE mapping = $1", {s.mapping})
          .value(0, 0)));

  pg::Result last = target.exec(
      fmt::format("SELECT rm.run_id, r.command, rm.status, to_char(rm.started_at, {0}), "
                  "COALESCE(to_char(rm.finished_at, {0}), ''), COALESCE(r.user_name, ''), "
                  "COALESCE(r.host, ''), COALESCE(rm.message, ''), rm.file, rm.checksum, "
                  "rm.table_name FROM mapengine.run_mappings rm JOIN mapengine.runs r "
                  "USING (run_id) WHERE rm.mapping = $1 ORDER BY rm.started_at DESC, "
                  "rm.run_id DESC LIMIT 1",
                  kTime),
      {s.mapping});
  if (last.rows() == 1) {
    LastRun run;
    run.run_id = std::stoll(std::string(last.value(0, 0)));
    run.command = last.value(0, 1);
    run.outcome = last.value(0, 2);
    run.started_at = last.value(0, 3);
    run.finished_at = last.value(0, 4);
    run.user = last.value(0, 5);
    run.host = last.value(0, 6);
    run.message = last.value(0, 7);
    if (s.file.empty()) {  // reset: the mapping is known only from its history
      s.file = last.value(0, 8);
      s.checksum = last.value(0, 9);
      s.table = last.value(0, 10);
    }
    s.last_run = std::move(run);
  }
  // "running" is what the mappings row says while a run holds it; without a live holder the
  // run ended without completing it.
  if (s.state == "running" && !s.lease_live && s.range_leases.empty()) {
    s.state = s.last_run && s.last_run->outcome == "failed" ? "failed" : "interrupted";
  }
  if (row.rows() == 0 && s.last_run && s.last_run->outcome == "reset") s.state = "reset";
}

}  // namespace

std::vector<MappingStatus> load_status(pg::Connection& target,
                                       const std::vector<std::string>& mappings) {
  std::vector<MappingStatus> out;
  bool have_state = state_version(target) > 0;
  std::vector<std::string> names = mappings;
  if (names.empty() && have_state) {
    pg::Result rows = target.exec(
        "SELECT mapping FROM mapengine.mappings UNION SELECT mapping FROM mapengine.run_mappings "
        "ORDER BY 1");
    for (int r = 0; r < rows.rows(); ++r) names.emplace_back(rows.value(r, 0));
  }
  for (const auto& name : names) {
    MappingStatus s;
    s.mapping = name;
    if (have_state) load_one(target, s);
    out.push_back(std::move(s));
  }
  return out;
}

nlohmann::json to_json(const MappingStatus& s) {
  nlohmann::json out = {{"mapping", s.mapping},
                        {"table", s.table},
                        {"file", s.file},
                        {"checksum", s.checksum},
                        {"state", s.state},
                        {"rows", {{"read", s.read},
                                  {"written", s.written},
                                  {"rejected", s.rejected},
                                  {"skipped", s.skipped}}},
                        {"rejects_now", s.rejects_now},
                        {"ranges", {{"done", s.ranges_done}, {"total", s.ranges_total}}},
                        {"completed_at", s.completed_at.empty() ? nlohmann::json() : nlohmann::json(s.completed_at)},
                        {"lease", nullptr},
                        {"last_run", nullptr}};
  if (s.lease_live) out["lease"] = {{"owner", s.lease_owner}, {"until", s.lease_until}};
  out["ranges"]["held"] = nlohmann::json::array();
  for (const auto& holder : s.range_leases) {
    out["ranges"]["held"].push_back({{"range", holder.range_no}, {"owner", holder.owner}});
  }
  if (s.last_run) {
    const LastRun& r = *s.last_run;
    out["last_run"] = {{"run_id", r.run_id},
                       {"command", r.command},
                       {"outcome", r.outcome},
                       {"started_at", r.started_at},
                       {"finished_at", r.finished_at.empty() ? nlohmann::json() : nlohmann::json(r.finished_at)},
                       {"user", r.user},
                       {"host", r.host},
                       {"message", r.message}};
  }
  return out;
}

}  // namespace mapengine::state
