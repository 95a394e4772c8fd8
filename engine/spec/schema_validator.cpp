#include "engine/spec/schema_validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "engine/common/closest_name.h"
#include "engine/common/error.h"
#include "engine/spec/spec_loader.h"
#include "mapping_schema_json.h"

namespace mapengine::spec {

using nlohmann::json;

std::string_view mapping_schema_json() { return kMappingSchemaJson; }

namespace {

// A value checked against a `pattern` may be at most this long: std::regex (used by valijson)
// recurses once per character, so a longer value is reported without running the regex.
constexpr size_t kMaxPatternValue = 1024;

// ---------------------------------------------------------------------------------------------
// YAML -> JSON, typed by the YAML 1.2 core schema (as the YAML language server does).

std::optional<json> core_scalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return json(true);
  if (text == "false" || text == "False" || text == "FALSE") return json(false);
  if (text == "null" || text == "Null" || text == "NULL" || text == "~" || text.empty()) {
    return json(nullptr);
  }
  auto all = [&](size_t from, auto predicate) {
    return from < text.size() &&
           std::all_of(text.begin() + static_cast<long>(from), text.end(), predicate);
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t sign = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (all(sign, digit)) {
    errno = 0;
    char* end = nullptr;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && *end == '\0') return json(value);
    return json(std::strtod(text.c_str(), nullptr));  // out of int64 range: still a number
  }
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    bool hex = text[1] == 'x';
    auto valid = [hex](char c) {
      return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
    };
    if (all(2, valid)) {
      errno = 0;
      unsigned long long value = std::strtoull(text.c_str() + 2, nullptr, hex ? 16 : 8);
      if (errno == 0 &&
          value <= static_cast<unsigned long long>(std::numeric_limits<long long>::max())) {
        return json(static_cast<long long>(value));
      }
      return json(static_cast<double>(value));
    }
  }
  // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  {
    size_t i = sign, digits = 0;
    while (i < text.size() && digit(text[i])) ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && digit(text[i])) ++i, ++digits;
    }
    bool ok = digits > 0;
    if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
      size_t exponent = 0;
      while (i < text.size() && digit(text[i])) ++i, ++exponent;
      ok = exponent > 0;
    }
    if (ok && i == text.size()) return json(std::strtod(text.c_str(), nullptr));
  }
  std::string rest = text.substr(sign);
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    return json(sign && text[0] == '-' ? -std::numeric_limits<double>::infinity()
                                       : std::numeric_limits<double>::infinity());
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return json(std::numeric_limits<double>::quiet_NaN());
  }
  return std::nullopt;
}

// `text` with every byte that does not start well-formed UTF-8 replaced by U+FFFD. parse_text
// refuses such files, but valijson's UTF-8 decoder reads out of bounds on them, so strings are
// repaired here whatever the document's origin (yaml-cpp's escapes can make surrogates).
std::string well_formed_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80                 ? 1
                    : c >= 0xC2 && c <= 0xDF ? 2
                    : c >= 0xE0 && c <= 0xEF ? 3
                    : c >= 0xF0 && c <= 0xF4 ? 4
                                             : 0;
    bool ok = length > 0 && i + length <= text.size();
    for (size_t k = 1; ok && k < length; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && length >= 3) {
      auto second = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && second < 0xA0) && !(c == 0xED && second > 0x9F) &&
           !(c == 0xF0 && second < 0x90) && !(c == 0xF4 && second > 0x8F);
    }
    if (ok) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

json scalar_value(const YAML::Node& node) {
  if (node.IsNull()) return json(nullptr);
  const std::string text = well_formed_utf8(node.Scalar());
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(text);
  if (auto typed = core_scalar(text)) return *typed;
  return json(text);
}

// One segment of a path into the document: a map key or a list index.
struct Segment {
  std::string key;
  size_t index = 0;
  bool is_index = false;
};

std::string path_text(const std::vector<Segment>& path) {
  std::string out;
  for (const auto& segment : path) {
    if (segment.is_index) {
      out += fmt::format("[{}]", segment.index);
    } else {
      if (!out.empty()) out += '.';
      out += segment.key;
    }
  }
  return out;
}

class Converter {
 public:
  Converter(const std::string& file, Diagnostics& diagnostics)
      : file_(file), diagnostics_(diagnostics) {}

  // nullopt when the document is too deep or too large (one diagnostic was appended).
  std::optional<json> convert(const YAML::Node& root) {
    std::vector<Segment> path;
    json out = visit(root, path, 0);
    if (refused_) return std::nullopt;
    return out;
  }
  bool ok() const { return errors_ == 0 && !refused_; }

 private:
  json visit(const YAML::Node& node, std::vector<Segment>& path, int depth) {
    if (refused_) return json();
    if (depth > kMaxNestingDepth || ++visited_ > kMaxExpandedNodes) {
      refused_ = true;
      diagnostics_.error(location_of(node, file_), "too-complex",
                         depth > kMaxNestingDepth
                             ? fmt::format("the document is nested deeper than {} levels (or an "
                                           "alias refers to itself)",
                                           kMaxNestingDepth)
                             : fmt::format("the document expands to more than {} values through "
                                           "aliases",
                                           kMaxExpandedNodes));
      return json();
    }
    switch (node.Type()) {
      case YAML::NodeType::Map:
        return map(node, path, depth);
      case YAML::NodeType::Sequence: {
        json out = json::array();
        size_t index = 0;
        for (const auto& item : node) {
          path.push_back({{}, index++, true});
          out.push_back(visit(item, path, depth + 1));
          path.pop_back();
        }
        return out;
      }
      case YAML::NodeType::Scalar:
      case YAML::NodeType::Null:
        return scalar_value(node);
      default:
        return json();
    }
  }

  json map(const YAML::Node& node, std::vector<Segment>& path, int depth) {
    json out = json::object();
    std::map<std::string, SourceLocation> first_seen;
    // Duplicate target columns are reported by the semantic rules (duplicate-target-column).
    bool columns = path.size() == 1 && !path[0].is_index && path[0].key == "columns";
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node key = it->first;
      if (!key.IsScalar() && !key.IsNull()) {
        ++errors_;
        diagnostics_.error(location_of(key, file_), "schema-type",
                           "a map key must be a plain name, not a list or a map");
        continue;
      }
      std::string name = key.IsNull() ? std::string() : well_formed_utf8(key.Scalar());
      SourceLocation where = location_of(key, file_);
      if (auto [seen, inserted] = first_seen.emplace(name, where); !inserted) {
        if (!columns) {
          ++errors_;
          std::string field = path.empty() ? name : path_text(path) + "." + name;
          diagnostics_.error(where, "duplicate-key",
                             fmt::format("`{}` is given twice (first at line {}); keep one", field,
                                         seen->second.line));
        }
        continue;
      }
      path.push_back({name, 0, false});
      out[name] = visit(it->second, path, depth + 1);
      path.pop_back();
    }
    return out;
  }

  const std::string& file_;
  Diagnostics& diagnostics_;
  size_t visited_ = 0;
  int errors_ = 0;
  bool refused_ = false;
};

// ---------------------------------------------------------------------------------------------
// The compiled schema, and a walker that finds the subschemas that apply at a path (to turn
// valijson's errors into messages that name the expected keys, types and values).

struct CompiledSchema {
  json document;
  valijson::Schema schema;
};

// Lint's schema (`editor` false) leaves transform steps to the transforms' factories, whose
// findings say more; the editor's keeps the step forms written from the registry
// (lint/editor_schema.h).
CompiledSchema* compile_schema(bool editor) {
  auto* out = new CompiledSchema;
  try {
    out->document = json::parse(kMappingSchemaJson);
    if (!editor) out->document["definitions"]["transformStep"].erase("anyOf");
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(out->document);
    parser.populateSchema(adapter, out->schema);
  } catch (const std::exception& e) {
    throw Error::internal(fmt::format("the compiled-in mapping schema is invalid: {}", e.what()));
  }
  return out;
}

const CompiledSchema& compiled_schema(bool editor) {
  if (editor) {
    static const CompiledSchema* full = compile_schema(true);
    return *full;
  }
  static const CompiledSchema* lint = compile_schema(false);
  return *lint;
}

class SchemaWalker {
 public:
  explicit SchemaWalker(const json& root) : root_(root) {}

  // The subschemas applying to `instance` found at `path` of `document`: $ref resolved, if/then/
  // else decided on the instance, allOf flattened.
  std::vector<const json*> at(const std::vector<Segment>& path, const json& document) const {
    std::vector<const json*> current;
    expand(root_, document, current, 0);
    const json* instance = &document;
    for (const auto& segment : path) {
      const json* child = child_of(*instance, segment);
      if (child == nullptr) return {};
      std::vector<const json*> next;
      for (const json* schema : current) {
        if (const json* sub = subschema_for(*schema, segment)) expand(*sub, *child, next, 0);
      }
      current = std::move(next);
      instance = child;
    }
    return current;
  }

  static const json* child_of(const json& instance, const Segment& segment) {
    if (segment.is_index) {
      if (!instance.is_array() || segment.index >= instance.size()) return nullptr;
      return &instance[segment.index];
    }
    if (!instance.is_object()) return nullptr;
    auto it = instance.find(segment.key);
    return it == instance.end() ? nullptr : &*it;
  }

 private:
  const json& resolve(const json& schema) const {
    const json* current = &schema;
    for (int hops = 0; hops < 16 && current->is_object() && current->contains("$ref"); ++hops) {
      const json& ref = (*current)["$ref"];
      if (!ref.is_string()) break;
      std::string pointer = ref.get<std::string>();
      if (pointer.rfind("#", 0) != 0) break;
      try {
        current = &root_.at(json::json_pointer(pointer.substr(1)));
      } catch (const std::exception&) {
        break;
      }
    }
    return *current;
  }

  void expand(const json& raw, const json& instance, std::vector<const json*>& out,
              int depth) const {
    if (depth > 16) return;
    const json& schema = resolve(raw);
    if (!schema.is_object()) return;
    out.push_back(&schema);
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (const auto& sub : *all) expand(sub, instance, out, depth + 1);
    }
    if (auto condition = schema.find("if"); condition != schema.end()) {
      const char* branch = matches(*condition, instance, 0) ? "then" : "else";
      if (auto taken = schema.find(branch); taken != schema.end()) {
        expand(*taken, instance, out, depth + 1);
      }
    }
  }

  const json* subschema_for(const json& schema, const Segment& segment) const {
    if (segment.is_index) {
      auto items = schema.find("items");
      if (items == schema.end()) return nullptr;
      if (items->is_array())
        return segment.index < items->size() ? &(*items)[segment.index] : nullptr;
      return &*items;
    }
    if (auto properties = schema.find("properties"); properties != schema.end()) {
      if (auto it = properties->find(segment.key); it != properties->end()) return &*it;
    }
    if (auto additional = schema.find("additionalProperties");
        additional != schema.end() && additional->is_object()) {
      return &*additional;
    }
    return nullptr;
  }

  static bool has_type(const json& instance, const std::string& type) {
    if (type == "object") return instance.is_object();
    if (type == "array") return instance.is_array();
    if (type == "string") return instance.is_string();
    if (type == "integer") return instance.is_number_integer();
    if (type == "number") return instance.is_number();
    if (type == "boolean") return instance.is_boolean();
    if (type == "null") return instance.is_null();
    return false;
  }

  // A small evaluator for the `if` subschemas of our own schema: type, const, enum, required,
  // properties. Keywords it does not know are taken as satisfied.
  bool matches(const json& raw, const json& instance, int depth) const {
    if (depth > 16) return true;
    const json& schema = resolve(raw);
    if (schema.is_boolean()) return schema.get<bool>();
    if (!schema.is_object()) return true;
    if (auto type = schema.find("type"); type != schema.end()) {
      bool any = false;
      if (type->is_string()) any = has_type(instance, type->get<std::string>());
      if (type->is_array()) {
        for (const auto& t : *type)
          any = any || (t.is_string() && has_type(instance, t.get<std::string>()));
      }
      if (!any) return false;
    }
    if (auto value = schema.find("const"); value != schema.end() && instance != *value)
      return false;
    if (auto values = schema.find("enum"); values != schema.end() && values->is_array()) {
      if (std::find(values->begin(), values->end(), instance) == values->end()) return false;
    }
    if (instance.is_object()) {
      if (auto required = schema.find("required"); required != schema.end()) {
        for (const auto& name : *required) {
          if (name.is_string() && !instance.contains(name.get<std::string>())) return false;
        }
      }
      if (auto properties = schema.find("properties"); properties != schema.end()) {
        for (const auto& [name, sub] : properties->items()) {
          auto it = instance.find(name);
          if (it != instance.end() && !matches(sub, *it, depth + 1)) return false;
        }
      }
    }
    return true;
  }

  const json& root_;
};

// ---------------------------------------------------------------------------------------------
// Turning valijson errors into diagnostics.

std::string type_phrase(const std::string& type) {
  if (type == "string") return "a string";
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  if (type == "boolean") return "true or false";
  if (type == "object") return "a map";
  if (type == "array") return "a list";
  if (type == "null") return "null";
  return type;
}

std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "nothing (null)";
    case json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case json::value_t::object:
      return "a map";
    case json::value_t::array:
      return "a list";
    case json::value_t::string: {
      std::string text = value.get<std::string>();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return fmt::format("the string \"{}\"", text);
    }
    default:
      return fmt::format("the number {}", value.dump());
  }
}

std::string join_quoted(const std::vector<std::string>& names, std::string_view last_word) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? fmt::format(" {} ", last_word) : ", ";
    out += "`" + names[i] + "`";
  }
  return out;
}

std::string value_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The names a oneOf/anyOf of `{ required: [name] }` branches asks for; empty for other shapes.
std::vector<std::string> required_alternatives(const json& alternatives) {
  std::vector<std::string> names;
  if (!alternatives.is_array()) return {};
  for (const auto& branch : alternatives) {
    if (!branch.is_object() || branch.size() != 1 || !branch.contains("required")) return {};
    const json& required = branch["required"];
    if (!required.is_array() || required.size() != 1 || !required[0].is_string()) return {};
    names.push_back(required[0].get<std::string>());
  }
  return names;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The text between the first quote after `prefix` and the next one: 'name'.
std::string quoted_name(const std::string& description) {
  size_t open = description.find('\'');
  size_t close = description.rfind('\'');
  if (open == std::string::npos || close <= open) return {};
  return description.substr(open + 1, close - open - 1);
}

class ErrorTranslator {
 public:
  ErrorTranslator(const YAML::Node& root, json& document, const std::string& file,
                  Diagnostics& diagnostics, const json& schema)
      : root_(root), document_(document), file_(file), diagnostics_(diagnostics), walker_(schema) {}

  // Reports strings too long for their `pattern` and empties them, so that valijson never runs a
  // regex over them. Returns the number of diagnostics appended.
  size_t limit_pattern_values() {
    size_t before = diagnostics_.items().size();
    std::vector<Segment> path;
    limit_pattern_values(document_, path, 0);
    return diagnostics_.items().size() - before;
  }

  // Returns the number of diagnostics appended.
  size_t translate(const valijson::ValidationResults& results) {
    struct Pending {
      std::vector<Segment> path;
      std::string description;
    };
    std::vector<Pending> pending;
    std::set<std::pair<std::string, std::string>> one_of_names;  // (path, name) to drop
    for (const auto& error : results) {
      auto path = parse_context(error.context);
      if (!path || suppressed_.count(path_text(*path)) > 0) continue;
      if (error.description.find("oneOf constraint") != std::string::npos ||
          error.description.find("exactly one child schema") != std::string::npos ||
          error.description.find("anyOf constraint") != std::string::npos) {
        for (const auto& name : alternatives_at(*path))
          one_of_names.insert({path_text(*path), name});
      }
      pending.push_back({std::move(*path), error.description});
    }
    size_t before = diagnostics_.items().size();
    for (const auto& p : pending) {
      if (starts_with(p.description, "Missing required property '") &&
          one_of_names.count({path_text(p.path), quoted_name(p.description)}) > 0) {
        continue;  // a branch of a reported "exactly one of"
      }
      emit(p.path, p.description);
    }
    return diagnostics_.items().size() - before;
  }

 private:
  void limit_pattern_values(json& value, std::vector<Segment>& path, int depth) {
    if (depth > kMaxNestingDepth + 1) return;
    if (value.is_string() && value.get_ref<const std::string&>().size() > kMaxPatternValue) {
      if (keyword_at(path, "pattern") == nullptr) return;
      size_t length = value.get_ref<const std::string&>().size();
      std::string expected = "in the documented format";
      if (const json* hint = keyword_at(path, "patternErrorMessage"); hint && hint->is_string()) {
        expected = hint->get<std::string>();
      }
      add(value_location(find_node(path)), "schema-pattern",
          fmt::format("{} must be {}, got a value of {} characters", field(path), expected,
                      length));
      suppressed_.insert(path_text(path));
      value = std::string();
      return;
    }
    if (value.is_object()) {
      for (auto& [key, child] : value.items()) {
        path.push_back({key, 0, false});
        limit_pattern_values(child, path, depth + 1);
        path.pop_back();
      }
    } else if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        path.push_back({{}, i, true});
        limit_pattern_values(value[i], path, depth + 1);
        path.pop_back();
      }
    }
  }

  // valijson's context: "<root>", then "[key]" or "[index]" per step.
  std::optional<std::vector<Segment>> parse_context(const std::vector<std::string>& context) const {
    std::vector<Segment> path;
    const json* instance = &document_;
    for (size_t i = 1; i < context.size(); ++i) {
      const std::string& raw = context[i];
      if (raw.size() < 2 || raw.front() != '[' || raw.back() != ']') return std::nullopt;
      std::string inner = raw.substr(1, raw.size() - 2);
      Segment segment;
      if (instance->is_array()) {
        segment.is_index = true;
        segment.index = std::strtoull(inner.c_str(), nullptr, 10);
      } else {
        segment.key = inner;
      }
      instance = SchemaWalker::child_of(*instance, segment);
      if (instance == nullptr) return std::nullopt;
      path.push_back(std::move(segment));
    }
    return path;
  }

  struct Found {
    YAML::Node value;
    YAML::Node key;  // the key naming `value` in its map (undefined for the root and list items)
  };

  Found find_node(const std::vector<Segment>& path) const {
    Found found{root_, YAML::Node(YAML::NodeType::Undefined)};
    for (const auto& segment : path) {
      YAML::Node next(YAML::NodeType::Undefined);
      YAML::Node next_key(YAML::NodeType::Undefined);
      if (segment.is_index && found.value.IsSequence() && segment.index < found.value.size()) {
        const YAML::Node& sequence = found.value;  // const: operator[] must not insert
        next.reset(sequence[segment.index]);
      } else if (!segment.is_index && found.value.IsMap()) {
        for (auto it = found.value.begin(); it != found.value.end(); ++it) {
          std::string name = it->first.IsNull() ? std::string() : it->first.Scalar();
          if ((it->first.IsScalar() || it->first.IsNull()) && name == segment.key) {
            next.reset(it->second);
            next_key.reset(it->first);
            break;
          }
        }
      }
      if (!next.IsDefined()) break;
      found.value.reset(next);
      found.key.reset(next_key);
    }
    return found;
  }

  // Where a problem with the value itself is reported: the value, or its key when the value is
  // empty (yaml-cpp places an empty value on the next line).
  SourceLocation value_location(const Found& found) const {
    if (found.value.IsNull() && found.key.IsDefined()) return location_of(found.key, file_);
    return location_of(found.value, file_);
  }
  // Where a problem with a map as a whole (a missing field) is reported: the key naming it.
  SourceLocation map_location(const Found& found) const {
    if (found.key.IsDefined()) return location_of(found.key, file_);
    return location_of(found.value, file_);
  }

  std::string field(const std::vector<Segment>& path) const {
    return path.empty() ? std::string("the document") : "`" + path_text(path) + "`";
  }

  const json& instance_at(const std::vector<Segment>& path) const {
    const json* instance = &document_;
    for (const auto& segment : path) {
      const json* child = SchemaWalker::child_of(*instance, segment);
      if (child == nullptr) break;
      instance = child;
    }
    return *instance;
  }

  // The first value of `keyword` among the subschemas applying at `path`.
  const json* keyword_at(const std::vector<Segment>& path, const char* keyword) const {
    for (const json* schema : walker_.at(path, document_)) {
      if (auto it = schema->find(keyword); it != schema->end()) return &*it;
    }
    return nullptr;
  }

  std::vector<std::string> alternatives_at(const std::vector<Segment>& path) const {
    for (const json* schema : walker_.at(path, document_)) {
      for (const char* keyword : {"oneOf", "anyOf"}) {
        if (auto it = schema->find(keyword); it != schema->end()) {
          auto names = required_alternatives(*it);
          if (!names.empty()) return names;
        }
      }
    }
    return {};
  }

  std::vector<std::string> allowed_keys(const std::vector<Segment>& path) const {
    std::vector<std::string> keys;
    for (const json* schema : walker_.at(path, document_)) {
      if (auto properties = schema->find("properties"); properties != schema->end()) {
        for (const auto& [name, sub] : properties->items()) {
          if (std::find(keys.begin(), keys.end(), name) == keys.end()) keys.push_back(name);
        }
      }
    }
    return keys;
  }

  void emit(const std::vector<Segment>& path, const std::string& description) {
    Found found = find_node(path);
    const json& instance = instance_at(path);

    if (starts_with(description, "Object contains a property that could not be validated")) {
      unknown_keys(path, found, instance);
      return;
    }
    if (starts_with(description, "Missing required property '")) {
      std::string name = quoted_name(description);
      if (path.size() == 1 && path[0].key == "source" && name == "key") {
        add(map_location(found), "missing-legacy-key",
            "`source.key` is required: the legacy key orders the read, identifies rows and makes "
            "resume possible");
        return;
      }
      add(map_location(found), "schema-required",
          path.empty() ? fmt::format("missing required field `{}`", name)
                       : fmt::format("{} is missing required field `{}`", field(path), name));
      return;
    }
    if (description == "Value type not permitted by 'type' constraint.") {
      std::vector<std::string> expected;
      if (const json* type = keyword_at(path, "type")) {
        if (type->is_string()) expected.push_back(type_phrase(type->get<std::string>()));
        if (type->is_array()) {
          for (const auto& t : *type) {
            if (t.is_string() && t != "integer")
              expected.push_back(type_phrase(t.get<std::string>()));
          }
          bool number = std::find(expected.begin(), expected.end(), "a number") != expected.end();
          if (!number && std::find(type->begin(), type->end(), "integer") != type->end()) {
            expected.push_back("an integer");
          }
        }
      }
      std::string wanted = expected.empty() ? "of another type" : "";
      for (size_t i = 0; i < expected.size(); ++i) {
        if (i > 0) wanted += (i + 1 == expected.size()) ? " or " : ", ";
        wanted += expected[i];
      }
      add(value_location(found), "schema-type",
          fmt::format("{} must be {}, got {}", field(path), wanted, describe(instance)));
      return;
    }
    if (description == "Failed to match against any enum values." ||
        description == "Failed to match expected value set by 'const' constraint.") {
      std::vector<std::string> values;
      const json* value =
          description.find("'const'") != std::string::npos ? keyword_at(path, "const") : nullptr;
      if (value != nullptr) {
        values.push_back(value_text(*value));
      } else if (const json* list = keyword_at(path, "enum"); list && list->is_array()) {
        for (const auto& v : *list) {
          if (!v.is_null()) values.push_back(value_text(v));
        }
      }
      std::string got = value_text(instance);
      std::string hint = closest_name(got, values);
      add(value_location(found), "schema-enum",
          fmt::format("{} must be {}{}, got `{}`{}", field(path),
                      values.size() > 1 ? "one of " : "", join_quoted(values, "or"), got,
                      hint.empty() ? "" : fmt::format("; did you mean `{}`?", hint)));
      return;
    }
    if (description == "Failed to match regex specified by 'pattern' constraint.") {
      std::string expected = "in the documented format";
      if (const json* hint = keyword_at(path, "patternErrorMessage"); hint && hint->is_string()) {
        expected = hint->get<std::string>();
      } else if (const json* pattern = keyword_at(path, "pattern");
                 pattern && pattern->is_string()) {
        expected = fmt::format("text matching {}", pattern->get<std::string>());
      }
      add(value_location(found), "schema-pattern",
          fmt::format("{} must be {}, got {}", field(path), expected, describe(instance)));
      return;
    }
    if (starts_with(description, "Expected number")) {
      const json* minimum = keyword_at(path, "minimum");
      const json* maximum = keyword_at(path, "maximum");
      std::string range = minimum && maximum
                              ? fmt::format("between {} and {}", minimum->dump(), maximum->dump())
                          : minimum ? fmt::format("at least {}", minimum->dump())
                          : maximum ? fmt::format("at most {}", maximum->dump())
                                    : "in range";
      add(value_location(found), "schema-range",
          fmt::format("{} must be {}, got {}", field(path), range, instance.dump()));
      return;
    }
    if (starts_with(description, "String should be no fewer than")) {
      add(value_location(found), "schema-range", fmt::format("{} must not be empty", field(path)));
      return;
    }
    if (starts_with(description, "Array should contain no fewer than")) {
      add(value_location(found), "schema-range",
          fmt::format("{} must not be an empty list", field(path)));
      return;
    }
    if (starts_with(description, "Object should have no fewer than")) {
      add(value_location(found), "schema-range",
          fmt::format("{} must not be an empty map", field(path)));
      return;
    }
    if (description.find("oneOf constraint") != std::string::npos ||
        description.find("exactly one child schema") != std::string::npos ||
        description.find("anyOf constraint") != std::string::npos) {
      auto names = alternatives_at(path);
      if (names.empty()) {
        add(map_location(found), "schema-one-of",
            fmt::format("{} does not match any allowed form", field(path)));
        return;
      }
      std::vector<std::string> present;
      for (const auto& name : names) {
        if (instance.is_object() && instance.contains(name)) present.push_back(name);
      }
      add(map_location(found), "schema-one-of",
          present.size() > 1
              ? fmt::format("{} has {}: give exactly one", field(path), join_quoted(present, "and"))
              : fmt::format("{} needs one of {}", field(path), join_quoted(names, "or")));
      return;
    }
    // Summaries of errors reported on their own (if/then/else, properties, items, ...).
    if (starts_with(description, "Failed to validate") ||
        starts_with(description, "Cannot validate")) {
      return;
    }
    add(value_location(found), "schema", fmt::format("{}: {}", field(path), description));
  }

  void unknown_keys(const std::vector<Segment>& path, const Found& found, const json& instance) {
    if (!reported_unknown_.insert(path_text(path) + "\n").second || !instance.is_object()) return;
    std::vector<std::string> allowed = allowed_keys(path);
    if (allowed.empty()) return;
    for (auto it = found.value.begin(); found.value.IsMap() && it != found.value.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      std::string name = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      std::string where = path.empty() ? "" : fmt::format(" in {}", field(path));
      std::string hint = closest_name(name, allowed);
      add(location_of(it->first, file_), "schema-unknown-key",
          hint.empty()
              ? fmt::format("unknown field `{}`{} (expected {})", name, where,
                            join_quoted(allowed, "or"))
              : fmt::format("unknown field `{}`{}; did you mean `{}`?", name, where, hint));
    }
  }

  void add(const SourceLocation& where, const std::string& rule, std::string message) {
    if (where.file.empty()) return;
    std::string key = fmt::format("{}:{}:{}", where.line, where.column, message);
    if (!emitted_.insert(key).second) return;
    diagnostics_.error(where, rule, std::move(message));
  }

  const YAML::Node& root_;
  json& document_;
  const std::string& file_;
  Diagnostics& diagnostics_;
  SchemaWalker walker_;
  std::set<std::string> reported_unknown_;
  std::set<std::string> emitted_;
  std::set<std::string> suppressed_;  // paths already reported by limit_pattern_values
};

}  // namespace

namespace {

bool validate_with(const CompiledSchema& compiled, const YAML::Node& root, const std::string& file,
                   Diagnostics& diagnostics) {
  Converter converter(file, diagnostics);
  std::optional<json> document = converter.convert(root);
  if (!document) return false;

  ErrorTranslator translator(root, *document, file, diagnostics, compiled.document);
  bool too_long = translator.limit_pattern_values() > 0;
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter target(*document);
  valijson::ValidationResults results;
  bool valid = validator.validate(compiled.schema, target, &results);
  if (!valid && translator.translate(results) == 0 && !too_long) {
    diagnostics.error(location_of(root, file), "schema",
                      "the document does not match schemas/mapping.schema.json");
  }
  return valid && !too_long && converter.ok();
}

}  // namespace

bool validate_schema(const YAML::Node& root, const std::string& file, Diagnostics& diagnostics) {
  return validate_with(compiled_schema(false), root, file, diagnostics);
}

bool validate_editor_schema(const YAML::Node& root, const std::string& file,
                            Diagnostics& diagnostics) {
  return validate_with(compiled_schema(true), root, file, diagnostics);
}

}  // namespace mapengine::spec
