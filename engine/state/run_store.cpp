#include "engine/state/run_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace mapengine::state {

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/<pid>/stat (the start time in clock ticks), or empty when gone or a zombie.
std::string start_time_of(int pid) {
  std::string line = first_line("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z') return {};
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return field;
}

// "<boot>.<pid namespace>": where a pid number names one process.
std::string pid_space() {
  std::string boot = first_line("/proc/sys/kernel/random/boot_id").substr(0, 8);
  char link[64] = {0};
  ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
  std::string ns = n > 0 ? std::string(link, static_cast<size_t>(n)) : "";
  size_t open = ns.find('['), close = ns.find(']');
  if (open != std::string::npos && close != std::string::npos) {
    ns = ns.substr(open + 1, close - open - 1);
  }
  if (boot.empty() || ns.empty()) return {};
  return boot + "." + ns;
}

}  // namespace

std::string RunIdentity::owner(long long run_id) const {
  return fmt::format("{}:{}:{}:{}", host, pid, run_id, instance);
}

bool owner_is_dead(const std::string& owner) {
  // host:pid:run:boot.ns.start
  std::vector<std::string> parts;
  for (size_t begin = 0;;) {
    size_t colon = owner.find(':', begin);
    parts.push_back(owner.substr(begin, colon == std::string::npos ? colon : colon - begin));
    if (colon == std::string::npos) break;
    begin = colon + 1;
  }
  if (parts.size() != 4) return false;
  RunIdentity me = RunIdentity::of_this_process();
  std::string space = pid_space();
  size_t dot = parts[3].rfind('.');
  if (parts[0] != me.host || space.empty() || dot == std::string::npos ||
      parts[3].substr(0, dot) != space) {
    return false;
  }
  int pid = std::atoi(parts[1].c_str());
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  // Gone (a zombie nobody reaped yet), or the number now belongs to another process.
  return start_time_of(pid) != parts[3].substr(dot + 1);
}

RunIdentity RunIdentity::of_this_process() {
  RunIdentity who;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) who.host = host;
  const char* user = std::getenv("USER");
  if (user == nullptr) user = std::getenv("LOGNAME");
  who.user = user ? user : std::to_string(getuid());
  who.pid = static_cast<int>(getpid());
  std::string space = pid_space();
  who.instance = space.empty() ? "unknown" : space + "." + start_time_of(who.pid);
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
                        const std::string& status, const RowCounts& counts, double seconds,
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
