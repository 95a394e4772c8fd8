#include "engine/transform/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "engine/common/error.h"
#include "engine/transform/civil_time.h"

namespace mapengine {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Each byte's value as a hex digit, or -1 (a table: parse_uuid runs for every id a batch sends).
constexpr std::array<int8_t, 256> kHexValues = [] {
  std::array<int8_t, 256> values{};
  for (auto& v : values) v = -1;
  for (int c = 0; c < 10; ++c) values['0' + c] = static_cast<int8_t>(c);
  for (int c = 0; c < 6; ++c) {
    values['a' + c] = static_cast<int8_t>(10 + c);
    values['A' + c] = static_cast<int8_t>(10 + c);
  }
  return values;
}();

int hex_value(char c) { return kHexValues[static_cast<unsigned char>(c)]; }

void set_version(UuidBytes& bytes, uint8_t version) {
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | (version << 4));
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
}

// OpenSSL's RAND_bytes checks the process id and takes a lock on every call: with one random id
// per row, that was a quarter of a random-id mapping's client time. Each thread draws 4 KiB from
// the same CSPRNG at once instead. A forked child must never hand out its parent's bytes, so a
// fork (counted by an atfork handler) empties every pool.
std::atomic<unsigned> fork_generation{0};

struct RandomPool {
  std::array<uint8_t, 4096> bytes{};
  size_t used = bytes.size();
  unsigned generation = 0;
};

void random_bytes(uint8_t* out, size_t size) {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); });
    return true;
  }();
  (void)registered;
  thread_local RandomPool pool;
  unsigned generation = fork_generation.load(std::memory_order_relaxed);
  if (pool.used + size > pool.bytes.size() || pool.generation != generation) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) {
      throw Error::internal("OpenSSL could not produce random bytes for a UUID");
    }
    pool.used = 0;
    pool.generation = generation;
  }
  std::memcpy(out, pool.bytes.data() + pool.used, size);
  std::memset(pool.bytes.data() + pool.used, 0, size);  // handed out once only
  pool.used += size;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// SHA-1 of the parts, concatenated; one reusable digest context per thread.
std::array<uint8_t, 20> sha1(std::initializer_list<std::string_view> parts) {
  static EVP_MD* const kSha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
  std::array<uint8_t, 20> digest{};
  unsigned int length = 0;
  bool ok = kSha1 != nullptr && context && EVP_DigestInit_ex(context.get(), kSha1, nullptr) == 1;
  for (std::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(context.get(), digest.data(), &length) == 1 && length == 20;
  if (!ok) throw Error::internal("OpenSSL SHA-1 failed");
  return digest;
}

void write_uuid(const UuidBytes& bytes, char* out) {
  size_t at = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) out[at++] = '-';
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0x0F];
  }
}

UuidBytes v5(const UuidBytes& space, std::initializer_list<std::string_view> name_parts) {
  const std::string_view space_bytes(reinterpret_cast<const char*>(space.data()), space.size());
  std::string_view parts[4];
  size_t n = 0;
  parts[n++] = space_bytes;
  for (std::string_view part : name_parts) parts[n++] = part;
  std::array<uint8_t, 20> digest =
      n == 2 ? sha1({parts[0], parts[1]}) : sha1({parts[0], parts[1], parts[2], parts[3]});
  UuidBytes bytes;
  std::copy_n(digest.begin(), 16, bytes.begin());
  set_version(bytes, 5);
  return bytes;
}

UuidBytes parse_namespace(std::string_view text) {
  auto bytes = parse_uuid(text);
  if (!bytes) {
    throw Error(ErrorKind::kSpec, "'" + std::string(text) + "' is not a UUID namespace");
  }
  return *bytes;
}

UuidText text_of(const UuidBytes& bytes) {
  UuidText text;
  write_uuid(bytes, text.data());
  return text;
}

uint64_t load_big_endian(const uint8_t* bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value = value << 8 | bytes[i];
  return value;
}

// The start of a millisecond's counter: 11 random bits, the 12th left clear so that at least
// 2,048 ids of one millisecond count up before the counter rolls over.
uint16_t counter_start(const uint8_t* two_random_bytes) {
  return static_cast<uint16_t>(load_big_endian(two_random_bytes, 2) & 0x7FF);
}

// The last id of uuid_v7_now_text() in the process: unix milliseconds << 12 | counter.
std::atomic<uint64_t> last_now_v7{0};

}  // namespace

UuidBytes uuid_v7_layout(int64_t unix_millis, uint16_t rand_a, uint64_t rand_b) {
  UuidBytes bytes;
  const auto millis = static_cast<uint64_t>(unix_millis);
  for (size_t i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(millis >> (40 - 8 * i));
  bytes[6] = static_cast<uint8_t>(0x70 | ((rand_a >> 8) & 0x0F));
  bytes[7] = static_cast<uint8_t>(rand_a);
  for (size_t i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(rand_b >> (56 - 8 * i));
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  return bytes;
}

std::optional<int64_t> uuid_v7_millis(const UuidBytes& bytes) {
  if ((bytes[6] >> 4) != 7 || (bytes[8] & 0xC0) != 0x80) return std::nullopt;
  return static_cast<int64_t>(load_big_endian(bytes.data(), 6));
}

UuidText uuid_v7_now_text() {
  std::array<uint8_t, 10> random;
  random_bytes(random.data(), random.size());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const uint64_t fresh = static_cast<uint64_t>(now) << 12 | counter_start(random.data() + 8);
  uint64_t last = last_now_v7.load(std::memory_order_relaxed);
  uint64_t next = 0;
  do {
    // A new millisecond starts its counter afresh; otherwise count on from the last id (into
    // the time field when the counter is full), so that ids never go back.
    next = (fresh >> 12) > (last >> 12) ? fresh : last + 1;
  } while (!last_now_v7.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return text_of(uuid_v7_layout(static_cast<int64_t>(next >> 12),
                                static_cast<uint16_t>(next & 0xFFF),
                                load_big_endian(random.data(), 8)));
}

UuidText uuid_v7_at_text(int64_t unix_millis) {
  // Many legacy rows share one time (a column of whole seconds, a batch import), so the counter
  // of these ids is 30 bits, the RFC's method 1 at more than rand_a's 12: rand_a and the top 18
  // bits of rand_b, leaving 44 random bits. It starts at 29 random bits, so at least 2^29 ids of
  // one time count up before it is full; a full counter starts afresh.
  constexpr uint32_t kFull = (uint32_t{1} << 30) - 1;
  struct LastTime {
    int64_t millis = -1;
    uint32_t counter = 0;
  };
  thread_local LastTime last;
  std::array<uint8_t, 12> random;
  random_bytes(random.data(), random.size());
  if (unix_millis == last.millis && last.counter < kFull) {
    ++last.counter;
  } else {
    last.millis = unix_millis;
    last.counter = static_cast<uint32_t>(load_big_endian(random.data() + 8, 4) & 0x1FFFFFFF);
  }
  const uint64_t rand_b = static_cast<uint64_t>(last.counter & 0x3FFFF) << 44 |
                          (load_big_endian(random.data(), 8) & ((uint64_t{1} << 44) - 1));
  return text_of(
      uuid_v7_layout(unix_millis, static_cast<uint16_t>(last.counter >> 18), rand_b));
}

std::optional<UuidText> uuid_v7_of_time_text(std::string_view text, std::string& why) {
  std::optional<ParsedTime> parsed = parse_timestamp_text(text, why);
  if (!parsed) return std::nullopt;
  auto micros = parsed->local.time_since_epoch();
  if (parsed->offset) micros -= *parsed->offset;
  const int64_t millis = std::chrono::floor<std::chrono::milliseconds>(micros).count();
  if (millis < 0 || millis > kUuidV7MaxMillis) {
    why = "a version 7 UUID holds times from 1970-01-01 00:00 UTC on";
    return std::nullopt;
  }
  return uuid_v7_at_text(millis);
}

std::optional<UuidBytes> parse_uuid(std::string_view text) {
  // Where each byte's two digits start in the dashed form.
  static constexpr uint8_t kDashedAt[16] = {0,  2,  4,  6,  9,  11, 14, 16,
                                            19, 21, 24, 26, 28, 30, 32, 34};
  const bool dashed = text.size() == 36;
  if (dashed) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') {
      return std::nullopt;
    }
  } else if (text.size() != 32) {
    return std::nullopt;
  }
  UuidBytes bytes;
  int invalid = 0;  // negative once any digit was not hex
  for (size_t i = 0; i < 16; ++i) {
    const size_t at = dashed ? kDashedAt[i] : 2 * i;
    const int high = hex_value(text[at]), low = hex_value(text[at + 1]);
    invalid |= high | low;
    bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  if (invalid < 0) return std::nullopt;
  return bytes;
}

std::string format_uuid(const UuidBytes& bytes) {
  std::string out(36, '-');
  write_uuid(bytes, out.data());
  return out;
}

std::string uuid_v4() {
  UuidText text = uuid_v4_text();
  return std::string(text.data(), text.size());
}

UuidText uuid_v4_text() {
  UuidBytes bytes;
  random_bytes(bytes.data(), bytes.size());
  set_version(bytes, 4);
  UuidText text;
  write_uuid(bytes, text.data());
  return text;
}

std::string uuid_v5(std::string_view namespace_uuid, std::string_view name) {
  return format_uuid(v5(parse_namespace(namespace_uuid), {name}));
}

UuidV5Generator::UuidV5Generator(std::string_view namespace_uuid)
    : namespace_(parse_namespace(namespace_uuid)) {}

std::string UuidV5Generator::make(std::string_view table, std::string_view legacy_key) const {
  return format_uuid(v5(namespace_, {table, ":", legacy_key}));
}

std::string UuidV5Generator::make(std::string_view name) const {
  return format_uuid(v5(namespace_, {name}));
}

UuidText UuidV5Generator::make_text(std::string_view table, std::string_view legacy_key) const {
  UuidText text;
  write_uuid(v5(namespace_, {table, ":", legacy_key}), text.data());
  return text;
}

}  // namespace mapengine
