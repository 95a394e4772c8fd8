#include "engine/pg/lsn.h"

#include <fmt/format.h>

#include <charconv>

namespace mapengine::pg {

std::string Lsn::to_string() const {
  return fmt::format("{:X}/{:X}", value >> 32, value & 0xFFFFFFFFu);
}

std::optional<Lsn> Lsn::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
  auto half = [](std::string_view digits) -> std::optional<std::uint32_t> {
    if (digits.size() > 8) return std::nullopt;
    std::uint32_t out = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out, 16);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return out;
  };
  auto high = half(text.substr(0, slash));
  auto low = half(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return Lsn{(static_cast<std::uint64_t>(*high) << 32) | *low};
}

}  // namespace mapengine::pg
