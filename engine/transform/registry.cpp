#include "engine/transform/registry.h"

#include "engine/common/closest_name.h"
#include "engine/transform/factory_support.h"

namespace mapengine {

std::string_view to_string(ValueType type) {
  switch (type) {
    case ValueType::kAny: return "any";
    case ValueType::kSame: return "same";
    case ValueType::kText: return "text";
    case ValueType::kInteger: return "integer";
    case ValueType::kNumeric: return "numeric";
    case ValueType::kBoolean: return "boolean";
    case ValueType::kDate: return "date";
    case ValueType::kTimestamp: return "timestamp";
    case ValueType::kTimestamptz: return "timestamptz";
    case ValueType::kUuid: return "uuid";
    case ValueType::kJson: return "json";
    case ValueType::kArray:
      return "array";
  }
  return "unknown";
}

const TransformRegistry& TransformRegistry::instance() {
  // Built once, on first use (thread-safe static initialisation), then never changed.
  static const TransformRegistry registry = [] {
    TransformRegistry r;
    register_text_transforms(r);
    register_mapping_transforms(r);
    register_number_transforms(r);
    register_time_transforms(r);
    register_identity_transforms(r);
    register_json_transforms(r);
    register_array_transforms(r);
    return r;
  }();
  return registry;
}

const TransformInfo* TransformRegistry::find(std::string_view name) const {
  for (const TransformInfo& info : infos_) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string TransformRegistry::suggest(std::string_view name) const {
  std::vector<std::string_view> names;
  names.reserve(infos_.size());
  for (const TransformInfo& info : infos_) names.push_back(info.name);
  return closest_name(name, names);
}

void TransformRegistry::add(TransformInfo info) {
  if (info.name.empty() || find(info.name) != nullptr) {
    throw Error::internal("transform registered twice or without a name: '" + info.name + "'");
  }
  if (static_cast<bool>(info.make_transform) == static_cast<bool>(info.make_combiner)) {
    throw Error::internal("transform '" + info.name + "' needs exactly one factory");
  }
  infos_.push_back(std::move(info));
}

}  // namespace mapengine
