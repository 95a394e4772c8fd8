// BulkLoad: bulk mode for one run of one mapping (`target.bulk`, `apply --bulk`; see
// state/bulk_definitions.h): sets the table's foreign keys (and, with_indexes, its non-unique
// secondary indexes) aside before the key ranges load, and re-creates them when every range is
// loaded, or when the run stops (fails or is interrupted) while this process holds the lease, so
// that mapengine leaves the table as it found it. After a kill -9 the records stay and the next
// apply of the mapping (or `mapengine reset`) re-creates them.
//
// Thread-safety: one BulkLoad per mapping run, used by the thread that runs the mapping.
#pragma once

#include <string>

#include "engine/apply/apply_options.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine {

class BulkLoad {
 public:
  // The mode the mapping asks for, `--bulk` turning it on; nothing happens in a dry run.
  BulkLoad(const spec::MappingSpec& mapping, const ApplyOptions& options, bool rehearsal,
           long long run_id, std::string lease_owner);

  // Before the ranges load. REQUIRES: the lease is held, no open transaction. Throws what
  // state::set_aside_definitions throws (a table with rows, a role that does not own it).
  void begin(pg::Connection& target);
  // After every range is loaded, before the rejects are judged: re-creates the definitions
  // (rows a foreign key refuses become rejects) and says so in `message`; also those another
  // process set aside, when this one joined its run and finishes the mapping.
  void finish(pg::Connection& target, std::string& message);
  // On the way out of a stopped run: re-creates what is set aside, if the connection works and
  // this process still holds the lease; otherwise leaves the records for the next apply or a
  // reset (logged). Never throws.
  void abandon(pg::Connection& target) noexcept;

 private:
  const spec::MappingSpec& mapping_;
  spec::BulkMode mode_;
  long long run_id_;
  std::string lease_owner_;
  bool rehearsal_;
  bool active_ = false;
};

}  // namespace mapengine
