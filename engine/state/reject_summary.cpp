#include "engine/state/reject_summary.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace mapengine::state {
namespace {

std::string clip(std::string text, size_t chars) {
  if (text.size() > chars) text = text.substr(0, chars) + "...";
  return text;
}

}  // namespace

RejectSummary summarize_rejects(pg::Connection& target, const std::string& mapping,
                                long long run_id, int group_limit, int example_limit) {
  pg::Result rows = target.exec(R"sql(
WITH r AS (
  SELECT rule, COALESCE(column_name, '') AS column_name, legacy_key, value, reason, reject_id,
         row_number() OVER (PARTITION BY rule, COALESCE(column_name, '') ORDER BY reject_id) AS n
  FROM mapengine.rejects WHERE mapping = $1 AND ($2 = 0 OR run_id = $2)),
g AS (
  SELECT rule, column_name, count(*) AS rows, min(reject_id) AS first,
         json_agg(json_build_array(legacy_key, value, reason) ORDER BY reject_id)
           FILTER (WHERE n <= $3) AS examples
  FROM r GROUP BY rule, column_name)
SELECT rule, column_name, rows, examples::text, count(*) OVER (), sum(rows) OVER ()
FROM g ORDER BY rows DESC, first LIMIT $4)sql",
                                {mapping, std::to_string(run_id), std::to_string(example_limit),
                                 std::to_string(group_limit)});
  RejectSummary summary;
  for (int r = 0; r < rows.rows(); ++r) {
    RejectGroup group;
    group.rule = std::string(rows.value(r, 0));
    group.column = std::string(rows.value(r, 1));
    group.rows = std::stoll(std::string(rows.value(r, 2)));
    summary.groups_total = std::stoll(std::string(rows.value(r, 4)));
    summary.rows_total = std::stoll(std::string(rows.value(r, 5)));
    auto examples = nlohmann::json::parse(rows.value(r, 3), nullptr, false);
    if (examples.is_array()) {
      for (const auto& e : examples) {
        if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[2].is_string()) continue;
        std::string example = "legacy key " + e[0].get<std::string>();
        if (e[1].is_string()) example += ", value '" + clip(e[1].get<std::string>(), 40) + "'";
        if (e[1].is_null() && !group.column.empty()) example += ", value NULL";
        example += ": " + clip(e[2].get<std::string>(), 160);
        group.examples.push_back(std::move(example));
      }
    }
    summary.groups.push_back(std::move(group));
  }
  return summary;
}

}  // namespace mapengine::state
