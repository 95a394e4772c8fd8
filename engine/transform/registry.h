// TransformRegistry: every transform and combiner a mapping file can name, with its typed
// arguments, the value types it reads and writes, and a factory that compiles it once per run.
//
// A pipeline step is written in YAML either as a bare name (`trim`) or as a map whose FIRST key
// is the transform name, its value the main argument, and any further keys named options:
//     { map: { A: active, I: inactive }, default: inactive }
//     { truncate: 80, on_overflow: reject }
// Factories check their arguments and report problems as Diagnostics located at the step (lint
// calls them too), returning nullptr when the step cannot be compiled.
//
// Thread-safety: the registry is immutable after static initialisation; compiled transforms are
// const and shareable across threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/common/error.h"
#include "engine/transform/transform.h"

namespace mapengine {

// The type of text a value holds, for lint-time pipeline checks. kAny accepts everything;
// kSame (output only) means "the input type passes through".
enum class ValueType { kAny, kSame, kText, kInteger, kNumeric, kBoolean, kDate, kTimestamp,
                       kTimestamptz, kUuid, kJson, kArray };
std::string_view to_string(ValueType type);

// The arguments of one step as written in the mapping file.
struct TransformArgs {
  const YAML::Node& main;     // the value under the name key; Null node for a bare name
  const YAML::Node& options;  // the whole step map (name key included); Null for a bare name
  SourceLocation where;       // the step's location
  // Names of the column's source columns (`from:`), for combiners such as format.
  std::span<const std::string> input_names;
};

// The shapes a step's arguments take, for the JSON Schema that editors check mapping files with
// (`mapengine schema` writes it from the registry into schemas/mapping.schema.json). Schemas are
// JSON Schema texts made with the helpers in argument_schema.h. They describe shapes only: the
// factory still checks every value, and lint's findings come from the factory. After adding or
// changing a transform: `cmake --build build --target update_schema` (a test checks the file).
struct ArgumentSchemas {
  enum class Main {
    kUndeclared,  // not described: any main argument, or none
    kNone,        // a bare name (or `~` when options follow)
    kOptional,    // a bare name, or the main argument as `main` describes it
    kRequired,    // the main argument as `main` describes it
  };
  Main use = Main::kUndeclared;
  std::string main;
  // Option name -> its schema; an option not listed here takes any value.
  std::vector<std::pair<std::string, std::string>> options;
};

struct TransformInfo {
  std::string name;
  std::string summary;  // one line, shown by `mapengine transforms` and in docs
  ValueType input = ValueType::kAny;
  ValueType output = ValueType::kSame;
  std::vector<std::string> options;  // allowed option keys besides the name
  ArgumentSchemas arguments;
  // Exactly one of these is set.
  std::function<std::unique_ptr<Transform>(const TransformArgs&, Diagnostics&)> make_transform;
  std::function<std::unique_ptr<Combiner>(const TransformArgs&, Diagnostics&)> make_combiner;

  bool is_combiner() const { return static_cast<bool>(make_combiner); }
};

class TransformRegistry {
 public:
  static const TransformRegistry& instance();

  const TransformInfo* find(std::string_view name) const;
  const std::vector<TransformInfo>& all() const { return infos_; }
  // Closest registered name to `name` (for "did you mean"), or empty.
  std::string suggest(std::string_view name) const;

  void add(TransformInfo info);

 private:
  std::vector<TransformInfo> infos_;
};

// Each transform family registers itself through one of these (defined in its own .cpp).
void register_text_transforms(TransformRegistry& registry);
void register_mapping_transforms(TransformRegistry& registry);
void register_number_transforms(TransformRegistry& registry);
void register_time_transforms(TransformRegistry& registry);
void register_identity_transforms(TransformRegistry& registry);
void register_json_transforms(TransformRegistry& registry);
void register_array_transforms(TransformRegistry& registry);

}  // namespace mapengine
