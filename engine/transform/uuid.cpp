#include "engine/transform/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "engine/common/error.h"

namespace mapengine {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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

}  // namespace

std::optional<UuidBytes> parse_uuid(std::string_view text) {
  const bool dashed = text.size() == 36;
  if (!dashed && text.size() != 32) return std::nullopt;
  UuidBytes bytes;
  size_t at = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (dashed && (at == 8 || at == 13 || at == 18 || at == 23)) {
      if (text[at] != '-') return std::nullopt;
      ++at;
    }
    const int high = hex_value(text[at]), low = hex_value(text[at + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<uint8_t>(high << 4 | low);
    at += 2;
  }
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
