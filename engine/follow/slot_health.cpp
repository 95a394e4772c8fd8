#include "engine/follow/slot_health.h"

#include <algorithm>
#include <string_view>

namespace mapengine::follow {
namespace {

constexpr std::string_view kSlotColumns =
    "SELECT slot_name, active, COALESCE(active_pid::text, ''), "
    "COALESCE((pg_current_wal_lsn() - restart_lsn)::bigint, 0)::text, "
    "COALESCE(wal_status, ''), COALESCE(confirmed_flush_lsn::text, '') "
    "FROM pg_replication_slots WHERE database = current_database() ";

std::vector<SlotHealth> read_slots(const pg::Result& rows) {
  std::vector<SlotHealth> slots;
  for (int r = 0; r < rows.rows(); ++r) {
    SlotHealth s;
    s.slot = rows.value(r, 0);
    s.active = rows.value(r, 1) == "t";
    s.active_pid = rows.value(r, 2);
    s.retained_bytes = std::max(0LL, std::stoll(std::string(rows.value(r, 3))));
    s.wal_status = rows.value(r, 4);
    s.confirmed = pg::Lsn::parse(rows.value(r, 5)).value_or(pg::Lsn{});
    slots.push_back(std::move(s));
  }
  return slots;
}

}  // namespace

std::optional<SlotHealth> slot_health(pg::Connection& source, const std::string& slot) {
  std::vector<SlotHealth> slots =
      read_slots(source.exec(std::string(kSlotColumns) + "AND slot_name = $1", {slot}));
  if (slots.empty()) return std::nullopt;
  return slots.front();
}

std::vector<SlotHealth> mapengine_slots(pg::Connection& source) {
  return read_slots(source.exec(std::string(kSlotColumns) +
                                "AND slot_name LIKE 'mapengine\\_%' ORDER BY slot_name"));
}

std::string setup_name_of(const std::string& slot) {
  constexpr std::string_view kPrefix = "mapengine_";
  return slot.rfind(kPrefix, 0) == 0 ? slot.substr(kPrefix.size()) : slot;
}

}  // namespace mapengine::follow
