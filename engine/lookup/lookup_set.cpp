#include "engine/lookup/lookup_set.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/common/log.h"

namespace mapengine {

LookupSet load_lookups(pg::Connection& target, const std::vector<LookupTarget>& targets,
                       long long budget_bytes, const std::string& mapping) {
  struct Measured {
    const LookupTarget* where;
    LookupSize size;
  };
  std::vector<Measured> measured;
  for (const auto& where : targets) {
    bool seen = std::any_of(measured.begin(), measured.end(), [&](const Measured& m) {
      return m.where->select_sql() == where.select_sql();
    });
    if (!seen) measured.push_back({&where, estimate_lookup_size(target, where)});
  }
  std::stable_sort(measured.begin(), measured.end(), [](const Measured& a, const Measured& b) {
    return a.size.bytes < b.size.bytes;
  });

  LookupSet set;
  long long used = 0;
  for (const auto& [where, size] : measured) {
    std::string key = where->select_sql();
    if (used + size.bytes <= budget_bytes) {
      used += size.bytes;
      LookupTable table = LookupTable::load(target, *where);
      log_event(spdlog::level::debug, "lookup_loaded",
                fmt::format("{}: lookup {} loaded ({} entries)", mapping, where->describe(),
                            table.size()),
                {{"table", mapping},
                 {"lookup", where->describe()},
                 {"entries", table.size()},
                 {"estimated_bytes", size.bytes}});
      set.tables.emplace(std::move(key), std::move(table));
    } else {
      log_event(spdlog::level::info, "lookup_batched",
                fmt::format("{}: lookup {} ({} entries, about {} MiB) exceeds the lookup memory "
                            "budget; it is queried per batch",
                            mapping, where->describe(), size.entries,
                            (size.bytes + (1 << 20) - 1) >> 20),
                {{"table", mapping},
                 {"lookup", where->describe()},
                 {"entries", size.entries},
                 {"estimated_bytes", size.bytes},
                 {"budget_bytes", budget_bytes - used}});
      set.batched.emplace(std::move(key), BatchedLookup::prepare(target, *where));
    }
  }
  return set;
}

}  // namespace mapengine
