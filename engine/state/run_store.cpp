#include "engine/state/run_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

namespace mapengine::state {

std::string RunIdentity::owner(long long run_id) const {
  return fmt::format("{}:{}:{}", host, pid, run_id);
}

RunIdentity RunIdentity::of_this_process() {
  RunIdentity who;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) who.host = host;
  const char* user = std::getenv("USER");
  if (user == nullptr) user = std::getenv("LOGNAME");
  who.user = user ? user : std::to_string(getuid());
  who.pid = static_cast<int>(getpid());
  return who;
}

long long begin_run(pg::Connection& target, const std::string& command, const RunIdentity& who,
                    const std::string& options_json, const std::string& snapshot) {
  pg::Result result = target.exec(
      "INSERT INTO mapengine.runs (command, user_name, host, pid, mapengine_version, options, "
      "snapshot) VALUES ($1, $2, $3, $4, $5, $6::jsonb, NULLIF($7, '')) RETURNING run_id",
      {command, who.user, who.host, std::to_string(who.pid), std::string(MAPENGINE_VERSION),
       options_json, snapshot});
  return std::stoll(std::string(result.value(0, 0)));
}

void finish_run(pg::Connection& target, long long run_id, const std::string& status,
                const std::string& message) {
  target.exec(
      "UPDATE mapengine.runs SET status = $2, finished_at = clock_timestamp(), message = $3 "
      "WHERE run_id = $1",
      {std::to_string(run_id), status, message});
}

void begin_run_mapping(pg::Connection& target, long long run_id,
                       const spec::MappingSpec& mapping) {
  target.exec(
      "INSERT INTO mapengine.run_mappings (run_id, mapping, file, checksum, table_name) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, mapping) DO NOTHING",
      {std::to_string(run_id), mapping.name, mapping.file, mapping.checksum,
       mapping.table.display()});
}

void finish_run_mapping(pg::Connection& target, long long run_id, const std::string& mapping,
                        const std::string& status, const MappingCounts& counts, double seconds,
                        const std::string& message) {
  target.exec(
      "UPDATE mapengine.run_mappings SET status = $3, finished_at = clock_timestamp(), "
      "rows_read = $4, rows_written = $5, rows_rejected = $6, rows_skipped = $7, seconds = $8, "
      "message = NULLIF($9, '') WHERE run_id = $1 AND mapping = $2",
      {std::to_string(run_id), mapping, status, std::to_string(counts.read),
       std::to_string(counts.written), std::to_string(counts.rejected),
       std::to_string(counts.skipped), fmt::format("{:.3f}", seconds), message});
}

}  // namespace mapengine::state
