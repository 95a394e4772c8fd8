#include "engine/lookup/pair_arena.h"

#include <algorithm>

namespace mapengine {
namespace {

// Blocks start small (a per-batch table holds a few hundred pairs) and double up to 1 MiB; a
// pair larger than that gets a block of its own. The unused tail of the last block is never
// written, so the kernel does not back it with memory.
constexpr size_t kFirstBlock = 4 << 10;
constexpr size_t kLargestBlock = 1 << 20;

}  // namespace

PairArena::Pair PairArena::add(std::string_view key, std::string_view id) {
  const auto key_size = static_cast<uint32_t>(key.size());
  const auto id_size = static_cast<uint32_t>(id.size());
  char* at = reserve(kHeader + key.size() + id.size());
  std::memcpy(at, &key_size, sizeof key_size);
  std::memcpy(at + sizeof key_size, &id_size, sizeof id_size);
  if (!key.empty()) std::memcpy(at + kHeader, key.data(), key.size());
  if (!id.empty()) std::memcpy(at + kHeader + key.size(), id.data(), id.size());
  return Pair(at);
}

void PairArena::clear() {
  current_ = 0;
  used_ = 0;
}

char* PairArena::reserve(size_t bytes) {
  if (!blocks_.empty() && blocks_[current_].size - used_ >= bytes) {
    char* at = blocks_[current_].data.get() + used_;
    used_ += bytes;
    return at;
  }
  // The first block, or the next one: reuse a block kept by clear() when the pair fits in it.
  size_t next = blocks_.empty() || (current_ == 0 && used_ == 0) ? 0 : current_ + 1;
  if (next >= blocks_.size() || blocks_[next].size < bytes) {
    size_t size = blocks_.empty() ? kFirstBlock : std::min(blocks_.back().size * 2, kLargestBlock);
    size = std::max(size, bytes);
    Block block{std::make_unique_for_overwrite<char[]>(size), size};
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(next), std::move(block));
  }
  current_ = next;
  used_ = bytes;
  return blocks_[current_].data.get();
}

}  // namespace mapengine
