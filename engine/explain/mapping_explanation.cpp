#include "engine/explain/mapping_explanation.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "engine/apply/row_program.h"
#include "engine/common/error.h"
#include "engine/lookup/lookup_table.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"
#include "engine/sink/batch_writer.h"
#include "engine/sink/copy_binary_encoder.h"
#include "engine/source/source_reader.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/uuid.h"

namespace mapengine::explain {
namespace {

// A value that cannot occur in a key, replaced by a readable placeholder after quoting.
std::string sentinel(std::string_view prefix, const std::string& key) {
  return fmt::format("\x01{}{}\x01", prefix, key);
}

std::string with_placeholders(std::string sql, const std::vector<std::string>& key) {
  for (std::string_view prefix : {kLastKeyPrefix, kLowerPrefix, kUpperPrefix}) {
    for (const auto& k : key) {
      // fmt, not `"'" + text`: GCC 12 at -O3 reports a false -Wrestrict there (bug 105651).
      const std::string quoted = fmt::format("'{}'", sentinel(prefix, k));
      const std::string shown = fmt::format("{}{}", prefix, k);
      for (size_t at = sql.find(quoted); at != std::string::npos; at = sql.find(quoted, at)) {
        sql.replace(at, quoted.size(), shown);
        at += shown.size();
      }
    }
  }
  return sql;
}

KeyParts sentinels(std::string_view prefix, const std::vector<std::string>& key) {
  KeyParts parts;
  for (const auto& k : key) parts.push_back(sentinel(prefix, k));
  return parts;
}

std::string copy_out(const std::string& select) { return "COPY (" + select + ") TO STDOUT"; }

ExplainedLookup explain_lookup(const spec::ColumnSpec& column, const spec::MappingSpec& mapping,
                               const spec::Project& project) {
  const spec::LookupSpec& spec = *column.lookup;
  LookupTarget target = resolve_lookup(spec, mapping, project);
  ExplainedLookup out;
  out.column = column.name;
  out.written = spec.mapping.empty() ? spec.table : "mapping " + spec.mapping;
  out.resolved = target.describe();
  out.on_missing = std::string(spec::to_string(spec.on_missing));
  out.default_value = spec.default_value;
  out.self = target.self;
  if (!target.self) {
    out.select_sql = target.select_sql();
    out.load_sql = copy_out(out.select_sql);
  }
  return out;
}

ExplainedColumn explain_column(const spec::ColumnSpec& column, const spec::MappingSpec& mapping,
                               const spec::Project& project) {
  ExplainedColumn out;
  out.name = column.name;
  out.from = column.from;
  out.output = "any";
  if (column.generate != spec::Generate::kNone) {
    out.source = "generate";
    out.generate = column.generate == spec::Generate::kUuidRandom          ? "uuid"
                   : column.generate == spec::Generate::kUuidTimeOrdered ? "uuid_v7"
                                                                          : "uuid_v5";
    if (column.generate == spec::Generate::kUuidDeterministic) {
      out.uuid_namespace =
          column.uuid_namespace.empty() ? std::string(kMapengineNamespace) : column.uuid_namespace;
    }
    out.output = "uuid";
  } else if (column.has_constant) {
    out.source = "value";
    out.value = column.constant;
    out.output = "text";
  } else {
    out.source = "from";
  }
  if (!column.transforms.empty() || column.from.size() > 1) {
    Diagnostics diagnostics;
    std::unique_ptr<ColumnPipeline> pipeline = ColumnPipeline::compile(column, diagnostics);
    if (!pipeline) {
      for (const auto& d : diagnostics.items()) {
        if (d.severity == Severity::kError) throw Error(ErrorKind::kSpec, d.to_string());
      }
      throw Error::spec(column.where,
                        fmt::format("column {}: the pipeline does not compile", column.name));
    }
    for (const auto& step : pipeline->describe()) {
      out.steps.push_back({step.name, step.written, step.combiner,
                           std::string(to_string(step.input)),
                           std::string(to_string(step.output))});
    }
    // A uuid_v7's pipeline makes the time its id holds.
    if (column.generate == spec::Generate::kNone) {
      out.output = std::string(to_string(pipeline->output_type()));
    }
  }
  if (column.lookup) {
    out.lookup = explain_lookup(column, mapping, project);
    out.output = "any";  // the looked-up table's column
  }
  return out;
}

}  // namespace

MappingExplanation explain_mapping(const spec::MappingSpec& mapping, const spec::Project& project,
                                   const std::string& plan_folder, const plan::Plan* plan,
                                   const std::string& plan_error) {
  MappingExplanation e;
  e.file = mapping.file;
  e.name = mapping.name;
  e.table = mapping.table.display();
  e.mode = std::string(spec::to_string(mapping.mode));
  e.bulk = mapping.bulk;
  e.follow = mapping.follow;
  e.key = mapping.key;
  e.source_query = mapping.source_query;
  e.chunk_rows = SourceOptions{}.chunk_rows;
  e.first_chunk_sql = copy_out(
      source_chunk_sql(nullptr, mapping.source_query, mapping.key, {}, std::nullopt, e.chunk_rows));
  e.resume_sql = with_placeholders(
      copy_out(source_chunk_sql(nullptr, mapping.source_query, mapping.key, {},
                                sentinels(kLastKeyPrefix, mapping.key), e.chunk_rows)),
      mapping.key);
  e.batch_size = mapping.batch_size;
  e.parallel = mapping.parallel;
  if (mapping.parallel > 1) {
    KeyRange middle{sentinels(kLowerPrefix, mapping.key), sentinels(kUpperPrefix, mapping.key)};
    e.range_sql.push_back(
        with_placeholders(copy_out(source_chunk_sql(nullptr, mapping.source_query, mapping.key,
                                                    middle, std::nullopt, e.chunk_rows)),
                          mapping.key));
  }

  std::string columns;
  for (const auto& column : mapping.columns) {
    if (!columns.empty()) columns += ", ";
    columns += pg::quote_identifier(column.name);
    ExplainedColumn explained = explain_column(column, mapping, project);
    if (explained.lookup) {
      e.lookups.push_back(*explained.lookup);
      if (explained.lookup->self) {
        e.self_references.push_back(
            {column.name,
             mapping.legacy_key_columns.empty() ? std::string() : mapping.legacy_key_columns[0],
             explained.lookup->on_missing});
      } else if (!column.lookup->table.empty() &&
                 project.find_mapping(column.lookup->table) == nullptr) {
        if (const auto* migrated = project.find_migrated(column.lookup->table)) {
          const std::string name = migrated->table.display();
          if (std::find(e.migrated_used.begin(), e.migrated_used.end(), name) ==
              e.migrated_used.end()) {
            e.migrated_used.push_back(name);
          }
        }
      }
    }
    e.columns.push_back(std::move(explained));
  }

  e.write_sql = row_write_statements(mapping, columns);
  e.write_strategy = mapping.mode == spec::WriteMode::kInsert ? "copy" : "staging";
  e.conflict_columns = mapping.conflict_columns;
  e.legacy_key_columns = mapping.legacy_key_columns;
  e.id_column = fmt::format("{}", fmt::join(mapping.id_columns, ", "));
  e.id_map = mapping.legacy_key_columns.empty() ? "id_map" : "legacy_column";

  e.plan_folder = plan_folder;
  e.plan_error = plan_error;
  if (plan != nullptr) {
    int position = 0;
    for (const auto& step : plan->steps) {
      PlanEntry entry{++position, step.mapping->name, step.mapping->table.display(), step.level,
                      step.depends_on};
      if (step.mapping->name == mapping.name && step.mapping->table == mapping.table) {
        e.plan_position = position;
        e.plan_depends_on = step.depends_on;
      }
      e.plan.push_back(std::move(entry));
    }
  }
  return e;
}

namespace {

// Runs `work` in a read-only transaction that is always rolled back; a server error becomes the
// returned message (the connection stays usable), a connection failure propagates.
template <typename Work>
std::string read_only(pg::Connection& connection, Work work) {
  pg::Transaction tx(connection, "SET TRANSACTION READ ONLY");  // never committed
  std::string failure;
  try {
    connection.exec("SET LOCAL statement_timeout = '60s'");
    work();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kDatabase) throw;
    failure = e.server().message.empty() ? e.what() : e.server().message;
  }
  return failure;
}

// name -> format_type of each column of a result.
std::map<std::string, std::string> result_types(pg::Connection& connection,
                                                const pg::Result& result) {
  std::map<std::string, std::string> out;
  for (int c = 0; c < result.columns(); ++c) {
    pg::Result type = connection.exec(
        "SELECT format_type($1::oid, NULLIF($2::int, -1))",
        {std::to_string(result.column_type(c)), std::to_string(PQfmod(result.get(), c))});
    out[result.column_name(c)] = std::string(type.value(0, 0));
  }
  return out;
}

}  // namespace

void add_database_figures(MappingExplanation& e, const spec::MappingSpec& mapping,
                          const spec::Project& /*project*/, pg::Connection& source,
                          pg::Connection& target) {
  e.database = true;
  std::map<std::string, std::string> source_types;
  e.source_error = read_only(source, [&] {
    pg::Result plan = source.exec(
        fmt::format("EXPLAIN (FORMAT JSON) SELECT * FROM ({}\n) q", mapping.source_query));
    auto json = nlohmann::json::parse(std::string(plan.value(0, 0)));
    e.estimated_source_rows = json.at(0).at("Plan").at("Plan Rows").get<long long>();
    pg::Result shape =
        source.exec(fmt::format("SELECT * FROM ({}\n) q LIMIT 0", mapping.source_query));
    source_types = result_types(source, shape);
  });

  std::map<std::string, std::string> target_types;
  std::string target_error = read_only(target, [&] {
    pg::Result columns = target.exec(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
        {mapping.table.quoted()});
    for (int r = 0; r < columns.rows(); ++r) {
      target_types[std::string(columns.value(r, 0))] = std::string(columns.value(r, 1));
    }
  });
  (void)target_error;  // a missing table shows as columns without a target type
  read_only(target, [&] {
    std::vector<std::string> names;
    for (const auto& column : mapping.columns) names.push_back(column.name);
    std::string why;
    e.copy_format = binary_encoder_for(target, mapping.table, names, why) ? "binary" : why;
  });

  for (auto& column : e.columns) {
    for (const auto& from : column.from) {
      auto it = source_types.find(from);
      column.source_types.push_back(it == source_types.end() ? "?" : it->second);
    }
    auto it = target_types.find(column.name);
    if (it != target_types.end()) column.target_type = it->second;
  }

  for (auto& lookup : e.lookups) {
    if (lookup.self) continue;
    lookup.error = read_only(target, [&] {
      pg::Result count = target.exec(fmt::format("SELECT count(*) FROM ({}) l", lookup.select_sql));
      lookup.entries = std::stoll(std::string(count.value(0, 0)));
    });
  }
  for (auto& column : e.columns) {
    if (!column.lookup) continue;
    for (const auto& lookup : e.lookups) {
      if (lookup.column == column.name) column.lookup = lookup;
    }
  }
}

}  // namespace mapengine::explain
