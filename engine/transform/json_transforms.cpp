// JSON transforms: the combiner json_object and json_extract.
#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/transform/argument_schema.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/registry.h"

namespace mapengine {
namespace {

// Appends `text` as a JSON string literal. UTF-8 passes through; quotes, backslashes and
// control characters are escaped.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// ---- json_object --------------------------------------------------------------------------

class JsonObject final : public Combiner {
 public:
  JsonObject(std::vector<std::string> keys, bool skip_nulls) : skip_nulls_(skip_nulls) {
    for (const std::string& key : keys) {
      std::string literal;
      append_json_string(literal, key);
      key_literals_.push_back(literal + ":");
    }
  }

  Rejection combine(std::span<const Value> inputs, Value& out, const RowContext&) const override {
    std::string& json = begin_text(out);
    json.push_back('{');
    bool first = true;
    for (size_t i = 0; i < inputs.size() && i < key_literals_.size(); ++i) {
      if (skip_nulls_ && inputs[i].is_null()) continue;
      if (!first) json.push_back(',');
      first = false;
      json += key_literals_[i];
      if (inputs[i].is_null()) {
        json += "null";
      } else {
        append_json_string(json, inputs[i].text());
      }
    }
    json.push_back('}');
    return std::nullopt;
  }

 private:
  std::vector<std::string> key_literals_;  // "\"key\":", escaped once
  bool skip_nulls_;
};

// ---- json_extract -------------------------------------------------------------------------

class JsonExtract final : public Transform {
 public:
  // A path segment: an object key, or an array index when `index` is set.
  struct Segment {
    std::string key;
    std::optional<size_t> index;
  };
  JsonExtract(std::string path, std::vector<Segment> segments)
      : path_(std::move(path)), segments_(std::move(segments)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    const nlohmann::json document =
        nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) {
      return fmt::format("json_extract: {} is not valid JSON", quoted(value));
    }
    const nlohmann::json* node = &document;
    for (const Segment& segment : segments_) {
      if (node->is_object()) {
        auto found = node->find(segment.key);
        if (found == node->end()) return set_null(value);
        node = &*found;
      } else if (node->is_array() && segment.index) {
        if (*segment.index >= node->size()) return set_null(value);
        node = &(*node)[*segment.index];
      } else {
        return set_null(value);
      }
    }
    if (node->is_null()) return set_null(value);
    // Strings yield their text; numbers, booleans, objects and arrays their JSON text.
    std::string result = node->is_string() ? node->get<std::string>()
                                           : node->dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace);
    if (result != text) value.set(std::move(result));
    return std::nullopt;
  }

 private:
  static Rejection set_null(Value& value) {
    value.set_null();
    return std::nullopt;
  }

  std::string path_;
  std::vector<Segment> segments_;
};

std::optional<std::vector<JsonExtract::Segment>> parse_path(std::string_view path,
                                                            ArgumentReader& reader) {
  std::vector<JsonExtract::Segment> segments;
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = path.find_first_of(".[", at);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view key = path.substr(at, end - at);
    if (!key.empty()) {
      JsonExtract::Segment segment{std::string(key), std::nullopt};
      size_t index = 0;
      auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec == std::errc() && ptr == key.data() + key.size()) segment.index = index;
      segments.push_back(std::move(segment));
    } else if (end < path.size() && path[end] == '.') {
      reader.error(fmt::format("empty key in path '{}'", path));
      return std::nullopt;
    }
    if (end == path.size()) break;
    if (path[end] == '[') {
      const size_t close = path.find(']', end);
      size_t index = 0;
      const std::string_view digits =
          close == std::string_view::npos ? std::string_view() : path.substr(end + 1, close - end - 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
        reader.error(fmt::format("path '{}': [ must hold an array index such as [0]", path));
        return std::nullopt;
      }
      segments.push_back({std::string(digits), index});
      at = close + 1;
      if (at < path.size() && path[at] == '.') ++at;
      continue;
    }
    at = end + 1;
    if (at == path.size()) {
      reader.error(fmt::format("path '{}' ends with a dot", path));
      return std::nullopt;
    }
  }
  if (segments.empty()) {
    reader.error("needs a path such as \"address.city\" or \"items[0].sku\"");
    return std::nullopt;
  }
  return segments;
}

}  // namespace

void register_json_transforms(TransformRegistry& registry) {
  using VT = ValueType;
  {
    TransformInfo info = transform_info("json_object",
                                        "builds a JSON object of the from-columns "
                                        "{\"col\": value, ...}; NULL becomes null",
                                        VT::kAny, VT::kJson, {"skip_nulls"});
    info.arguments = {
        ArgumentSchemas::Main::kOptional,
        argument_schema::text_or_list("the keys, one per from-column (default: their names)"),
        {{"skip_nulls", argument_schema::boolean("leave NULL values out (default false)")}}};
    info.make_combiner = [](const TransformArgs& a,
                            Diagnostics& d) -> std::unique_ptr<Combiner> {
      ArgumentReader reader("json_object", a, d);
      std::vector<std::string> keys(a.input_names.begin(), a.input_names.end());
      if (reader.has_main()) {
        auto list = reader.text_list(reader.main(), "the keys");
        if (list && list->size() != keys.size()) {
          reader.error(fmt::format("lists {} keys for {} from-columns", list->size(), keys.size()));
        } else if (list) {
          keys = std::move(*list);
        }
      }
      std::optional<bool> skip_nulls = false;
      if (reader.has_option("skip_nulls")) {
        skip_nulls = reader.boolean(reader.option("skip_nulls"), "skip_nulls:");
      }
      if (!reader.ok() || !skip_nulls) return nullptr;
      return std::make_unique<JsonObject>(std::move(keys), *skip_nulls);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("json_extract",
                                        "the value at a path such as \"a.b\" or \"items[0]\" in "
                                        "a JSON text (NULL when absent)",
                                        VT::kJson, VT::kAny, {});
    info.arguments = {
        ArgumentSchemas::Main::kRequired,
        argument_schema::text("a path such as \"address.city\" or \"items[0].sku\""), {}};
    info.make_transform = [](const TransformArgs& a,
                             Diagnostics& d) -> std::unique_ptr<Transform> {
      ArgumentReader reader("json_extract", a, d);
      auto path = reader.text(reader.main(), "the path");
      if (!path) return nullptr;
      auto segments = parse_path(*path, reader);
      if (!segments) return nullptr;
      return std::make_unique<JsonExtract>(std::move(*path), std::move(*segments));
    };
    registry.add(std::move(info));
  }
}

}  // namespace mapengine
