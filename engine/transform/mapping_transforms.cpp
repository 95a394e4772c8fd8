// Value-mapping transforms: map (a table of codes) and boolean (spellings of true and false).
#include <fmt/format.h>

#include <unordered_map>

#include "engine/transform/argument_schema.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/registry.h"

namespace mapengine {
namespace {

using TransformPtr = std::unique_ptr<Transform>;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
};

// What a matched value becomes: a text (viewed, never copied per row) or NULL.
struct Target {
  bool null = false;
  std::string text;

  void assign_to(Value& value) const {
    if (null) {
      value.set_null();
    } else if (value.is_null() || value.text() != text) {
      value.set_view(text);
    }
  }
};

// ---- map ----------------------------------------------------------------------------------

enum class Unmapped { kReject, kKeep, kNull, kDefault };

class Map final : public Transform {
 public:
  Map(std::unordered_map<std::string, Target, StringHash, std::equal_to<>> entries,
      std::optional<Target> null_target, Unmapped unmapped, Target fallback,
      std::string known_keys)
      : entries_(std::move(entries)),
        null_target_(std::move(null_target)),
        unmapped_(unmapped),
        fallback_(std::move(fallback)),
        known_keys_(std::move(known_keys)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) {
      if (null_target_) null_target_->assign_to(value);
      return std::nullopt;
    }
    const auto found = entries_.find(value.text());
    if (found != entries_.end()) {
      found->second.assign_to(value);
      return std::nullopt;
    }
    switch (unmapped_) {
      case Unmapped::kKeep: break;
      case Unmapped::kNull: value.set_null(); break;
      case Unmapped::kDefault: fallback_.assign_to(value); break;
      case Unmapped::kReject:
        return fmt::format("map: {} is not mapped (known: {}); add it, or set default: or "
                           "on_unmapped:",
                           quoted(value), known_keys_);
    }
    return std::nullopt;
  }

 private:
  std::unordered_map<std::string, Target, StringHash, std::equal_to<>> entries_;
  std::optional<Target> null_target_;  // from a `~:` key: what NULL becomes
  Unmapped unmapped_;
  Target fallback_;         // for kDefault
  std::string known_keys_;  // for the rejection message
};

TransformPtr make_map(const TransformArgs& args, Diagnostics& diagnostics) {
  ArgumentReader reader("map", args, diagnostics);
  if (!reader.main().IsDefined() || !reader.main().IsMap() || reader.main().size() == 0) {
    reader.error("needs a map of legacy value to new value, e.g. { map: { A: active, I: inactive } }");
    return nullptr;
  }
  const auto target_of = [&](const YAML::Node& node, std::string_view key) -> std::optional<Target> {
    if (node.IsNull()) return Target{true, {}};
    if (!node.IsScalar()) {
      reader.error(fmt::format("the value for '{}' must be a single value or ~ (NULL)", key));
      return std::nullopt;
    }
    return Target{false, node.Scalar()};
  };

  std::unordered_map<std::string, Target, StringHash, std::equal_to<>> entries;
  std::optional<Target> null_target;
  std::vector<std::string> keys;
  for (const auto& entry : reader.main()) {
    const YAML::Node& key = entry.first;
    if (key.IsNull()) {
      if (null_target) reader.error("the key ~ (NULL) appears twice");
      null_target = target_of(entry.second, "~");
      keys.push_back("~");
      continue;
    }
    if (!key.IsScalar()) {
      reader.error("keys must be single values");
      continue;
    }
    auto target = target_of(entry.second, key.Scalar());
    if (!target) continue;
    if (!entries.emplace(key.Scalar(), std::move(*target)).second) {
      reader.error(fmt::format("the key '{}' appears twice", key.Scalar()));
    }
    keys.push_back(key.Scalar());
  }

  Unmapped unmapped = Unmapped::kReject;
  Target fallback;
  if (reader.has_option("default") && reader.has_option("on_unmapped")) {
    reader.error("set either default: or on_unmapped:, not both");
  } else if (reader.has_option("default")) {
    unmapped = Unmapped::kDefault;
    const YAML::Node node = reader.option("default");
    if (auto target = target_of(node, "default:")) fallback = std::move(*target);
  } else if (reader.has_option("on_unmapped")) {
    auto policy =
        reader.choice(reader.option("on_unmapped"), "on_unmapped:", {"reject", "keep", "null"});
    if (policy) {
      unmapped = std::array{Unmapped::kReject, Unmapped::kKeep, Unmapped::kNull}[*policy];
    }
  }
  if (!reader.ok()) return nullptr;

  constexpr size_t kShownKeys = 8;
  std::string known;
  for (size_t i = 0; i < keys.size() && i < kShownKeys; ++i) {
    known += (i ? ", " : "") + keys[i];
  }
  if (keys.size() > kShownKeys) known += fmt::format(", ... ({} in all)", keys.size());
  return std::make_unique<Map>(std::move(entries), std::move(null_target), unmapped,
                               std::move(fallback), std::move(known));
}

// ---- boolean ------------------------------------------------------------------------------

constexpr std::string_view kTrue = "true";
constexpr std::string_view kFalse = "false";

class Boolean final : public Transform {
 public:
  Boolean(std::vector<std::string> trues, std::vector<std::string> falses)
      : trues_(std::move(trues)), falses_(std::move(falses)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = trim_ascii(value.text());
    std::string_view result;
    if (matches(trues_, text)) {
      result = kTrue;
    } else if (matches(falses_, text)) {
      result = kFalse;
    } else {
      return fmt::format("boolean: {} is neither true ({}) nor false ({})", quoted(value),
                         fmt::join(trues_, ", "), fmt::join(falses_, ", "));
    }
    if (value.text() != result) value.set_view(result);
    return std::nullopt;
  }

 private:
  static bool matches(const std::vector<std::string>& spellings, std::string_view text) {
    for (const std::string& spelling : spellings) {
      if (equals_ignore_case(spelling, text)) return true;
    }
    return false;
  }

  std::vector<std::string> trues_, falses_;
};

TransformPtr make_boolean(const TransformArgs& args, Diagnostics& diagnostics) {
  ArgumentReader reader("boolean", args, diagnostics);
  reader.no_main();
  // PostgreSQL's boolean input spellings, matched ignoring case and surrounding spaces.
  std::vector<std::string> trues{"true", "t", "yes", "y", "on", "1"};
  std::vector<std::string> falses{"false", "f", "no", "n", "off", "0"};
  if (reader.has_option("true")) {
    auto list = reader.text_list(reader.option("true"), "true:");
    if (list) trues = std::move(*list);
  }
  if (reader.has_option("false")) {
    auto list = reader.text_list(reader.option("false"), "false:");
    if (list) falses = std::move(*list);
  }
  for (std::string& spelling : trues) spelling = std::string(trim_ascii(spelling));
  for (std::string& spelling : falses) spelling = std::string(trim_ascii(spelling));
  for (const std::string& t : trues) {
    for (const std::string& f : falses) {
      if (equals_ignore_case(t, f)) {
        reader.error(fmt::format("'{}' is spelled both true and false", t));
      }
    }
  }
  if (!reader.ok()) return nullptr;
  return std::make_unique<Boolean>(std::move(trues), std::move(falses));
}

}  // namespace

void register_mapping_transforms(TransformRegistry& registry) {
  TransformInfo map = transform_info("map", "replaces legacy codes by new values from a table",
                                     ValueType::kAny, ValueType::kAny, {"default", "on_unmapped"});
  map.arguments = {
      ArgumentSchemas::Main::kRequired,
      argument_schema::value_map("legacy value -> new value; ~ stands for NULL on either side"),
      {{"default", argument_schema::value("the value for legacy values not in the map")},
       {"on_unmapped", argument_schema::choice({"reject", "keep", "null"},
                                               "legacy values not in the map: reject (default), "
                                               "keep them, or write NULL")}}};
  map.make_transform = make_map;
  registry.add(std::move(map));

  TransformInfo boolean = transform_info("boolean",
                                         "reads yes/no spellings as 'true' or 'false'",
                                         ValueType::kAny, ValueType::kBoolean, {"true", "false"});
  boolean.arguments = {ArgumentSchemas::Main::kNone, "",
                       {{"true", argument_schema::text_or_list("the spellings of true")},
                        {"false", argument_schema::text_or_list("the spellings of false")}}};
  boolean.make_transform = make_boolean;
  registry.add(std::move(boolean));
}

}  // namespace mapengine
