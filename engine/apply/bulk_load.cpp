#include "engine/apply/bulk_load.h"

#include <fmt/format.h>

#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/state/bulk_definitions.h"

namespace mapengine {
namespace {

std::string counted(long long n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string what_is_set_aside(int foreign_keys, int indexes) {
  std::string out = counted(foreign_keys, "foreign key", "foreign keys");
  if (indexes > 0) out += fmt::format(" and {}", counted(indexes, "index", "indexes"));
  return out;
}

}  // namespace

BulkLoad::BulkLoad(const spec::MappingSpec& mapping, const ApplyOptions& options, bool rehearsal,
                   long long run_id, std::string lease_owner)
    : mapping_(mapping),
      mode_(rehearsal ? spec::BulkMode::kOff
            : mapping.bulk == spec::BulkMode::kOff && options.bulk ? spec::BulkMode::kForeignKeys
                                                                   : mapping.bulk),
      run_id_(run_id),
      lease_owner_(std::move(lease_owner)),
      rehearsal_(rehearsal) {}

void BulkLoad::begin(pg::Connection& target) {
  if (rehearsal_) return;
  if (mode_ == spec::BulkMode::kOff) {
    // An earlier attempt in bulk mode was killed: its load goes on so and ends by restoring.
    active_ = state::has_set_aside(target, mapping_.name);
    if (!active_) return;
  }
  state::SetAside set = state::set_aside_definitions(
      target, mapping_, mode_ == spec::BulkMode::kOff ? spec::BulkMode::kForeignKeys : mode_,
      lease_owner_);
  active_ = set.active;
  if (!active_) {
    log_event(spdlog::level::info, "bulk_off",
              fmt::format("{}: bulk mode applies from the start of an empty table; this load "
                          "began without it and goes on with the table's constraints in place",
                          mapping_.name),
              {{"table", mapping_.name}});
    return;
  }
  log_event(spdlog::level::info, "bulk_begin",
            fmt::format("{}: bulk load: {} {} until the load ends", mapping_.name,
                        what_is_set_aside(set.foreign_keys, set.indexes),
                        set.resumed ? "stay set aside (an earlier attempt's)" : "set aside"),
            {{"table", mapping_.name},
             {"foreign_keys", set.foreign_keys},
             {"indexes", set.indexes}});
}

void BulkLoad::finish(pg::Connection& target, std::string& message) {
  if (rehearsal_) return;
  // Definitions another process set aside (one whose run this process joined) are restored by
  // whichever process finishes the mapping.
  if (!active_) active_ = state::has_set_aside(target, mapping_.name);
  if (!active_) return;
  state::Restored restored = state::restore_definitions(target, mapping_, run_id_, lease_owner_);
  active_ = false;
  std::string note = fmt::format("bulk load: {} re-created in {:.2f} s",
                                 what_is_set_aside(restored.foreign_keys, restored.indexes),
                                 restored.seconds);
  if (restored.refused_rows > 0) {
    note += fmt::format("; {} refused by a re-added foreign key, now rejects",
                        counted(restored.refused_rows, "row", "rows"));
  }
  log_event(spdlog::level::info, "bulk_end", fmt::format("{}: {}", mapping_.name, note),
            {{"table", mapping_.name},
             {"foreign_keys", restored.foreign_keys},
             {"indexes", restored.indexes},
             {"refused", restored.refused_rows},
             {"ms", static_cast<long long>(restored.seconds * 1000)}});
  message = message.empty() ? note : fmt::format("{}; {}", message, note);
}

void BulkLoad::abandon(pg::Connection& target) noexcept {
  if (!active_) return;
  try {
    if (!target.is_ok()) throw Error(ErrorKind::kConnection, "the target connection is lost");
    std::string message;
    finish(target, message);
  } catch (const std::exception& e) {
    log_event(spdlog::level::warn, "bulk_left",
              fmt::format("{}: the table's set-aside foreign keys and indexes could not be "
                          "re-created now ({}); they are recorded in mapengine.bulk_definitions "
                          "and the next apply of the mapping, or `mapengine reset {}`, "
                          "re-creates them",
                          mapping_.name, e.what(), mapping_.name),
              {{"table", mapping_.name}});
  }
}

}  // namespace mapengine
