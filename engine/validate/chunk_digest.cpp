#include "engine/validate/chunk_digest.h"

#include "engine/common/error.h"

namespace mapengine::validate {

ChunkDigest::ChunkDigest() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
    throw Error::internal("OpenSSL: cannot start a SHA-256 digest");
  }
}

ChunkDigest::~ChunkDigest() { EVP_MD_CTX_free(context_); }

void ChunkDigest::update(std::string_view data) {
  if (EVP_DigestUpdate(context_, data.data(), data.size()) != 1) {
    throw Error::internal("OpenSSL: SHA-256 update failed");
  }
}

std::string ChunkDigest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, out, &length) != 1 ||
      EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
    throw Error::internal("OpenSSL: SHA-256 final failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(length * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[out[i] >> 4];
    hex[2 * i + 1] = kHex[out[i] & 0xf];
  }
  return hex;
}

}  // namespace mapengine::validate
