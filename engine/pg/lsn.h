// Lsn: a position in the server's write-ahead log (XLogRecPtr), as logical replication reports
// and acknowledges it. Written by the server as two hexadecimal halves, "16/B374D848".
//
// Thread-safety: a plain value.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mapengine::pg {

struct Lsn {
  std::uint64_t value = 0;

  // "16/B374D848"; "0/0" for the invalid position.
  std::string to_string() const;
  // Reads the server's text form; nullopt for anything else.
  static std::optional<Lsn> parse(std::string_view text);

  bool valid() const { return value != 0; }
  auto operator<=>(const Lsn&) const = default;
};

}  // namespace mapengine::pg
