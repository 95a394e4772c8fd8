#include "engine/spec/mapping_spec.h"

#include <fmt/format.h>

#include <cstdlib>

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

bool RejectLimit::exceeded(long long rejected, long long base) const {
  if (percent) return base > 0 && rejected * 100.0 / static_cast<double>(base) > amount;
  return static_cast<double>(rejected) > amount;
}

std::string RejectLimit::text() const { return fmt::format("{}{}", amount, percent ? "%" : ""); }

std::optional<RejectLimit> parse_reject_limit(std::string value) {
  RejectLimit parsed;
  if (!value.empty() && value.back() == '%') {
    parsed.percent = true;
    value.pop_back();
  }
  char* end = nullptr;
  parsed.amount = std::strtod(value.c_str(), &end);
  if (value.empty() || end == nullptr || *end != '\0' || parsed.amount < 0 ||
      (parsed.percent && parsed.amount > 100)) {
    return std::nullopt;
  }
  return parsed;
}

bool rejects_accepted(const std::optional<RejectLimit>& limit, long long rejected,
                      long long read) {
  return limit ? !limit->exceeded(rejected, read) : rejected == 0;
}

std::string_view to_string(WriteMode mode) {
  switch (mode) {
    case WriteMode::kInsert: return "insert";
    case WriteMode::kUpsert: return "upsert";
    case WriteMode::kSkipExisting: return "skip_existing";
  }
  return "insert";
}

std::string_view to_string(DeletePolicy policy) {
  switch (policy) {
    case DeletePolicy::kDelete: return "delete";
    case DeletePolicy::kKeep: return "keep";
    case DeletePolicy::kMark: return "mark";
  }
  return "delete";
}

std::string_view to_string(BulkMode mode) {
  switch (mode) {
    case BulkMode::kOff: return "off";
    case BulkMode::kForeignKeys: return "foreign keys";
    case BulkMode::kWithIndexes: return "foreign keys and indexes";
  }
  return "off";
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
