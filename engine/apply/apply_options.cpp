#include "engine/apply/apply_options.h"

#include <nlohmann/json.hpp>

namespace mapengine {

std::string_view to_string(ApplyStatus status) {
  switch (status) {
    case ApplyStatus::kSkipped: return "skipped";
    case ApplyStatus::kSucceeded: return "succeeded";
    case ApplyStatus::kUpToDate: return "up-to-date";
    case ApplyStatus::kWaiting: return "waiting";
    case ApplyStatus::kHandedOver: return "handed-over";
    case ApplyStatus::kFailed: return "failed";
    case ApplyStatus::kInterrupted: return "interrupted";
    case ApplyStatus::kDryRun: return "dry-run";
    case ApplyStatus::kOverLimit: return "over-limit";
    case ApplyStatus::kRejects: return "rejects";
  }
  return "unknown";
}

void to_json(nlohmann::json& out, ApplyStatus status) { out = std::string(to_string(status)); }

}  // namespace mapengine
