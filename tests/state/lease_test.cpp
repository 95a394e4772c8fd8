#include <catch2/catch.hpp>

#include "engine/state/lease.h"
#include "engine/state/run_store.h"

using mapengine::state::decide_lease;
using mapengine::state::LeaseDecision;

namespace {

bool never_dead(const std::string&) { return false; }
bool always_dead(const std::string&) { return true; }

}  // namespace

TEST_CASE("lease decision table: who may take a mapping's lease", "[state][lease]") {
  const std::string me = "here:10:7:b.n.1";
  const std::string other = "there:20:6:b.n.2";
  struct Case {
    const char* what;
    std::string holder;
    bool unexpired;
    bool (*is_dead)(const std::string&);
    LeaseDecision expected;
  };
  const Case cases[] = {
      {"nobody holds it", "", false, never_dead, LeaseDecision::kTake},
      {"nobody holds it (expiry left behind)", "", true, never_dead, LeaseDecision::kTake},
      {"this owner holds it", me, true, never_dead, LeaseDecision::kTake},
      {"this owner's lease expired", me, false, never_dead, LeaseDecision::kTake},
      {"another live owner holds it", other, true, never_dead, LeaseDecision::kRefuse},
      {"another owner's lease expired", other, false, never_dead, LeaseDecision::kTakeOver},
      {"another owner is dead", other, true, always_dead, LeaseDecision::kTakeOver},
      {"another owner is dead and expired", other, false, always_dead, LeaseDecision::kTakeOver},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK(decide_lease(c.holder, c.unexpired, me, c.is_dead) == c.expected);
  }
}

TEST_CASE("a lease held by a process of this host that has ended is taken over",
          "[state][lease]") {
  mapengine::state::RunIdentity me = mapengine::state::RunIdentity::of_this_process();
  // A pid that cannot be running (above the kernel's pid_max) in this boot and pid namespace.
  mapengine::state::RunIdentity gone = me;
  gone.pid = 1 << 23;
  CHECK(decide_lease(gone.owner(3), true, me.owner(4)) == LeaseDecision::kTakeOver);
  // This very process is alive: another run of it is refused, as any live holder.
  CHECK(decide_lease(me.owner(3), true, me.owner(4)) == LeaseDecision::kRefuse);
}

TEST_CASE("the lease's duration is written once: messages and SQL agree", "[state][lease]") {
  CHECK(mapengine::state::lease_duration_text() == "5 minutes");
  CHECK(mapengine::state::lease_expiry_sql() == "clock_timestamp() + interval '5 minutes'");
  CHECK(mapengine::state::describe_lease_owner("db1:42:7:b.n.9") == "host db1, pid 42, run 7");
}

TEST_CASE("lease renewal is due for exactly one caller per interval", "[state][lease]") {
  mapengine::state::LeaseRenewal renewal;
  CHECK(renewal.due());   // the first batch renews
  CHECK(!renewal.due());  // and nobody else until the interval has passed
  CHECK(!renewal.due());
}
