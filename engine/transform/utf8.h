// UTF-8 helpers for the text transforms: decoding code points, counting and cutting by code
// points, and simple (one-to-one) Unicode case mapping.
//
// Invalid input is tolerated, never rejected: a byte that does not start a valid UTF-8 sequence
// (or a truncated, overlong or surrogate sequence) counts as one character of its own and is
// passed through unchanged. Cuts never split a valid multi-byte sequence.
//
// Case mapping covers ASCII, Latin-1, Latin Extended-A, Latin Extended Additional (Vietnamese),
// Greek and Cyrillic, one code point to one code point (so 'ß' stays 'ß' in upper case, and
// final sigma is not context-sensitive). Other scripts pass through unchanged.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mapengine::utf8 {

inline constexpr char32_t kInvalid = 0xFFFFFFFF;

struct Decoded {
  char32_t code_point;  // kInvalid for a byte that is not valid UTF-8
  size_t length;        // bytes consumed, at least 1
};

// Decodes the character starting at text[at]. REQUIRES at < text.size().
Decoded decode(std::string_view text, size_t at);
// Start of the character that ends just before text[end]. REQUIRES end > 0.
size_t previous_start(std::string_view text, size_t end);
void append(std::string& out, char32_t code_point);

// Number of characters (code points; invalid bytes count one each).
size_t count(std::string_view text);
// Byte offset of the character with index `index` (0-based), or text.size() when there are
// fewer characters. Stops early: cost is proportional to `index`, not to the text's length.
size_t offset_of(std::string_view text, size_t index);

char32_t to_lower(char32_t code_point);
char32_t to_upper(char32_t code_point);
// Unicode White_Space (ASCII whitespace, NBSP, the U+2000 spaces, ideographic space, ...).
bool is_space(char32_t code_point);

}  // namespace mapengine::utf8
