// UUIDs for generated ids (RFC 4122 / 9562): random version 4 and name-based version 5 (SHA-1).
// Text form is lower-case 8-4-4-4-12 hex, as PostgreSQL prints uuid values.
//
// Deterministic ids: `generate: uuid_v5` and the uuid_v5 transform use the name
// "<schema.table>:<legacy key text>" in the mapping's namespace (kMapengineNamespace unless the
// mapping sets one), so the same legacy row always gets the same id, run after run.
//
// Thread-safety: all functions and UuidV5Generator::make may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mapengine {

// mapengine's default namespace for version 5 ids; fixed forever (changing it changes every
// generated id). It is uuid5(NAMESPACE_URL, "urn:mapengine:namespace").
inline constexpr std::string_view kMapengineNamespace = "ec751e7e-419a-5ea5-beb3-c7a5b235de58";

using UuidBytes = std::array<uint8_t, 16>;
using UuidText = std::array<char, 36>;  // the text form, without allocation

// A random version 4 UUID from OpenSSL's CSPRNG. Throws Error(kInternal) if it fails.
std::string uuid_v4();
// uuid_v4() into a fixed buffer, for callers that must not allocate.
UuidText uuid_v4_text();
// The version 5 UUID of `name` in `namespace_uuid`. Throws Error(kSpec) when namespace_uuid is
// not a UUID.
std::string uuid_v5(std::string_view namespace_uuid, std::string_view name);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case) or the 32 hex digits alone.
std::optional<UuidBytes> parse_uuid(std::string_view text);
std::string format_uuid(const UuidBytes& bytes);

// Version 5 ids in one namespace, parsed once: for the per-row path.
class UuidV5Generator {
 public:
  // REQUIRES: namespace_uuid parses (throws Error(kSpec) otherwise).
  explicit UuidV5Generator(std::string_view namespace_uuid);
  // uuid_v5(namespace, "<table>:<legacy_key>") without building the name.
  std::string make(std::string_view table, std::string_view legacy_key) const;
  std::string make(std::string_view name) const;
  // make(table, legacy_key) into a fixed buffer, for callers that must not allocate.
  UuidText make_text(std::string_view table, std::string_view legacy_key) const;

 private:
  UuidBytes namespace_;
};

}  // namespace mapengine
