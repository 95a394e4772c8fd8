// Lookup probe cost: nanoseconds per find() of LookupTable next to the node-based
// std::unordered_map<std::string, std::string> it replaced, both filled with the same pairs in
// the same run, so the ratio stays meaningful on any machine.
//
//   build/bench/lookup_bench [probes]       default 4,000,000 probes per case
//
// Keys are legacy ids as text ("4711"), ids are 36-character UUID texts, as in bench/run.sh
// (1,000 clinics, 50,000 profiles); a fourth case has 50,000 text keys ("user-a3f9c2e1...").
// Probes are views into one contiguous buffer (as values arrive from COPY) and visit the keys
// in a scattered order, g -> (g * 104729) % n + 1; one probe in 16 misses. Each measurement is
// the best of three runs, in CPU time of the benchmark thread. It also prints the cost of filling
// each (ns and allocated bytes per pair: compare with estimate_lookup_size in batched_lookup.cpp).
#include <fmt/format.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/lookup/lookup_table.h"

namespace {

// The lookup map as it was: one heap node per pair, a transparent hash for string_view probes.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using NodeMap = std::unordered_map<std::string, std::string, TextHash, std::equal_to<>>;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Seconds for the best of three runs of `body`.
double best_of_three(const std::function<void()>& body) {
  double best = 1e300;
  for (int run = 0; run < 3; ++run) {
    const double start = thread_cpu_seconds();
    body();
    best = std::min(best, thread_cpu_seconds() - start);
  }
  return best;
}

std::string uuid_text(std::mt19937_64& random) {
  uint64_t high = random(), low = random();
  return fmt::format("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xfff, low >> 52, low & 0xffffffffffffULL);
}

// Bytes the allocator has handed out and not taken back (heap and mmap'd chunks).
size_t allocated_bytes() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

struct Case {
  std::string name;
  size_t keys;
  bool text;
};

}  // namespace

int main(int argc, char** argv) {
  const size_t probes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 4000000;
  const std::vector<Case> cases = {{"1,000 integer keys", 1000, false},
                                   {"50,000 integer keys", 50000, false},
                                   {"1,000,000 integer keys", 1000000, false},
                                   {"50,000 text keys", 50000, true}};
  std::mt19937_64 random(4711);

  fmt::print("lookup probes: ns per probe over {} probes (thread CPU time, best of 3)\n", probes);
  fmt::print("{:<24} {:>23} {:>6} {:>17} {:>17} {:>6}\n", "", "ns per probe", "",
             "ns per load pair", "bytes per pair", "");
  fmt::print("{:<24} {:>11} {:>11} {:>6} {:>8} {:>8} {:>8} {:>8} {:>6}\n", "case", "map", "table",
             "ratio", "map", "table", "map", "table", "form");
  for (const Case& c : cases) {
    auto key_of = [&](size_t k) {  // k in 1..keys (present) or keys+1.. (missing)
      return c.text ? fmt::format("user-{:016x}", k * 0x9e3779b97f4a7c15ULL) : std::to_string(k);
    };
    std::vector<std::string> keys, ids;
    for (size_t k = 1; k <= c.keys; ++k) {
      keys.push_back(key_of(k));
      ids.push_back(uuid_text(random));
    }

    std::string buffer;  // the probes, back to back, like a COPY batch
    std::vector<std::pair<size_t, size_t>> spans;
    for (size_t g = 0; g < probes; ++g) {
      size_t k = (g * 104729) % c.keys + 1;
      std::string text = g % 16 == 15 ? key_of(c.keys + k) : key_of(k);
      spans.emplace_back(buffer.size(), text.size());
      buffer += text;
    }
    std::vector<std::string_view> probe_views;
    for (const auto& [at, size] : spans) probe_views.emplace_back(buffer.data() + at, size);

    NodeMap map;
    size_t map_memory = 0, table_memory = 0;
    const double map_load = best_of_three([&] {
      map = NodeMap();
      size_t before = allocated_bytes();
      for (size_t i = 0; i < keys.size(); ++i) map.emplace(keys[i], ids[i]);
      map_memory = allocated_bytes() - before;
    });
    mapengine::LookupTable table;
    const double table_load = best_of_three([&] {
      table = mapengine::LookupTable();
      size_t before = allocated_bytes();
      for (size_t i = 0; i < keys.size(); ++i) table.insert(keys[i], ids[i]);
      table.freeze();
      table_memory = allocated_bytes() - before;
    });

    size_t map_hits = 0, table_hits = 0, map_bytes = 0, table_bytes = 0;
    const double map_seconds = best_of_three([&] {
      map_hits = map_bytes = 0;
      for (std::string_view probe : probe_views) {
        auto it = map.find(probe);
        if (it != map.end()) {
          ++map_hits;
          map_bytes += static_cast<unsigned char>(it->second[0]);
        }
      }
    });
    const double table_seconds = best_of_three([&] {
      table_hits = table_bytes = 0;
      for (std::string_view probe : probe_views) {
        if (auto id = table.find(probe)) {
          ++table_hits;
          table_bytes += static_cast<unsigned char>((*id)[0]);
        }
      }
    });
    if (map_hits != table_hits || map_bytes != table_bytes) {
      fmt::print(stderr, "{}: the table and the map disagree\n", c.name);
      return 1;
    }
    const double n = static_cast<double>(probes);
    const double entries = static_cast<double>(keys.size());
    fmt::print("{:<24} {:>11.1f} {:>11.1f} {:>5.1f}x {:>8.0f} {:>8.0f} {:>8.0f} {:>8.0f} {:>6}\n",
               c.name, map_seconds * 1e9 / n, table_seconds * 1e9 / n, map_seconds / table_seconds,
               map_load * 1e9 / entries, table_load * 1e9 / entries,
               static_cast<double>(map_memory) / entries,
               static_cast<double>(table_memory) / entries, table.dense() ? "dense" : "hashed");
  }
  fmt::print(
      "map = std::unordered_map, table = LookupTable, ratio = map time / table time;\n"
      "bytes per pair = allocated while filling (allocated, not necessarily resident)\n");
  return 0;
}
