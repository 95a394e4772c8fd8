#include "engine/lint/editor_schema.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/spec/schema_validator.h"
#include "engine/transform/registry.h"

namespace mapengine::lint {
namespace {

using Json = nlohmann::ordered_json;

Json parse_fragment(const std::string& text, const std::string& transform) {
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    throw Error::internal(
        fmt::format("transform '{}': invalid argument schema: {}", transform, e.what()));
  }
}

void format_into(const Json& json, int indent, std::string& out) {
  const std::string inner(static_cast<size_t>(indent + 2), ' ');
  const std::string outer(static_cast<size_t>(indent), ' ');
  if (json.is_object() && !json.empty()) {
    out += "{\n";
    size_t i = 0;
    for (const auto& [key, value] : json.items()) {
      out += inner + Json(key).dump() + ": ";
      format_into(value, indent + 2, out);
      out += ++i < json.size() ? ",\n" : "\n";
    }
    out += outer + "}";
    return;
  }
  if (json.is_array() && !json.empty()) {
    bool scalars = true;
    for (const auto& item : json) scalars = scalars && !item.is_structured();
    if (scalars) {  // ["version", "table"] on one line, as a person writes it
      out += "[";
      for (size_t i = 0; i < json.size(); ++i) {
        if (i > 0) out += ", ";
        out += json[i].dump();
      }
      out += "]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < json.size(); ++i) {
      out += inner;
      format_into(json[i], indent + 2, out);
      out += i + 1 < json.size() ? ",\n" : "\n";
    }
    out += outer + "]";
    return;
  }
  out += json.dump(-1, ' ', false, Json::error_handler_t::strict);
}

}  // namespace

Json transform_step_forms() {
  using Main = ArgumentSchemas::Main;
  Json forms = Json::array();
  for (const TransformInfo& info : TransformRegistry::instance().all()) {
    const ArgumentSchemas& arguments = info.arguments;
    const std::string summary = fmt::format("{}: {} ({} -> {})", info.name, info.summary,
                                            to_string(info.input), to_string(info.output));
    if (arguments.use != Main::kRequired) {
      forms.push_back({{"const", info.name}, {"description", summary}});
    }
    Json main = Json::object();  // kUndeclared: anything
    if (arguments.use == Main::kNone) {
      main = {{"type", "null"}, {"description", "~ (this transform takes no main argument)"}};
    } else if (arguments.use == Main::kRequired) {
      main = parse_fragment(arguments.main, info.name);
    } else if (arguments.use == Main::kOptional) {
      main = {{"anyOf",
               Json::array({Json{{"type", "null"}}, parse_fragment(arguments.main, info.name)})}};
    }
    Json properties = Json::object();
    properties[info.name] = std::move(main);
    for (const std::string& option : info.options) {
      Json schema = Json::object();
      for (const auto& [name, text] : arguments.options) {
        if (name == option) schema = parse_fragment(text, info.name);
      }
      properties[option] = std::move(schema);
    }
    forms.push_back({{"type", "object"},
                     {"description", summary},
                     {"required", Json::array({info.name})},
                     {"properties", std::move(properties)},
                     {"additionalProperties", false}});
  }
  return forms;
}

std::string editor_schema_text() {
  const std::string_view text = spec::mapping_schema_json();
  Json schema = Json::parse(text.begin(), text.end());
  schema["definitions"]["transformStep"]["anyOf"] = transform_step_forms();
  return format_schema(schema);
}

std::string format_schema(const Json& json) {
  std::string out;
  format_into(json, 0, out);
  out += "\n";
  return out;
}

}  // namespace mapengine::lint
