// WireReader: reads the big-endian integers and NUL-terminated strings of PostgreSQL's binary
// protocol messages (replication framing, pgoutput) from a byte buffer, bounds-checked: reading
// past the end throws Error(kInternal) naming `what` (the message being read) and the offset.
//
// Thread-safety: a plain cursor over a buffer the caller keeps alive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mapengine::pg {

class WireReader {
 public:
  WireReader(std::string_view bytes, std::string_view what) : bytes_(bytes), what_(what) {}

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  // A NUL-terminated string (the NUL is consumed, not returned).
  std::string cstring();
  // The next `n` bytes.
  std::string_view bytes(std::size_t n);
  // Everything not read yet.
  std::string_view rest();

  bool at_end() const { return offset_ == bytes_.size(); }
  std::size_t offset() const { return offset_; }

 private:
  [[noreturn]] void truncated(std::size_t wanted) const;

  std::string_view bytes_;
  std::string_view what_;
  std::size_t offset_ = 0;
};

// Appends `value` big-endian.
void put_u8(std::string& out, std::uint8_t value);
void put_u64(std::string& out, std::uint64_t value);

}  // namespace mapengine::pg
