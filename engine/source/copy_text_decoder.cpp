#include "engine/source/copy_text_decoder.h"

#include <string>

namespace mapengine {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool CopyTextDecoder::decode_field(std::string_view field, Value& out) {
  if (field == "\\N") {
    out.set_null();
    return true;
  }
  if (field.find('\\') == std::string_view::npos) {
    out = Value::view(field);
    return true;
  }
  std::string text;
  text.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      text += c;
      continue;
    }
    if (++i >= field.size()) return false;
    char e = field[i];
    switch (e) {
      case 'b': text += '\b'; break;
      case 'f': text += '\f'; break;
      case 'n': text += '\n'; break;
      case 'r': text += '\r'; break;
      case 't': text += '\t'; break;
      case 'v': text += '\v'; break;
      case 'x': {
        int value = 0;
        int digits = 0;
        while (digits < 2 && i + 1 < field.size() && hex_digit(field[i + 1]) >= 0) {
          value = value * 16 + hex_digit(field[++i]);
          ++digits;
        }
        if (digits == 0) {
          text += 'x';
        } else {
          text += static_cast<char>(value);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0';
          for (int digits = 1; digits < 3 && i + 1 < field.size() && field[i + 1] >= '0' &&
                               field[i + 1] <= '7';
               ++digits) {
            value = value * 8 + (field[++i] - '0');
          }
          text += static_cast<char>(value & 0xff);
        } else {
          text += e;  // \\ and any other escaped character stand for themselves
        }
    }
  }
  out.set(std::move(text));
  return true;
}

bool CopyTextDecoder::decode_row(std::string_view row, std::vector<Value>& fields) {
  if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
  fields.clear();
  size_t start = 0;
  for (;;) {
    size_t tab = row.find('\t', start);
    std::string_view field =
        row.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    fields.emplace_back();
    if (!decode_field(field, fields.back())) return false;
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return true;
}

}  // namespace mapengine
