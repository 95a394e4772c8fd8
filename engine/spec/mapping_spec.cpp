#include "engine/spec/mapping_spec.h"

namespace mapengine::spec {

std::string_view to_string(MissPolicy policy) {
  switch (policy) {
    case MissPolicy::kReject: return "reject";
    case MissPolicy::kNull: return "null";
    case MissPolicy::kDefault: return "default";
    case MissPolicy::kFail: return "fail";
  }
  return "reject";
}

std::string_view to_string(WriteMode mode) {
  switch (mode) {
    case WriteMode::kInsert: return "insert";
    case WriteMode::kUpsert: return "upsert";
    case WriteMode::kSkipExisting: return "skip_existing";
  }
  return "insert";
}

const SourceLocation& MappingSpec::at(const std::string& path) const {
  auto it = spots.find(path);
  return it == spots.end() ? where : it->second;
}

const ColumnSpec* MappingSpec::find_column(std::string_view column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

using pg::names_table;

const MappingSpec* Project::find_mapping(std::string_view name) const {
  for (const auto* list : {&mappings, &context}) {
    for (const auto& m : *list) {
      if (m.name == name) return &m;
    }
  }
  for (const auto* list : {&mappings, &context}) {
    for (const auto& m : *list) {
      if (names_table(name, m.table)) return &m;
    }
  }
  return nullptr;
}

const MigratedTable* Project::find_migrated(std::string_view name) const {
  for (const auto& t : migrated) {
    if (t.name == name || names_table(name, t.table)) return &t;
  }
  return nullptr;
}

bool Project::is_unloaded(std::string_view name) const {
  std::string_view bare = name.substr(name.find('.') == std::string_view::npos ? 0 : name.find('.') + 1);
  for (const auto& u : unloaded) {
    if (u == name || u == bare) return true;
  }
  return false;
}

}  // namespace mapengine::spec
