// PairArena: stores (key, id) text pairs back to back in a few large blocks, so a lookup table of
// a million pairs makes a few dozen allocations instead of two million. A stored pair never
// moves: its handle stays valid until clear() or the arena's destruction, also when the arena
// itself is moved.
//
// Thread-safety: none for add() and clear(); reading stored pairs is safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace mapengine {

class PairArena {
 public:
  // A handle to one stored pair, laid out as [uint32 key size][uint32 id size][key][id].
  class Pair {
   public:
    Pair() = default;
    std::string_view key() const { return {at_ + kHeader, size_at(0)}; }
    std::string_view id() const { return {at_ + kHeader + size_at(0), size_at(sizeof(uint32_t))}; }
    bool empty() const { return at_ == nullptr; }

   private:
    friend class PairArena;
    explicit Pair(const char* at) : at_(at) {}
    uint32_t size_at(size_t offset) const {
      uint32_t size;
      std::memcpy(&size, at_ + offset, sizeof size);
      return size;
    }
    const char* at_ = nullptr;
  };

  // Bytes each pair costs besides its key and id.
  static constexpr size_t kHeader = 2 * sizeof(uint32_t);

  // Copies `key` and `id` in. REQUIRES: each is shorter than 4 GiB (PostgreSQL text is < 1 GiB).
  Pair add(std::string_view key, std::string_view id);

  // Forgets every pair (their handles dangle) and keeps the blocks for the next pairs.
  void clear();

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  char* reserve(size_t bytes);

  std::vector<Block> blocks_;
  size_t current_ = 0;  // the block being filled; blocks after it are free for reuse
  size_t used_ = 0;     // bytes used in blocks_[current_]
};

}  // namespace mapengine
