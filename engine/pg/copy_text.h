// The COPY text format's escaping, for every COPY ... FROM STDIN mapengine sends (rows, state
// records). Decoding is in source/copy_text_decoder.h; a field of a Value in
// sink/copy_text_encoder.h.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace mapengine {

namespace copy_text_detail {

// Whether any of the 8 bytes of `word` is one COPY text escapes (backslash, tab, newline, CR):
// the classic "has a zero byte" test on the word XORed with each.
inline bool has_special_byte(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto has_byte = [&](unsigned char b) {
    uint64_t x = word ^ (kOnes * b);
    return ((x - kOnes) & ~x & kHighs) != 0;
  };
  return has_byte('\\') || has_byte('\t') || has_byte('\n') || has_byte('\r');
}

}  // namespace copy_text_detail

// Appends `text` escaped for COPY text format (backslash, tab, newline, carriage return).
// Runs of eight bytes without any of them are skipped a word at a time: every value of every
// row passes here.
inline void append_copy_escaped(std::string& out, std::string_view text) {
  size_t run = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (!copy_text_detail::has_special_byte(word)) {
        i += 8;
        continue;
      }
    }
    const char* escape = nullptr;
    switch (text[i]) {
      case '\\': escape = "\\\\"; break;
      case '\t': escape = "\\t"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      default: ++i; continue;
    }
    out.append(text.data() + run, i - run);
    out.append(escape);
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace mapengine
