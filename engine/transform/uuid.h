// UUIDs for generated ids (RFC 4122 / 9562): random version 4, name-based version 5 (SHA-1) and
// time-ordered version 7. Text form is lower-case 8-4-4-4-12 hex, as PostgreSQL prints uuid values.
//
// Deterministic ids: `generate: uuid_v5` and the uuid_v5 transform use the name
// "<schema.table>:<legacy key text>" in the mapping's namespace (kMapengineNamespace unless the
// mapping sets one), so the same legacy row always gets the same id, run after run.
//
// Time-ordered ids (RFC 9562 section 5.7, `generate: uuid_v7`): 48 bits of unix milliseconds
// (big-endian), version 7, 12 bits rand_a, variant 0b10, 62 bits rand_b from OpenSSL's CSPRNG.
// A counter (the RFC's method 1) makes ids of one time sort in the order they were made: rand_a
// for load-time ids, rand_a and rand_b's top 18 bits for a row's own time. Uniqueness across
// threads and processes rests on the random bits (62 and 44) and the counters' random starts.
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

// The largest unix millisecond a version 7 id holds (48 bits: the year 10889).
inline constexpr int64_t kUuidV7MaxMillis = (int64_t{1} << 48) - 1;

// A version 7 id of the current time. Strictly increasing across every thread of the process:
// when the clock stands still or steps back, the counter (and past it, the time field) moves on.
UuidText uuid_v7_now_text();
// A version 7 id holding `unix_millis` (a legacy row's own time). Consecutive calls on one
// thread with the same time count up in a 30-bit counter, so at least 2^29 of them sort in call
// order.
// REQUIRES: 0 <= unix_millis <= kUuidV7MaxMillis.
UuidText uuid_v7_at_text(int64_t unix_millis);
// The id of a timestamp text (COPY's form of date, timestamp, timestamptz; ISO 8601). A time
// without an offset is taken as UTC. nullopt, with `why`, when the text is no timestamp or is
// outside 1970-01-01 .. 10889.
std::optional<UuidText> uuid_v7_of_time_text(std::string_view text, std::string& why);
// The RFC's layout from its fields (for tests and the generators above): rand_a's low 12 bits,
// rand_b's low 62 bits are used.
UuidBytes uuid_v7_layout(int64_t unix_millis, uint16_t rand_a, uint64_t rand_b);
// The unix milliseconds of a version 7 id; nullopt for another version or variant.
std::optional<int64_t> uuid_v7_millis(const UuidBytes& bytes);

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
