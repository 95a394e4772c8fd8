#include "engine/validate/count_check.h"

#include <fmt/format.h>

#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/source/source_reader.h"
#include "engine/state/follow_store.h"
#include "engine/state/legacy_key.h"
#include "engine/validate/target_table.h"

namespace mapengine::validate {
namespace {

long long number(const pg::Result& result, int row, int column) {
  return result.is_null(row, column) ? 0 : std::stoll(std::string(result.value(row, column)));
}

// fmt, not `"+" + text`: GCC 12 at -O3 reports a false -Wrestrict in that operator+ (bug 105651).
std::string signed_count(long long n) {
  return fmt::format("{}{}", n > 0 ? "+" : "", group_thousands(n));
}

// The rows of the target carrying a legacy key of `mapping`, counted on the server.
long long count_target_rows(const spec::MappingSpec& mapping, pg::Connection& target) {
  if (!mapping.legacy_key_columns.empty()) {
    std::vector<std::string> key;
    for (const auto& k : mapping.legacy_key_columns) key.push_back("t." + pg::quote_identifier(k));
    pg::Result r = target.exec(
        fmt::format("SELECT count(*) FROM {} t WHERE {} IS NOT NULL AND {}",
                    mapping.table.quoted(), key[0],
                    state::not_retired_sql(target, mapping.name, legacy_key_sql(key))));
    return number(r, 0, 0);
  }
  pg::Result r = target.exec(
      fmt::format("SELECT count(*) FROM mapengine.id_map m JOIN {} t ON {} = m.new_id "
                  "WHERE m.mapping = $1",
                  mapping.table.quoted(), id_expr(mapping)),
      {mapping.name});
  return number(r, 0, 0);
}

}  // namespace

MappingState load_mapping_state(pg::Connection& target, const std::string& mapping) {
  MappingState state;
  pg::Result row = target.exec(
      "SELECT m.status, m.checksum, sum(c.rows_read), sum(c.rows_written), sum(c.rows_rejected), "
      "sum(c.rows_skipped), (SELECT count(*) FROM mapengine.rejects r WHERE r.mapping = m.mapping) "
      "FROM mapengine.mappings m LEFT JOIN mapengine.checkpoints c ON c.mapping = m.mapping "
      "WHERE m.mapping = $1 GROUP BY m.mapping, m.status, m.checksum",
      {mapping});
  if (row.rows() == 0) return state;
  state.registered = true;
  state.status = std::string(row.value(0, 0));
  state.checksum = std::string(row.value(0, 1));
  state.read = number(row, 0, 2);
  state.written = number(row, 0, 3);
  state.rejected = number(row, 0, 4);
  state.skipped = number(row, 0, 5);
  state.reject_records = number(row, 0, 6);
  state.retired = state::retired_count(target, mapping);
  return state;
}

CheckResult check_counts(const spec::MappingSpec& mapping, const MappingState& state,
                         const std::optional<ContentFigures>& content, pg::Connection& source,
                         pg::Connection& target) {
  CheckResult check;
  check.check = "counts";
  check.label = "counts";
  long long source_rows = 0;
  long long target_rows = 0;
  if (content) {
    source_rows = content->source_rows;
    target_rows = content->target_rows;
  } else {
    source_rows = count_source_rows(source, mapping.source_query, mapping.key, {});
    target_rows = count_target_rows(mapping, target);
  }
  bool skip_existing = mapping.mode == spec::WriteMode::kSkipExisting;
  check.figures = {{"source_rows", source_rows}, {"target_rows", target_rows},
                   {"status", state.status},     {"read", state.read},
                   {"written", state.written},   {"rejected", state.rejected},
                   {"skipped", state.skipped},   {"reject_records", state.reject_records},
                   {"retired", state.retired}};
  std::string skipped =
      skip_existing ? fmt::format(" + {} skipped", group_thousands(state.skipped)) : "";

  if (!state.registered) {
    check.ok = false;
    check.summary = fmt::format(
        "never applied to this target: the source has {} row(s), the "
        "target {} with a legacy key of this mapping",
        group_thousands(source_rows), group_thousands(target_rows));
    check.details.push_back("run mapengine apply with this file first");
    return check;
  }
  std::vector<std::string>& why = check.details;
  if (state.status != "complete") {
    why.push_back(
        fmt::format("apply has not completed (status {}): run mapengine apply again "
                    "to finish it",
                    state.status));
  }
  if (!mapping.has_checksum(state.checksum)) {
    check.details.push_back(fmt::format(
        "note: {} changed since it was applied (checksum {} -> {}); the comparison uses the "
        "file as it is now",
        mapping.file, state.checksum.substr(0, 12), mapping.checksum.substr(0, 12)));
  }
  if (source_rows != state.read) {
    why.push_back(
        fmt::format("the source produces {} row(s) now, apply read {} ({}): the source "
                    "changed since apply",
                    group_thousands(source_rows), group_thousands(state.read),
                    signed_count(source_rows - state.read)));
  }
  long long accounted = state.written + state.rejected + state.skipped;
  if (accounted != state.read) {
    why.push_back(
        fmt::format("apply's figures do not add up: read {} but written {} + rejected "
                    "{} + skipped {} = {}",
                    group_thousands(state.read), group_thousands(state.written),
                    group_thousands(state.rejected), group_thousands(state.skipped),
                    group_thousands(accounted)));
  }
  long long expected_target = state.written + (skip_existing ? state.skipped : 0);
  // A missing row and an extra one cancel out in the totals: the content figures tell.
  bool rows_differ = content && (content->missing > 0 || content->extra > 0);
  if (target_rows != expected_target || rows_differ) {
    std::string detail;
    if (content) {
      detail = fmt::format(": {} missing and {} extra row(s), named by the content check",
                           group_thousands(content->missing), group_thousands(content->extra));
    }
    why.push_back(
        fmt::format("the target holds {} row(s) with a legacy key of this mapping, "
                    "apply wrote {}{} ({}){}",
                    group_thousands(target_rows), group_thousands(state.written),
                    skip_existing ? " and kept " + group_thousands(state.skipped) : "",
                    signed_count(target_rows - expected_target), detail));
  }
  if (state.reject_records < state.rejected) {
    why.push_back(
        fmt::format("mapengine.rejects holds {} record(s) for this mapping, apply "
                    "counted {} rejected row(s): records were deleted",
                    group_thousands(state.reject_records), group_thousands(state.rejected)));
  } else if (state.reject_records > state.rejected) {
    check.details.push_back(fmt::format(
        "note: mapengine.rejects holds {} record(s), {} more than the current checkpoints count "
        "(kept from attempts before a --restart)",
        group_thousands(state.reject_records),
        group_thousands(state.reject_records - state.rejected)));
  }
  if (!spec::rejects_accepted(mapping.max_rejects, state.rejected, state.read)) {
    why.push_back(
        mapping.max_rejects
            ? fmt::format("{} row(s) rejected, over max_rejects {}: review them in "
                          "mapengine.rejects",
                          group_thousands(state.rejected), mapping.max_rejects->text())
            : fmt::format("{} row(s) rejected and no max_rejects declared (the default allows "
                          "none): review them in mapengine.rejects, then fix them or declare "
                          "the rejects you accept",
                          group_thousands(state.rejected)));
  }
  std::string retired;
  if (state.retired > 0) {
    std::string policy(spec::to_string(mapping.follow.on_delete));
    if (mapping.follow.on_delete == spec::DeletePolicy::kMark) {
      policy += " " + mapping.follow.mark_column;
    }
    retired = fmt::format("; {} row(s) deleted in the source kept (on_delete: {})",
                          group_thousands(state.retired), policy);
  }
  size_t failures = 0;
  for (const auto& line : why) failures += line.rfind("note: ", 0) == 0 ? 0 : 1;
  check.ok = failures == 0;
  if (check.ok) {
    check.summary =
        fmt::format("source {} = {} written + {} rejected{}; the target holds {}{}",
                    group_thousands(source_rows), group_thousands(state.written),
                    group_thousands(state.rejected), skipped, group_thousands(target_rows),
                    retired);
  } else {
    check.summary = fmt::format(
        "source {} rows, apply read {} = {} written + {} rejected{}, the target holds {}{}",
        group_thousands(source_rows), group_thousands(state.read), group_thousands(state.written),
        group_thousands(state.rejected), skipped, group_thousands(target_rows), retired);
  }
  return check;
}

}  // namespace mapengine::validate
