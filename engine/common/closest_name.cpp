#include "engine/common/closest_name.h"

#include <algorithm>
#include <limits>

namespace mapengine {
namespace {

// Longer words are not typos; skipping them keeps the quadratic distance cheap.
constexpr size_t kMaxWord = 256;

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool same(char a, char b) { return lower_ascii(a) == lower_ascii(b); }

size_t alignment_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitute = previous[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), same);
}

}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string_view>& candidates) {
  if (word.empty() || word.size() > kMaxWord) return {};
  const size_t threshold = std::max<size_t>(1, std::min<size_t>(3, (word.size() + 1) / 3));
  std::string_view best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (std::string_view candidate : candidates) {
    if (candidate == word || candidate.size() > kMaxWord) continue;
    size_t distance = alignment_distance(word, candidate);
    if (distance > threshold) {
      const bool prefix = std::min(word.size(), candidate.size()) >= 3 &&
                          (starts_with(candidate, word) || starts_with(word, candidate));
      if (!prefix) continue;
      distance = threshold;
    }
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return std::string(best);
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  return closest_name(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

}  // namespace mapengine
