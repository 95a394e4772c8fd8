// RunStore: the records of runs (mapengine.runs) and of each mapping within a run
// (mapengine.run_mappings). Who ran what, when, with which files and checksums, and how it ended.
//
// Thread-safety: functions use only the connection they are given.
#pragma once

#include <string>

#include "engine/common/row_counts.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::state {

struct RunIdentity {
  std::string user;
  std::string host;
  int pid = 0;
  // Where `pid` means something, and which process it was: "<boot>.<pid namespace>.<start
  // time>" (the kernel's boot id, the inode of /proc/self/ns/pid, the process's start time in
  // clock ticks since boot). Containers share host names and pid numbers; these they do not.
  std::string instance;
  // "host:pid:run_id:instance": identifies this process as a lease owner.
  std::string owner(long long run_id) const;
  static RunIdentity of_this_process();
};

// Whether the lease owner `owner` is a process that has certainly ended: one of this host's
// processes in this boot and pid namespace whose pid is gone or now belongs to a process started
// at another time. An owner elsewhere (another host, container or boot) or in the older
// "host:pid:run" form is never judged dead here: its lease expires by itself.
bool owner_is_dead(const std::string& owner);

// Records a new run; returns its id. `options_json` describes the flags (no secrets).
long long begin_run(pg::Connection& target, const std::string& command,
                    const RunIdentity& who, const std::string& options_json,
                    const std::string& snapshot);
// Ends a run: status is succeeded, failed or interrupted; message is a one-line summary.
void finish_run(pg::Connection& target, long long run_id, const std::string& status,
                const std::string& message);

void begin_run_mapping(pg::Connection& target, long long run_id, const spec::MappingSpec& mapping);

void finish_run_mapping(pg::Connection& target, long long run_id, const std::string& mapping,
                        const std::string& status, const RowCounts& counts, double seconds,
                        const std::string& message);

}  // namespace mapengine::state
