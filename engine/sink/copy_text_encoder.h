// Encoding of values into PostgreSQL COPY text format (see source/copy_text_decoder.h).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "engine/transform/value.h"

namespace mapengine {

// Appends `text` escaped for COPY text format (backslash, tab, newline, carriage return).
inline void append_copy_escaped(std::string& out, std::string_view text) {
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const char* escape = nullptr;
    switch (c) {
      case '\\': escape = "\\\\"; break;
      case '\t': escape = "\\t"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      default: continue;
    }
    out.append(text.data() + run, i - run);
    out.append(escape);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

// Appends one field: \N for NULL, else the escaped text.
inline void append_copy_field(std::string& out, const Value& value) {
  if (value.is_null()) {
    out.append("\\N");
  } else {
    append_copy_escaped(out, value.text());
  }
}

}  // namespace mapengine
