#include "engine/transform/utf8.h"

namespace mapengine::utf8 {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

bool in(char32_t c, char32_t low, char32_t high) { return c >= low && c <= high; }
bool even(char32_t c) { return (c & 1) == 0; }

}  // namespace

Decoded decode(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(at);
  if (b0 < 0x80) return {b0, 1};
  size_t length;
  char32_t code_point;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (b0 < 0xC2) {
    return {kInvalid, 1};  // a continuation byte, or an overlong 2-byte lead
  } else if (b0 < 0xE0) {
    length = 2;
    code_point = b0 & 0x1F;
  } else if (b0 < 0xF0) {
    length = 3;
    code_point = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;   // overlong
    if (b0 == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (b0 < 0xF5) {
    length = 4;
    code_point = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;   // overlong
    if (b0 == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return {kInvalid, 1};
  }
  if (at + length > text.size()) return {kInvalid, 1};
  const unsigned char b1 = byte(at + 1);
  if (b1 < low || b1 > high) return {kInvalid, 1};
  code_point = (code_point << 6) | (b1 & 0x3F);
  for (size_t i = 2; i < length; ++i) {
    const unsigned char b = byte(at + i);
    if (!is_continuation(b)) return {kInvalid, 1};
    code_point = (code_point << 6) | (b & 0x3F);
  }
  return {code_point, length};
}

size_t previous_start(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && is_continuation(static_cast<unsigned char>(text[start]))) {
    --start;
  }
  if (decode(text, start).length == end - start) return start;
  return end - 1;  // the last byte is not the end of a valid sequence: it stands alone
}

void append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

size_t count(std::string_view text) {
  size_t characters = 0;
  for (size_t at = 0; at < text.size(); ++characters) {
    at += static_cast<unsigned char>(text[at]) < 0x80 ? 1 : decode(text, at).length;
  }
  return characters;
}

size_t offset_of(std::string_view text, size_t index) {
  size_t at = 0;
  for (size_t i = 0; i < index && at < text.size(); ++i) {
    at += static_cast<unsigned char>(text[at]) < 0x80 ? 1 : decode(text, at).length;
  }
  return at;
}

char32_t to_lower(char32_t c) {
  if (c < 0x80) return in(c, 'A', 'Z') ? c + 32 : c;
  if (c < 0x100) return (in(c, 0xC0, 0xDE) && c != 0xD7) ? c + 32 : c;
  if (c < 0x180) {
    if (c <= 0x12F) return even(c) ? c + 1 : c;
    if (c == 0x130) return 'i';
    if (in(c, 0x132, 0x137)) return even(c) ? c + 1 : c;
    if (in(c, 0x139, 0x148)) return even(c) ? c : c + 1;
    if (in(c, 0x14A, 0x177)) return even(c) ? c + 1 : c;
    if (c == 0x178) return 0xFF;
    if (in(c, 0x179, 0x17E)) return even(c) ? c : c + 1;
    return c;
  }
  if (in(c, 0x370, 0x3FF)) {  // Greek
    if (c == 0x386) return 0x3AC;
    if (in(c, 0x388, 0x38A)) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (in(c, 0x38E, 0x38F)) return c + 63;
    if (in(c, 0x391, 0x3AB) && c != 0x3A2) return c + 32;
    if (in(c, 0x3D8, 0x3EF)) return even(c) ? c + 1 : c;
    return c;
  }
  if (in(c, 0x400, 0x52F)) {  // Cyrillic
    if (c <= 0x40F) return c + 80;
    if (c <= 0x42F) return c + 32;
    if (in(c, 0x460, 0x481) || in(c, 0x48A, 0x4BF) || in(c, 0x4D0, 0x52F)) {
      return even(c) ? c + 1 : c;
    }
    if (c == 0x4C0) return 0x4CF;
    if (in(c, 0x4C1, 0x4CE)) return even(c) ? c : c + 1;
    return c;
  }
  if (in(c, 0x1E00, 0x1EFF)) {  // Latin Extended Additional
    if (c == 0x1E9E) return 0xDF;
    if (in(c, 0x1E00, 0x1E95) || in(c, 0x1EA0, 0x1EFF)) return even(c) ? c + 1 : c;
  }
  return c;
}

char32_t to_upper(char32_t c) {
  if (c < 0x80) return in(c, 'a', 'z') ? c - 32 : c;
  if (c < 0x100) {
    if (c == 0xB5) return 0x39C;  // micro sign -> Greek capital mu
    if (c == 0xFF) return 0x178;
    return (in(c, 0xE0, 0xFE) && c != 0xF7) ? c - 32 : c;
  }
  if (c < 0x180) {
    if (c <= 0x12F) return even(c) ? c : c - 1;
    if (c == 0x131) return 'I';
    if (in(c, 0x132, 0x137)) return even(c) ? c : c - 1;
    if (in(c, 0x139, 0x148)) return even(c) ? c - 1 : c;
    if (in(c, 0x14A, 0x177)) return even(c) ? c : c - 1;
    if (in(c, 0x179, 0x17E)) return even(c) ? c - 1 : c;
    if (c == 0x17F) return 'S';
    return c;
  }
  if (in(c, 0x370, 0x3FF)) {  // Greek
    if (c == 0x3AC) return 0x386;
    if (in(c, 0x3AD, 0x3AF)) return c - 37;
    if (c == 0x3CC) return 0x38C;
    if (in(c, 0x3CD, 0x3CE)) return c - 63;
    if (c == 0x3C2) return 0x3A3;  // final sigma
    if (in(c, 0x3B1, 0x3CB)) return c - 32;
    if (in(c, 0x3D8, 0x3EF)) return even(c) ? c : c - 1;
    return c;
  }
  if (in(c, 0x400, 0x52F)) {  // Cyrillic
    if (in(c, 0x430, 0x44F)) return c - 32;
    if (in(c, 0x450, 0x45F)) return c - 80;
    if (in(c, 0x460, 0x481) || in(c, 0x48A, 0x4BF) || in(c, 0x4D0, 0x52F)) {
      return even(c) ? c : c - 1;
    }
    if (c == 0x4CF) return 0x4C0;
    if (in(c, 0x4C1, 0x4CE)) return even(c) ? c - 1 : c;
    return c;
  }
  if (in(c, 0x1E00, 0x1E95) || in(c, 0x1EA0, 0x1EFF)) return even(c) ? c : c - 1;
  return c;
}

bool is_space(char32_t c) {
  if (c < 0x80) return c == ' ' || in(c, 0x09, 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || in(c, 0x2000, 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace mapengine::utf8
