#include "engine/apply/row_program.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/common/diagnostic.h"
#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/sink/copy_text_encoder.h"
#include "engine/state/legacy_key.h"
#include "engine/transform/uuid.h"

namespace mapengine {
namespace {

int index_of(const std::vector<std::string>& columns, const std::string& name) {
  auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
}

std::string list_columns(const std::vector<std::string>& columns) {
  return fmt::format("{}", fmt::join(columns, ", "));
}

}  // namespace

std::vector<LookupTarget> RowProgram::lookup_targets(const spec::MappingSpec& mapping,
                                                     const spec::Project& project,
                                                     DeferredLookups deferred) {
  std::vector<LookupTarget> out;
  for (const auto& column : mapping.columns) {
    if (!column.lookup) continue;
    if (column.lookup->deferred && deferred == DeferredLookups::kPark) continue;
    LookupTarget target = resolve_lookup(*column.lookup, mapping, project);
    if (!target.self) out.push_back(std::move(target));
  }
  return out;
}

RowProgram::RowProgram(const spec::MappingSpec& mapping, const spec::Project& project,
                       std::vector<std::string> source_columns, const LookupSet& lookups,
                       DeferredLookups deferred)
    : mapping_(mapping),
      table_display_(mapping.table.display()),
      source_columns_(std::move(source_columns)) {
  for (const auto& key : mapping.key) {
    int index = index_of(source_columns_, key);
    if (index < 0) {
      throw Error::spec(mapping.at("source.key"),
                        fmt::format("legacy key column {} is not in the source query's result "
                                    "(it has: {})",
                                    key, list_columns(source_columns_)));
    }
    key_indexes_.push_back(index);
  }
  for (const auto& spec_column : mapping.columns) {
    CompiledColumn column;
    column.name = spec_column.name;
    for (const auto& from : spec_column.from) {
      int index = index_of(source_columns_, from);
      if (index < 0) {
        throw Error::spec(spec_column.where,
                          fmt::format("column {}: source column {} is not in the source query's "
                                      "result (it has: {})",
                                      spec_column.name, from, list_columns(source_columns_)));
      }
      column.inputs.push_back(index);
    }
    if (!spec_column.transforms.empty() || spec_column.from.size() > 1) {
      Diagnostics diagnostics;
      column.pipeline = ColumnPipeline::compile(spec_column, diagnostics);
      if (!column.pipeline || diagnostics.has_errors()) {
        for (const auto& d : diagnostics.items()) {
          if (d.severity == Severity::kError) {
            throw Error(ErrorKind::kSpec, d.to_string());
          }
        }
        throw Error::spec(spec_column.where,
                          fmt::format("column {}: the transform pipeline does not compile",
                                      spec_column.name));
      }
    }
    column.generate = spec_column.generate;
    if (column.generate == spec::Generate::kUuidDeterministic) {
      column.uuid_v5.emplace(spec_column.uuid_namespace.empty() ? kMapengineNamespace
                                                                : spec_column.uuid_namespace);
    }
    column.has_constant = spec_column.has_constant;
    column.constant = spec_column.constant;
    if (spec_column.lookup) {
      LookupTarget target = resolve_lookup(*spec_column.lookup, mapping, project);
      column.on_missing = spec_column.lookup->on_missing;
      column.lookup_default = spec_column.lookup->default_value;
      column.parked =
          target.self || (spec_column.lookup->deferred && deferred == DeferredLookups::kPark);
      if (column.parked) {
        has_self_refs_ = has_self_refs_ || target.self;
        std::string_view what = target.self ? "a self-reference" : "a deferred lookup";
        if (mapping.legacy_key_columns.size() != 1) {
          throw Error::spec(spec_column.lookup->where,
                            fmt::format("{} needs target.legacy_key (one column): the engine "
                                        "resolves it through that column after the rows are "
                                        "written",
                                        what));
        }
        if (column.on_missing == spec::MissPolicy::kReject ||
            column.on_missing == spec::MissPolicy::kDefault) {
          throw Error::spec(spec_column.lookup->where,
                            fmt::format("{} supports on_missing: null or fail (the row is "
                                        "already written when its reference is resolved)",
                                        what));
        }
      } else {
        std::string key = target.select_sql();
        if (auto loaded = lookups.tables.find(key); loaded != lookups.tables.end()) {
          column.lookup = &loaded->second;
        } else if (auto batched = lookups.batched.find(key); batched != lookups.batched.end()) {
          auto slot = std::find(batched_.begin(), batched_.end(), &batched->second);
          if (slot == batched_.end()) {
            batched_.push_back(&batched->second);
            batched_columns_.emplace_back();
            slot = batched_.end() - 1;
          }
          column.batched_slot = static_cast<int>(slot - batched_.begin());
          batched_columns_[static_cast<size_t>(column.batched_slot)].push_back(columns_.size());
        } else {
          throw Error::internal(fmt::format("lookup {} was not loaded", target.describe()));
        }
      }
      column.lookup_target = std::move(target);
    }
    columns_.push_back(std::move(column));
  }
  // The id is kept per row only for the engine's id map (a target without a legacy column).
  if (mapping.legacy_key_columns.empty()) {
    for (const auto& id_column : mapping.id_columns) {
      for (size_t c = 0; c < columns_.size(); ++c) {
        if (columns_[c].name == id_column) id_indexes_.push_back(static_cast<int>(c));
      }
    }
    if (id_indexes_.size() != mapping.id_columns.size()) id_indexes_.clear();
  }
}

void RowProgram::key_of(const std::vector<Value>& fields, std::string& key) const {
  if (key_indexes_.size() == 1) {
    key.assign(fields[static_cast<size_t>(key_indexes_[0])].text());
    return;
  }
  std::vector<Value> parts;
  parts.reserve(key_indexes_.size());
  for (int index : key_indexes_) parts.push_back(fields[static_cast<size_t>(index)]);
  key = legacy_key_text(parts);
}

std::vector<std::string> RowProgram::key_parts(const std::vector<Value>& fields) const {
  std::vector<std::string> parts;
  for (int index : key_indexes_) {
    parts.emplace_back(fields[static_cast<size_t>(index)].text());
  }
  return parts;
}

std::string RowProgram::target_column_list() const {
  std::string out;
  for (const auto& column : columns_) {
    if (!out.empty()) out += ", ";
    out += pg::quote_identifier(column.name);
  }
  return out;
}

Rejection RowProgram::column_value(const CompiledColumn& column,
                                   const std::vector<Value>& fields, RowScratch& scratch,
                                   const RowContext& context, Value& value) const {
  if (column.has_constant) {
    if (column.constant) {
      value.set_view(*column.constant);
    } else {
      value.set_null();
    }
  } else if (column.generate == spec::Generate::kUuidRandom) {
    UuidText id = uuid_v4_text();
    value.assign({id.data(), id.size()});
  } else if (column.uuid_v5) {
    UuidText id = column.uuid_v5->make_text(table_display_, scratch.legacy_key);
    value.assign({id.data(), id.size()});
  } else if (column.generate == spec::Generate::kUuidTimeOrdered) {
    return time_ordered_id(column, fields, scratch, context, value);
  } else if (column.pipeline) {
    scratch.inputs.clear();
    for (int index : column.inputs) scratch.inputs.push_back(fields[static_cast<size_t>(index)]);
    return column.pipeline->run(scratch.inputs, value, context);
  } else {
    value = fields[static_cast<size_t>(column.inputs[0])];
  }
  return std::nullopt;
}

Rejection RowProgram::time_ordered_id(const CompiledColumn& column,
                                      const std::vector<Value>& fields, RowScratch& scratch,
                                      const RowContext& context, Value& value) const {
  std::optional<UuidText> id;
  if (column.inputs.empty()) {
    id = uuid_v7_now_text();
  } else {
    // The row's own time: its `from` column, through the column's transforms if any.
    scratch.inputs.clear();
    for (int index : column.inputs) scratch.inputs.push_back(fields[static_cast<size_t>(index)]);
    if (column.pipeline) {
      if (Rejection rejection = column.pipeline->run(scratch.inputs, value, context)) {
        return rejection;
      }
    } else {
      value = scratch.inputs[0];
    }
    std::string why;
    id = value.is_null() ? uuid_v7_now_text() : uuid_v7_of_time_text(value.text(), why);
    if (!id) {
      return fmt::format("generate uuid_v7: '{}' is not a time the id can hold ({})", value.text(),
                         why);
    }
  }
  value.assign({id->data(), id->size()});
  return std::nullopt;
}

bool RowProgram::lookup_value(const std::vector<Value>& fields, size_t column,
                              RowScratch& scratch, std::string& out) const {
  key_of(fields, scratch.legacy_key);
  RowContext context{mapping_.name, table_display_, scratch.legacy_key};
  Value value;
  if (column_value(columns_[column], fields, scratch, context, value) || value.is_null()) {
    return false;
  }
  out.assign(value.text());
  return true;
}

RowResult RowProgram::process(const std::vector<Value>& fields, RowScratch& scratch,
                              std::string& out) const {
  RowResult result;
  key_of(fields, scratch.legacy_key);
  RowContext context{mapping_.name, table_display_, scratch.legacy_key};
  scratch.outputs.resize(columns_.size());

  for (size_t c = 0; c < columns_.size(); ++c) {
    const CompiledColumn& column = columns_[c];
    Value& value = scratch.outputs[c];
    if (Rejection rejection = column_value(column, fields, scratch, context, value)) {
      result.reject = {scratch.legacy_key, column.name,
                       scratch.inputs.size() == 1 && !scratch.inputs[0].is_null()
                           ? std::optional<std::string>(scratch.inputs[0].text())
                           : std::nullopt,
                       "transform", std::move(*rejection)};
      if (scratch.inputs.size() > 1) {
        std::vector<Value> parts(scratch.inputs.begin(), scratch.inputs.end());
        result.reject.value = legacy_key_text(parts);
      }
      return result;
    }

    if (column.lookup_target && !value.is_null()) {
      if (column.parked) {
        result.pending.push_back({column.name, scratch.legacy_key, std::string(value.text())});
        value.set_null();
        continue;
      }
      if (column.lookup == nullptr &&
          static_cast<size_t>(column.batched_slot) >= scratch.batch_tables.size()) {
        throw Error::internal(fmt::format("{}: batched lookup {} was not fetched", table_display_,
                                          column.lookup_target->describe()));
      }
      const LookupTable& table =
          column.lookup != nullptr
              ? *column.lookup
              : scratch.batch_tables[static_cast<size_t>(column.batched_slot)];
      if (std::optional<std::string_view> id = table.find(value.text())) {
        value.set_view(*id);
      } else {
        switch (column.on_missing) {
          case spec::MissPolicy::kNull: value.set_null(); break;
          case spec::MissPolicy::kDefault:
            if (column.lookup_default) {
              value.set_view(*column.lookup_default);
            } else {
              value.set_null();
            }
            break;
          case spec::MissPolicy::kReject:
            result.reject = {scratch.legacy_key, column.name, std::string(value.text()),
                             "lookup",
                             fmt::format("no {} row with {} = {}",
                                         column.lookup_target->table.name.empty()
                                             ? column.lookup_target->mapping
                                             : column.lookup_target->table.display(),
                                         column.lookup_target->match.empty()
                                             ? "legacy key"
                                             : column.lookup_target->match,
                                         value.text())};
            return result;
          case spec::MissPolicy::kFail:
            throw Error(ErrorKind::kData,
                        fmt::format("{}: legacy key {}: column {}: value {}: no match in {} "
                                    "(on_missing: fail)",
                                    table_display_, scratch.legacy_key, column.name, value.text(),
                                    column.lookup_target->describe()));
        }
      }
    }
  }

  for (size_t c = 0; c < columns_.size(); ++c) {
    if (c > 0) out += '\t';
    append_copy_field(out, scratch.outputs[c]);
  }
  out += '\n';
  if (id_indexes_.size() == 1) {
    result.id.assign(scratch.outputs[static_cast<size_t>(id_indexes_[0])].text());
  } else if (!id_indexes_.empty()) {
    // An association: its identity is the canonical key text of its key columns, the text
    // validate computes over the target row with legacy_key_sql().
    std::vector<Value> parts;
    parts.reserve(id_indexes_.size());
    for (int index : id_indexes_) parts.push_back(scratch.outputs[static_cast<size_t>(index)]);
    result.id = legacy_key_text(parts);
  }
  result.ok = true;
  return result;
}

}  // namespace mapengine
