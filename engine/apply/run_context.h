// RunContext: what every mapping of one apply run shares: the run's id and lease owner, the
// interrupt flag, the source snapshot, and in a dry run the rehearsal's one connection.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "engine/pg/connection.h"

namespace mapengine {

// A dry run's rehearsal (see applier.h): every statement on the target goes through one
// connection, held in a transaction that is rolled back at the end, so that a mapping's lookups
// see the rows of the mappings rehearsed before it and the server checks every row.
struct Rehearsal {
  pg::Connection* target = nullptr;  // held (pg::Connection::hold_transaction())
  std::mutex mutex;                  // a range's reader and writer threads share `target`
  std::set<std::string> cut_short;   // mappings whose --sample left source rows out
};

struct RunContext {
  long long run_id = 0;
  std::string owner;                             // lease owner "host:pid:run"
  const std::atomic<bool>* interrupted = nullptr;  // set by SIGINT/SIGTERM
  std::string snapshot;                          // exported source snapshot (--consistent)
  Rehearsal* rehearsal = nullptr;                // dry runs only; mappings run one at a time
  // Mappings --restart reset (they were recorded on this target): rows left in their tables
  // are not theirs, so they start although their tables hold rows.
  std::set<std::string> reset_for_restart;
};

}  // namespace mapengine
