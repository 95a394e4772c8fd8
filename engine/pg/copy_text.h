// The COPY text format's escaping, for every COPY ... FROM STDIN mapengine sends (rows, state
// records). Decoding is in source/copy_text_decoder.h; a field of a Value in
// sink/copy_text_encoder.h.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace mapengine
