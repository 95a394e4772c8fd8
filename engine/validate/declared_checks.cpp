#include "engine/validate/declared_checks.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/common/error.h"
#include "engine/pg/quote.h"

namespace mapengine::validate {
namespace {

constexpr int kExamples = 5;

std::string check_name(spec::CheckKind kind) {
  switch (kind) {
    case spec::CheckKind::kNotNull:
      return "not_null";
    case spec::CheckKind::kUnique:
      return "unique";
    case spec::CheckKind::kAcceptedValues:
      return "accepted_values";
    case spec::CheckKind::kRowCount:
      return "row_count";
    case spec::CheckKind::kSql:
      return "sql";
  }
  return "check";
}

long long count_of(const pg::Result& result) {
  return result.rows() == 0 ? 0 : std::stoll(std::string(result.value(0, 0)));
}

void not_null(const spec::CheckSpec& spec, const spec::MappingSpec& mapping, pg::Connection& target,
              const TargetTable& table, const std::string& label, CheckResult& check) {
  long long total = 0;
  for (const auto& column : spec.columns) {
    table.type_of(column);  // names an unknown column clearly
    pg::Result result = target.exec(
        fmt::format("SELECT count(*) OVER (), {} FROM {} t WHERE t.{} IS NULL LIMIT {}", label,
                    mapping.table.quoted(), pg::quote_identifier(column), kExamples));
    long long count = count_of(result);
    check.figures["nulls"][column] = count;
    if (count == 0) continue;
    total += count;
    std::string rows;
    for (int r = 0; r < result.rows(); ++r) {
      rows += fmt::format("{}{}", r ? ", " : "", result.value(r, 1));
    }
    check.details.push_back(
        fmt::format("{}: {} NULL(s), e.g. {}", column, group_thousands(count), rows));
  }
  check.ok = total == 0;
  check.summary = check.ok ? "no NULL" : fmt::format("{} NULL value(s)", group_thousands(total));
}

void unique(const spec::CheckSpec& spec, const spec::MappingSpec& mapping, pg::Connection& target,
            const TargetTable& table, const std::string& label, CheckResult& check) {
  // Duplicates are found with a plain aggregate; only the few shown are joined back for their
  // rows' labels (collecting labels for every group would cost more than the check).
  std::string keyed, grouped, texts, not_null, joined, aliases, same;
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    table.type_of(spec.columns[i]);
    std::string q = "t." + pg::quote_identifier(spec.columns[i]);
    std::string alias = fmt::format("c{}", i);
    std::string sep = i == 0 ? "" : ", ";
    keyed += sep + q + " AS " + alias;
    grouped += sep + q;
    texts += (i == 0 ? "" : " || ', ' || ") + fmt::format("concat(top.{})", alias);
    not_null += (i == 0 ? "" : " AND ") + q + " IS NOT NULL";
    joined += (i == 0 ? "" : " AND ") + fmt::format("{} = top.{}", q, alias);
    aliases += sep + "top." + alias;
    same += fmt::format("{}ex.{} = top.{}", i == 0 ? "" : " AND ", alias, alias);
  }
  pg::Result result = target.exec(fmt::format(
      "WITH d AS (SELECT {keyed}, count(*) AS n FROM {table} t WHERE {not_null} "
      "GROUP BY {grouped} HAVING count(*) > 1), "
      "top AS (SELECT * FROM d ORDER BY n DESC LIMIT {limit}), "
      "ex AS (SELECT top.*, {label} AS label, row_number() OVER (PARTITION BY {aliases}) AS r "
      "FROM {table} t JOIN top ON {joined}) "
      "SELECT (SELECT count(*) FROM d), (SELECT sum(n) FROM d), {texts}, top.n, "
      "(SELECT string_agg(ex.label, ', ') FROM ex WHERE {same} "
      "AND ex.r <= 3) FROM top ORDER BY top.n DESC",
      fmt::arg("keyed", keyed), fmt::arg("table", mapping.table.quoted()),
      fmt::arg("not_null", not_null), fmt::arg("grouped", grouped), fmt::arg("limit", kExamples),
      fmt::arg("label", label), fmt::arg("aliases", aliases), fmt::arg("joined", joined),
      fmt::arg("texts", texts), fmt::arg("same", same)));
  long long groups = count_of(result);
  long long rows = result.rows() ? std::stoll(std::string(result.value(0, 1))) : 0;
  check.figures["duplicated_values"] = groups;
  check.figures["rows"] = rows;
  for (int r = 0; r < result.rows(); ++r) {
    check.details.push_back(fmt::format("{} is held by {} rows: {}",
                                        quote_value(result.optional(r, 2)), result.value(r, 3),
                                        result.value(r, 4)));
  }
  check.ok = groups == 0;
  check.summary = check.ok ? "no duplicate"
                           : fmt::format("{} duplicated value(s) over {} rows",
                                         group_thousands(groups), group_thousands(rows));
}

void accepted_values(const spec::CheckSpec& spec, const spec::MappingSpec& mapping,
                     pg::Connection& target, const TargetTable& table, const std::string& label,
                     CheckResult& check) {
  if (spec.columns.empty()) throw Error(ErrorKind::kSpec, "accepted_values names no column");
  const std::string& column = spec.columns[0];
  const std::string& type = table.type_of(column);
  std::string values =
      nlohmann::json(spec.values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string q = "t." + pg::quote_identifier(column);
  auto query = [&](const std::string& accepted) {
    return fmt::format(
        "SELECT count(*) OVER (), sum(count(*)) OVER (), concat({q}), count(*), "
        "array_to_string((array_agg({label}))[1:3], ', ') FROM {table} t WHERE {q} IS NOT NULL AND "
        "NOT ({accepted}) "
        "GROUP BY {q} ORDER BY count(*) DESC LIMIT {n}",
        fmt::arg("q", q), fmt::arg("label", label), fmt::arg("table", mapping.table.quoted()),
        fmt::arg("accepted", accepted), fmt::arg("n", kExamples));
  };
  pg::Result result;
  target.exec("SAVEPOINT typed");
  try {
    // Typed: `true` accepts a boolean's t, 1.0 a numeric 1.
    result = target.exec(
        query(fmt::format(
            "{} = ANY (ARRAY(SELECT x::{} FROM json_array_elements_text($1::json) x))", q, type)),
        {values});
    target.exec("RELEASE SAVEPOINT typed");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kDatabase) throw;
    // A value the type does not take (or a type without =): compare as text.
    target.exec("ROLLBACK TO SAVEPOINT typed");
    result = target.exec(
        query(fmt::format("{}::text = ANY (ARRAY(SELECT json_array_elements_text($1::json)))", q)),
        {values});
  }
  long long kinds = count_of(result);
  long long rows = result.rows() ? std::stoll(std::string(result.value(0, 1))) : 0;
  check.figures["unexpected_values"] = kinds;
  check.figures["rows"] = rows;
  for (int r = 0; r < result.rows(); ++r) {
    check.details.push_back(fmt::format("{} in {} row(s), e.g. {}",
                                        quote_value(result.optional(r, 2)), result.value(r, 3),
                                        result.value(r, 4)));
  }
  check.ok = kinds == 0;
  check.summary = check.ok ? "every value is accepted"
                           : fmt::format("{} row(s) hold {} value(s) not accepted",
                                         group_thousands(rows), group_thousands(kinds));
}

void row_count(const spec::CheckSpec& spec, const spec::MappingSpec& mapping,
               pg::Connection& target, CheckResult& check) {
  long long rows =
      count_of(target.exec(fmt::format("SELECT count(*) FROM {}", mapping.table.quoted())));
  check.figures["rows"] = rows;
  bool low = spec.min_rows && rows < *spec.min_rows;
  bool high = spec.max_rows && rows > *spec.max_rows;
  check.ok = !low && !high;
  check.summary = fmt::format("{} row(s){}", group_thousands(rows),
                              low    ? fmt::format(", fewer than {}", *spec.min_rows)
                              : high ? fmt::format(", more than {}", *spec.max_rows)
                                     : "");
}

void sql(const spec::CheckSpec& spec, pg::Connection& target, CheckResult& check) {
  std::string query = spec.sql;
  while (!query.empty() &&
         (std::isspace(static_cast<unsigned char>(query.back())) || query.back() == ';')) {
    query.pop_back();
  }
  // Runs inside the check's READ ONLY transaction: the query cannot change the target.
  pg::Result result = target.exec(
      fmt::format("SELECT count(*) OVER (), q.* FROM ({}\n) q LIMIT {}", query, kExamples));
  long long rows = count_of(result);
  check.figures["rows"] = rows;
  for (int r = 0; r < result.rows(); ++r) {
    std::string line;
    for (int c = 1; c < result.columns(); ++c) {
      line += fmt::format("{}{}={}", c > 1 ? ", " : "", result.column_name(c),
                          quote_value(result.optional(r, c), 40));
    }
    check.details.push_back(line);
  }
  check.ok = rows == 0;
  check.summary =
      check.ok ? "returns no row" : fmt::format("returns {} row(s)", group_thousands(rows));
}

}  // namespace

std::string describe_check(const spec::CheckSpec& check) {
  switch (check.kind) {
    case spec::CheckKind::kNotNull:
    case spec::CheckKind::kUnique:
      return fmt::format("{} [{}]", check_name(check.kind), fmt::join(check.columns, ", "));
    case spec::CheckKind::kAcceptedValues:
      return fmt::format("accepted_values {} in [{}]",
                         check.columns.empty() ? "?" : check.columns[0],
                         shorten(fmt::format("{}", fmt::join(check.values, ", ")), 60));
    case spec::CheckKind::kRowCount:
      return fmt::format("row_count {}..{}", check.min_rows ? std::to_string(*check.min_rows) : "",
                         check.max_rows ? std::to_string(*check.max_rows) : "");
    case spec::CheckKind::kSql: {
      std::string text;
      for (char c : check.sql) {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!text.empty() && text.back() != ' ') text += ' ';
        } else {
          text += c;
        }
      }
      return "sql " + shorten(text, 70);
    }
  }
  return "check";
}

std::vector<CheckResult> run_declared_checks(const spec::MappingSpec& mapping,
                                             pg::Connection& target, const TargetTable& table) {
  std::vector<CheckResult> results;
  std::string label = row_label_expr(mapping, table, target);
  for (const auto& spec : mapping.checks) {
    CheckResult check;
    check.check = check_name(spec.kind);
    std::string description = describe_check(spec);
    check.label = spec.name.empty() ? description : fmt::format("{} ({})", spec.name, description);
    check.figures["declared_at"] = spec.where.to_string();
    auto started = std::chrono::steady_clock::now();
    try {
      CheckTransaction transaction(target);
      switch (spec.kind) {
        case spec::CheckKind::kNotNull:
          not_null(spec, mapping, target, table, label, check);
          break;
        case spec::CheckKind::kUnique:
          unique(spec, mapping, target, table, label, check);
          break;
        case spec::CheckKind::kAcceptedValues:
          accepted_values(spec, mapping, target, table, label, check);
          break;
        case spec::CheckKind::kRowCount:
          row_count(spec, mapping, target, check);
          break;
        case spec::CheckKind::kSql:
          sql(spec, target, check);
          break;
      }
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kConnection || e.kind() == ErrorKind::kInterrupted) throw;
      check.ok = false;
      check.summary = fmt::format("could not run: {}", e.what());
      check.details.push_back(fmt::format("declared at {}", spec.where.to_string()));
    }
    check.figures["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    results.push_back(std::move(check));
  }
  return results;
}

}  // namespace mapengine::validate
