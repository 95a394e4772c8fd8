// ChunkDigest: an incremental SHA-256 over the normalised COPY text of a chunk's rows, one per
// side of the comparison. Equal digests mean the chunk's rows are byte-for-byte what the mapping
// produces, so the chunk needs no row-by-row look.
//
// Thread-safety: one owner.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace mapengine::validate {

class ChunkDigest {
 public:
  ChunkDigest();
  ChunkDigest(const ChunkDigest&) = delete;
  ChunkDigest& operator=(const ChunkDigest&) = delete;
  ~ChunkDigest();

  void update(std::string_view data);
  // The hex digest of everything since the last call (or construction); starts over.
  std::string finish();

 private:
  EVP_MD_CTX* context_;
};

}  // namespace mapengine::validate
