#include "engine/apply/summary_json.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "engine/common/error.h"
#include "engine/common/secrets.h"

namespace mapengine {

std::string utc_timestamp(double seconds_since_epoch) {
  auto whole = static_cast<std::time_t>(std::floor(seconds_since_epoch));
  int millis = static_cast<int>((seconds_since_epoch - static_cast<double>(whole)) * 1000);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     std::min(millis, 999));
}

nlohmann::json summary_to_json(const ApplySummary& summary, const SummaryContext& context) {
  nlohmann::json mappings = nlohmann::json::array();
  RowCounts total;
  for (const MappingResult& r : summary.results) {
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& group : r.reject_summary.groups) {
      nlohmann::json examples = nlohmann::json::array();
      for (const auto& example : group.examples) examples.push_back(redact_known_secrets(example));
      groups.push_back({{"rule", group.rule},
                        {"column", group.column},
                        {"rows", group.rows},
                        {"examples", examples}});
    }
    mappings.push_back({{"name", r.name},
                        {"table", r.table},
                        {"status", r.status},
                        {"read", r.read},
                        {"written", r.written},
                        {"rejected", r.rejected},
                        {"skipped", r.skipped},
                        {"seconds", r.seconds},
                        {"message", redact_known_secrets(r.message)},
                        {"reject_groups", groups},
                        {"reject_groups_total", r.reject_summary.groups_total},
                        {"reject_rows_total", r.reject_summary.rows_total}});
    total += r;
  }
  nlohmann::json error = nullptr;
  if (!summary.error.empty()) {
    error = {{"message", redact_known_secrets(summary.error)},
             {"sqlstate", summary.error_sqlstate.empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(summary.error_sqlstate)},
             {"kind", std::string(to_string(summary.error_kind))},
             {"permanent", summary.error_permanent}};
  }
  return {{"version", context.version},
          {"run_id", summary.run_id == 0 ? nlohmann::json(nullptr) : nlohmann::json(summary.run_id)},
          {"dry_run", context.dry_run},
          {"status", summary.status},
          {"exit_code", context.exit_code},
          {"error", error},
          {"started_at", utc_timestamp(context.started_at)},
          {"finished_at", utc_timestamp(context.finished_at)},
          {"seconds", summary.seconds},
          {"mappings", mappings},
          {"totals",
           {{"mappings", summary.results.size()},
            {"read", total.read},
            {"written", total.written},
            {"rejected", total.rejected},
            {"skipped", total.skipped}}}};
}

}  // namespace mapengine
