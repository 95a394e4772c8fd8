#include "engine/state/lease.h"

#include <fmt/format.h>

#include "engine/state/run_store.h"

namespace mapengine::state {

std::string lease_duration_text() { return fmt::format("{} minutes", kLeaseDuration.count()); }

std::string lease_expiry_sql() {
  return fmt::format("clock_timestamp() + interval '{}'", lease_duration_text());
}

LeaseDecision decide_lease(const std::string& holder, bool unexpired, const std::string& owner,
                           bool (*is_dead)(const std::string&)) {
  if (holder.empty() || holder == owner) return LeaseDecision::kTake;
  if (unexpired && !is_dead(holder)) return LeaseDecision::kRefuse;
  return LeaseDecision::kTakeOver;
}

LeaseDecision decide_lease(const std::string& holder, bool unexpired, const std::string& owner) {
  return decide_lease(holder, unexpired, owner, owner_is_dead);
}

std::string describe_lease_owner(const std::string& owner) {
  size_t first = owner.find(':');
  size_t second = owner.find(':', first + 1);
  size_t third = owner.find(':', second + 1);
  return fmt::format("host {}, pid {}, run {}", owner.substr(0, first),
                     owner.substr(first + 1, second - first - 1),
                     owner.substr(second + 1,
                                  third == std::string::npos ? third : third - second - 1));
}

bool holds_lease(pg::Connection& target, const std::string& mapping, const std::string& owner) {
  return target
             .exec("SELECT FROM mapengine.mappings WHERE mapping = $1 AND lease_owner = $2",
                   {mapping, owner})
             .rows() == 1;
}

Error lease_lost(const std::string& mapping) {
  return Error::conflict(fmt::format(
      "{}: this process no longer holds the mapping's lease (another mapengine took it over); "
      "stopping without writing",
      mapping));
}

bool LeaseRenewal::due() {
  std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
  std::int64_t next = next_.load();
  if (now < next) return false;
  return next_.compare_exchange_strong(
      next,
      now + std::chrono::duration_cast<std::chrono::nanoseconds>(kLeaseRenewalInterval).count());
}

}  // namespace mapengine::state
