// SlotHealth: what the legacy server says about a replication slot mapengine created: whether a
// follower reads it, and how much WAL it keeps the server from recycling (from its restart_lsn
// to the server's current WAL position). A slot nobody reads retains WAL until the legacy
// server's disk fills, so `status` and `sync` warn about one, and `sync --drop` removes it.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/pg/lsn.h"

namespace mapengine::follow {

struct SlotHealth {
  std::string slot;
  bool active = false;           // a walsender (a running follower) reads it
  std::string active_pid;        // that server process, when active
  long long retained_bytes = 0;  // WAL the slot keeps: pg_current_wal_lsn() - restart_lsn
  std::string wal_status;        // reserved, extended, unreserved or lost (invalidated)
  pg::Lsn confirmed;             // the slot's confirmed_flush_lsn

  // Nobody reads it, yet it keeps WAL: the abandoned-slot risk.
  bool retains_unread() const { return !active && retained_bytes > 0; }
};

// The slot named `slot` in the source's database; nullopt when there is none.
std::optional<SlotHealth> slot_health(pg::Connection& source, const std::string& slot);
// The slots of the source's database whose names mapengine uses (mapengine_<name>).
std::vector<SlotHealth> mapengine_slots(pg::Connection& source);

// The setup name of slot `mapengine_<name>`, for `sync --drop --name <name>`.
std::string setup_name_of(const std::string& slot);

}  // namespace mapengine::follow
