#include "engine/validate/validator.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/lint/semantic_rules.h"
#include "engine/pg/catalog.h"
#include "engine/pg/connection.h"
#include "engine/state/run_store.h"
#include "engine/state/state_schema.h"
#include "engine/validate/content_check.h"
#include "engine/validate/count_check.h"
#include "engine/validate/declared_checks.h"
#include "engine/validate/reference_check.h"
#include "engine/validate/target_table.h"

namespace mapengine::validate {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool stops_validation(const Error& e) {
  return e.kind() == ErrorKind::kConnection || e.kind() == ErrorKind::kInterrupted;
}

CheckResult failed_check(const std::string& name, const Error& e) {
  CheckResult check;
  check.check = name;
  check.label = name;
  check.ok = false;
  check.summary = fmt::format("could not run: {}", e.what());
  return check;
}

// The checks join the target to the id map on the id column(s), or read rows by the legacy key
// column(s): either must name at most one row. Without a primary key or unique constraint that
// proves it, the joins multiply rows (an association table's `case_id` named as its id gave
// 23,930,391 target rows for 8,715), so validate refuses instead. nullopt when it holds or the
// table does not exist (the checks then say so themselves).
std::optional<CheckResult> check_identity(const spec::MappingSpec& mapping,
                                          pg::Connection& target) {
  // A legacy-key column filled by a lookup, a generated id or another column holds no legacy
  // key, so every row would read as missing and as extra.
  Diagnostics shape;
  lint::check_mapping_shape(mapping, shape);
  for (const Diagnostic& d : shape.items()) {
    if (d.rule != "legacy-key-from-source") continue;
    CheckResult check;
    check.check = "identity";
    check.label = "identity";
    check.ok = false;
    check.summary = fmt::format("{} [{}]", d.message, d.rule);
    check.details.push_back("counts, content and references were not checked");
    return check;
  }
  pg::Result exists = target.exec("SELECT to_regclass($1) IS NOT NULL", {mapping.table.quoted()});
  if (exists.value(0, 0) != "t") return std::nullopt;
  bool legacy = !mapping.legacy_key_columns.empty();
  const std::vector<std::string>& columns = legacy ? mapping.legacy_key_columns : mapping.id_columns;
  if (pg::is_unique_key(target, mapping.table, columns)) return std::nullopt;
  CheckResult check;
  check.check = "identity";
  check.label = "identity";
  check.ok = false;
  std::string names = fmt::format("{}", fmt::join(columns, ", "));
  check.summary = fmt::format(
      "{} {} of {} is not proven unique (no primary key or unique constraint covers only {}): "
      "it cannot name one row, so counts, content and references were not checked",
      legacy ? "target.legacy_key" : "target.id_column", names, mapping.table.display(),
      columns.size() == 1 ? "it" : "them");
  if (legacy) {
    check.details.push_back(fmt::format("add a unique constraint on ({}) to {}", names,
                                        mapping.table.display()));
  } else {
    check.details.push_back(fmt::format(
        "an association table (its primary key is looked-up columns, no id of its own) names "
        "all its key columns: `target.id_column: [a_id, b_id]`; otherwise add a unique "
        "constraint on ({}) to {}",
        names, mapping.table.display()));
  }
  return check;
}

MappingValidation validate_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                                   const ValidateOptions& options, pg::Connection& source,
                                   pg::Connection& target) {
  auto started = Clock::now();
  MappingValidation result;
  result.mapping = mapping.name;
  result.table = mapping.table.display();
  result.file = mapping.file;
  result.checksum = mapping.checksum;

  try {
    if (auto refused = check_identity(mapping, target)) {
      result.add(std::move(*refused));
      result.seconds = seconds_since(started);
      return result;
    }
  } catch (const Error& e) {
    if (stops_validation(e)) throw;
    result.add(failed_check("identity", e));
    result.seconds = seconds_since(started);
    return result;
  }

  MappingState state = load_mapping_state(target, mapping.name);
  std::optional<ContentOutcome> content;
  std::optional<CheckResult> content_failure;
  try {
    ContentOptions content_options;
    content_options.chunk_rows = options.chunk_rows;
    content_options.max_examples = options.max_examples;
    content_options.tolerated_changes = state.skipped;
    content_options.interrupted = options.interrupted;
    content =
        check_content(mapping, project, options.source_url, options.target_url, content_options);
  } catch (const Error& e) {
    if (stops_validation(e)) throw;
    content_failure = failed_check("content", e);
  }

  auto timed = [&](CheckResult check, Clock::time_point since) {
    if (!check.figures.contains("seconds")) check.figures["seconds"] = seconds_since(since);
    result.add(std::move(check));
  };
  auto step = Clock::now();
  try {
    timed(check_counts(mapping, state, content ? std::optional(content->figures) : std::nullopt,
                       source, target),
          step);
  } catch (const Error& e) {
    if (stops_validation(e)) throw;
    result.add(failed_check("counts", e));
  }
  result.add(content ? std::move(content->check) : std::move(*content_failure));

  std::optional<TargetTable> table;
  try {
    table = TargetTable::load(target, mapping.table);
  } catch (const Error& e) {
    if (stops_validation(e)) throw;
    result.add(failed_check("references", e));
  }
  if (table) {
    step = Clock::now();
    try {
      timed(check_references(mapping, project, target, *table), step);
    } catch (const Error& e) {
      if (stops_validation(e)) throw;
      result.add(failed_check("references", e));
    }
    for (auto& check : run_declared_checks(mapping, target, *table)) result.add(std::move(check));
  }
  result.seconds = seconds_since(started);
  return result;
}

std::string options_json(const ValidateOptions& options) {
  return nlohmann::json{{"chunk_rows", options.chunk_rows}, {"max_examples", options.max_examples}}
      .dump();
}

}  // namespace

ValidationSummary validate_project(const spec::Project& project, const plan::Plan& plan,
                                   const ValidateOptions& options) {
  auto started = Clock::now();
  ValidationSummary summary;
  pg::Connection target(options.target_url, "target");
  pg::Connection source(options.source_url, "source");
  if (options.record) {
    state::ensure_state_schema(target);
    summary.run_id = state::begin_run(target, "validate", state::RunIdentity::of_this_process(),
                                      options_json(options), "");
  } else if (state::readable_state_version(target) == 0) {
    state::ensure_state_schema(target);  // the checks read the state tables
  }
  try {
    for (const auto& step : plan.steps) {
      const spec::MappingSpec& mapping = *step.mapping;
      log_event(spdlog::level::info, "validate_start",
                fmt::format("{}: validating {}", mapping.name, mapping.table.display()),
                {{"table", mapping.name}});
      MappingValidation result = validate_mapping(mapping, project, options, source, target);
      log_event(spdlog::level::info, "validate_done",
                fmt::format("{}: {} in {:.1f} s", mapping.name, result.ok ? "PASS" : "FAIL",
                            result.seconds),
                {{"table", mapping.name}, {"ok", result.ok}, {"seconds", result.seconds}});
      if (options.record) {
        target.exec(
            "INSERT INTO mapengine.validations (run_id, mapping, ok, result) "
            "VALUES ($1, $2, $3, $4::jsonb)",
            {std::to_string(summary.run_id), mapping.name, std::string(result.ok ? "t" : "f"),
             result.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      }
      summary.ok = summary.ok && result.ok;
      summary.mappings.push_back(std::move(result));
    }
  } catch (const Error& e) {
    if (options.record) {
      try {
        if (!target.is_ok()) target = pg::Connection(options.target_url, "target");
        state::finish_run(target, summary.run_id,
                          e.kind() == ErrorKind::kInterrupted ? "interrupted" : "failed", e.what());
      } catch (const Error&) {
        // The target is unreachable: the run stays "running"; the report shows it as such.
      }
    }
    throw;
  }
  summary.seconds = seconds_since(started);
  if (options.record) {
    size_t failed = 0;
    for (const auto& m : summary.mappings) failed += m.ok ? 0 : 1;
    state::finish_run(target, summary.run_id, summary.ok ? "succeeded" : "failed",
                      summary.ok ? fmt::format("{} mapping(s) validated", summary.mappings.size())
                                 : fmt::format("{} of {} mapping(s) failed validation", failed,
                                               summary.mappings.size()));
  }
  return summary;
}

}  // namespace mapengine::validate
