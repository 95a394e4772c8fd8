#include "engine/pg/array_literal.h"

namespace mapengine::pg {
namespace {

// array_isspace: the white space array_in skips and array_out quotes.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_null_word(std::string_view text) {
  if (text.size() != 4) return false;
  const char* word = "null";
  for (size_t i = 0; i < 4; ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> parse_array_literal(std::string_view text, ArrayElements& out) {
  out.clear();
  size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i < text.size() && text[i] == '[') return "explicit array bounds are not supported";
  if (i >= text.size() || text[i] != '{') return "an array starts with {";
  ++i;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    for (;;) {
      while (i < text.size() && is_space(text[i])) ++i;
      if (i >= text.size()) return "the array is not closed with }";
      char c = text[i];
      if (c == '{') return "arrays of more than one dimension are not supported";
      if (c == ',' || c == '}') return "an array element is missing";
      std::string element;
      bool quoted = false;
      bool escaped_any = false;
      if (c == '"') {
        quoted = true;
        ++i;
        for (;;) {
          if (i >= text.size()) return "a quoted array element is not closed";
          char q = text[i++];
          if (q == '"') break;
          if (q == '\\') {
            if (i >= text.size()) return "a quoted array element is not closed";
            q = text[i++];
          }
          element += q;
        }
      } else {
        // Unquoted: up to a comma or the closing brace; trailing white space is not part of it.
        size_t kept = 0;  // length of `element` up to its last non-space or escaped character
        while (i < text.size() && text[i] != ',' && text[i] != '}') {
          char u = text[i++];
          if (u == '"' || u == '{') return "an unquoted array element holds a quote or a brace";
          if (u == '\\') {
            if (i >= text.size()) return "the array is not closed with }";
            element += text[i++];
            escaped_any = true;
            kept = element.size();
            continue;
          }
          element += u;
          if (!is_space(u)) kept = element.size();
        }
        element.resize(kept);
      }
      while (i < text.size() && is_space(text[i])) ++i;
      if (!quoted && !escaped_any && is_null_word(element)) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(std::move(element));
      }
      if (i >= text.size()) return "the array is not closed with }";
      if (text[i] == ',') {
        ++i;
        continue;
      }
      if (text[i] == '}') {
        ++i;
        break;
      }
      return "array elements are separated by commas";
    }
  }
  while (i < text.size() && is_space(text[i])) ++i;
  if (i != text.size()) return "text follows the array's closing }";
  return std::nullopt;
}

void append_array_literal(std::string& out, const ArrayElements& elements) {
  out += '{';
  for (size_t e = 0; e < elements.size(); ++e) {
    if (e > 0) out += ',';
    if (!elements[e]) {
      out += "NULL";
      continue;
    }
    const std::string& element = *elements[e];
    bool quote = element.empty() || is_null_word(element);
    for (char c : element) {
      quote = quote || c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || is_space(c);
    }
    if (!quote) {
      out += element;
      continue;
    }
    out += '"';
    for (char c : element) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
}

std::string text_array_literal(const std::vector<std::string>& values) {
  std::string out;
  append_array_literal(out, ArrayElements(values.begin(), values.end()));
  return out;
}

}  // namespace mapengine::pg
