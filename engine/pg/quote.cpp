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

QualifiedName parse_qualified_name(std::string_view text) {
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
      parts[part] += c;
    }
  }
  if (part == 0) return {"public", parts[0]};
  return {parts[0], parts[1]};
}

}  // namespace mapengine::pg
