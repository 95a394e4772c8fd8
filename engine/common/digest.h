// Cryptographic digests (OpenSSL EVP) as lowercase hex.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace mapengine {

std::string sha256_hex(std::string_view data);
std::string md5_hex(std::string_view data);

}  // namespace mapengine
