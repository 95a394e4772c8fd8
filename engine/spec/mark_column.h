// follow.on_delete's mark column: the target column types following can mark, one rule for
// lint --db and for sync.
#pragma once

#include <optional>
#include <string>

namespace mapengine::spec {

enum class MarkKind {
  kNone,  // no such column, or a type that cannot be marked
  kFlag,  // boolean: set true, cleared to false
  kTime,  // timestamp, timestamptz, date: set to the time, cleared to NULL
};

// The mark a column of `type` (its type name without modifiers; nullopt: no such column) takes.
inline MarkKind mark_kind(const std::optional<std::string>& type) {
  if (!type) return MarkKind::kNone;
  if (*type == "boolean") return MarkKind::kFlag;
  if (type->rfind("timestamp", 0) == 0 || *type == "date") return MarkKind::kTime;
  return MarkKind::kNone;
}

}  // namespace mapengine::spec
