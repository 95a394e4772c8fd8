#include "engine/transform/argument_schema.h"

#include <nlohmann/json.hpp>

namespace mapengine::argument_schema {
namespace {

using Json = nlohmann::ordered_json;

const Json& scalar_types() {
  static const Json types = Json::array({"string", "number", "boolean"});
  return types;
}

std::string described(Json schema, std::string_view description) {
  if (!description.empty()) schema["description"] = description;
  return schema.dump();
}

}  // namespace

std::string text(std::string_view description) {
  return described({{"type", scalar_types()}}, description);
}

std::string value(std::string_view description) {
  return described({{"type", {"string", "number", "boolean", "null"}}}, description);
}

std::string integer(int64_t min, int64_t max, std::string_view description) {
  return described({{"type", "integer"}, {"minimum", min}, {"maximum", max}}, description);
}

std::string boolean(std::string_view description) {
  return described({{"enum", {true, false, "yes", "no"}}}, description);
}

std::string text_or_list(std::string_view description) {
  return described({{"type", {"string", "number", "boolean", "array"}},
                    {"minItems", 1},
                    {"items", {{"type", scalar_types()}}}},
                   description);
}

std::string choice(std::initializer_list<std::string_view> allowed, std::string_view description) {
  Json values = Json::array();
  for (std::string_view value : allowed) {
    values.push_back(value);
    if (value == "null") values.push_back(nullptr);
  }
  return described({{"enum", values}}, description);
}

std::string value_map(std::string_view description) {
  return described({{"type", "object"},
                    {"minProperties", 1},
                    {"additionalProperties", {{"type", {"string", "number", "boolean", "null"}}}}},
                   description);
}

std::string steps(std::string_view description) {
  const Json step = {{"$ref", "#/definitions/transformStep"}};
  return described(
      {{"anyOf", Json::array({step, {{"type", "array"}, {"minItems", 1}, {"items", step}}})}},
      description);
}

std::string fields(std::initializer_list<std::string_view> keys,
                   std::initializer_list<std::string_view> required, std::string_view description) {
  Json properties = Json::object();
  for (std::string_view key : keys) properties[std::string(key)] = {{"type", scalar_types()}};
  Json schema = {{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
  if (required.size() > 0) {
    Json names = Json::array();
    for (std::string_view key : required) names.push_back(key);
    schema["required"] = std::move(names);
  }
  return described(std::move(schema), description);
}

}  // namespace mapengine::argument_schema
