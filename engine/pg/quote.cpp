#include "engine/pg/quote.h"

#include "engine/common/error.h"

namespace mapengine::pg {

std::string quote_identifier(std::string_view name) {
  if (name.empty()) throw Error(ErrorKind::kSpec, "empty SQL identifier");
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '\0') throw Error(ErrorKind::kSpec, "SQL identifier contains a NUL byte");
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QualifiedName::quoted() const {
  return quote_identifier(schema) + "." + quote_identifier(name);
}

std::string QualifiedName::display() const { return schema + "." + name; }

namespace {

struct ParsedName {
  QualifiedName name;
  bool has_schema = false;
};

ParsedName parse_name(std::string_view text) {
  std::string parts[2];
  int part = 0;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        parts[part] += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        parts[part] += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '.' && part == 0) {
      part = 1;
    } else {
      parts[part] += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  if (part == 0) return {{"public", parts[0]}, false};
  return {{parts[0], parts[1]}, true};
}

}  // namespace

QualifiedName parse_qualified_name(std::string_view text) { return parse_name(text).name; }

std::string written_name_part(std::string_view part) {
  bool plain = !part.empty();
  for (char c : part) plain = plain && c != '.' && c != '"' && !(c >= 'A' && c <= 'Z');
  if (plain) return std::string(part);
  std::string out = "\"";
  for (char c : part) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool names_table(std::string_view written, const QualifiedName& table) {
  ParsedName parsed = parse_name(written);
  return parsed.has_schema ? parsed.name == table : parsed.name.name == table.name;
}

}  // namespace mapengine::pg
