#include "engine/pg/wire_reader.h"

#include <fmt/format.h>

#include "engine/common/error.h"

namespace mapengine::pg {

void WireReader::truncated(std::size_t wanted) const {
  throw Error(ErrorKind::kInternal,
              fmt::format("malformed {} message: {} byte(s) wanted at offset {}, {} left", what_,
                          wanted, offset_, bytes_.size() - offset_));
}

std::string_view WireReader::bytes(std::size_t n) {
  if (bytes_.size() - offset_ < n) truncated(n);
  std::string_view out = bytes_.substr(offset_, n);
  offset_ += n;
  return out;
}

std::uint8_t WireReader::u8() { return static_cast<std::uint8_t>(bytes(1)[0]); }

std::uint16_t WireReader::u16() {
  std::string_view b = bytes(2);
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(b[0]) << 8) |
                                    static_cast<std::uint8_t>(b[1]));
}

std::uint32_t WireReader::u32() {
  std::string_view b = bytes(4);
  std::uint32_t out = 0;
  for (char c : b) out = (out << 8) | static_cast<std::uint8_t>(c);
  return out;
}

std::uint64_t WireReader::u64() {
  std::string_view b = bytes(8);
  std::uint64_t out = 0;
  for (char c : b) out = (out << 8) | static_cast<std::uint8_t>(c);
  return out;
}

std::string WireReader::cstring() {
  std::size_t end = bytes_.find('\0', offset_);
  if (end == std::string_view::npos) truncated(bytes_.size() - offset_ + 1);
  std::string out(bytes_.substr(offset_, end - offset_));
  offset_ = end + 1;
  return out;
}

std::string_view WireReader::rest() { return bytes(bytes_.size() - offset_); }

void put_u8(std::string& out, std::uint8_t value) { out.push_back(static_cast<char>(value)); }

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

}  // namespace mapengine::pg
