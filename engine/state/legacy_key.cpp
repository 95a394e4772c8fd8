#include "engine/state/legacy_key.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mapengine {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string legacy_key_text(std::span<const Value> parts) {
  if (parts.size() == 1) return std::string(parts[0].text());
  std::string out = "[";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ", ";
    if (parts[i].is_null()) {
      out += "null";
    } else {
      append_json_string(out, parts[i].text());
    }
  }
  out += ']';
  return out;
}

std::string legacy_key_sql(const std::vector<std::string>& quoted_columns) {
  if (quoted_columns.size() == 1) return quoted_columns[0] + "::text";
  std::string args;
  for (size_t i = 0; i < quoted_columns.size(); ++i) {
    if (i > 0) args += ", ";
    args += quoted_columns[i] + "::text";
  }
  return "json_build_array(" + args + ")::text";
}

std::vector<std::string> legacy_key_parts(std::string_view text, size_t arity) {
  if (arity == 1) return {std::string(text)};
  return key_parts_from_json(text).value_or(std::vector<std::string>());
}

std::string key_parts_json(std::span<const std::string> parts) {
  std::string out = "[";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, parts[i]);
  }
  out += ']';
  return out;
}

std::optional<std::vector<std::string>> key_parts_from_json(std::string_view json) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return std::nullopt;
  std::vector<std::string> parts;
  for (const auto& item : parsed) parts.push_back(item.is_string() ? item.get<std::string>() : "");
  return parts;
}

}  // namespace mapengine
