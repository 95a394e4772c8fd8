#include <fmt/format.h>

#include <map>
#include <memory>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/common/secrets.h"
#include "engine/pg/connection.h"
#include "engine/plan/dependency_plan.h"
#include "engine/spec/spec_loader.h"
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
  return fmt::format("{} {} {} {}@{} {}", r.run_id, r.command, r.outcome, r.user, r.host,
                     r.started_at.substr(0, 16));
}

std::string lease_text(const state::MappingStatus& s) {
  if (!s.lease_live) return "-";
  return fmt::format("{} until {}", s.lease_owner, s.lease_until.substr(11, 8));
}

}  // namespace

Runner add_status_command(CLI::App& app) {
  auto flags = std::make_shared<StatusFlags>();
  CLI::App* sub = app.add_subcommand(
      "status",
      "Show where each mapping stands on the target: state, last run, rows, checkpoint "
      "progress, lease holder");
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

    if (flags->format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : statuses) {
        nlohmann::json item = state::to_json(s);
        auto now = checksums.find(s.mapping);
        item["file_changed"] = now != checksums.end() && !s.checksum.empty() &&
                               now->second != s.checksum;
        out.push_back(std::move(item));
      }
      fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
      return kExitOk;
    }
    if (!have_state) {
      fmt::print("nothing has run on this target yet (no mapengine state schema)\n");
      if (statuses.empty()) return kExitOk;
    } else if (statuses.empty()) {
      fmt::print("no mapping has run on this target yet\n");
      return kExitOk;
    }
    fmt::print("{:<22} {:<12} {:>9} {:>9} {:>8} {:>8} {:>7}  {:<40} {}\n", "mapping", "state",
               "read", "written", "rejected", "skipped", "ranges", "last run", "lease");
    for (const auto& s : statuses) {
      auto now = checksums.find(s.mapping);
      bool changed = now != checksums.end() && !s.checksum.empty() && now->second != s.checksum;
      fmt::print("{:<22} {:<12} {:>9} {:>9} {:>8} {:>8} {:>7}  {:<40} {}\n", s.mapping,
                 s.state + (changed ? "*" : ""), s.read, s.written, s.rejected, s.skipped,
                 fmt::format("{}/{}", s.ranges_done, s.ranges_total), last_run_text(s),
                 lease_text(s));
    }
    for (const auto& s : statuses) {
      auto now = checksums.find(s.mapping);
      if (now != checksums.end() && !s.checksum.empty() && now->second != s.checksum) {
        fmt::print("* {}: {} changed since it was applied\n", s.mapping, s.file);
      }
    }
    return kExitOk;
  };
}

}  // namespace mapengine::cli
