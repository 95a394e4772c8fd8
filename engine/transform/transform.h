// Transform: one compiled step of a column pipeline, and Combiner: the first step of a column
// fed by several source columns (join, format, json_object, coalesce).
//
// Transforms are compiled once per run from their mapping-file arguments (see registry.h) and
// then applied to every row. apply() must not allocate when it leaves the value unchanged.
//
// NULL: each transform documents what it does with NULL; most pass NULL through.
// Failure: apply() returns a Rejection (the reason, in words a data engineer understands,
// naming the transform and what was expected). The caller records the row in the rejects with the
// column and the input value; the transform need not repeat the value.
//
// Thread-safety: apply() is const and may run concurrently from several threads.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/common/value.h"

namespace mapengine {

// Why a value was rejected; std::nullopt means success.
using Rejection = std::optional<std::string>;

// What a transform may know about the row it works on.
struct RowContext {
  std::string_view mapping;     // mapping name, e.g. "technicians"
  std::string_view table;       // target table as schema.name
  std::string_view legacy_key;  // canonical legacy key text (see state/legacy_key.h)
};

class Transform {
 public:
  virtual ~Transform() = default;
  virtual Rejection apply(Value& value, const RowContext& row) const = 0;
};

class Combiner {
 public:
  virtual ~Combiner() = default;
  // Combines the column's inputs (in `from:` order) into `out`.
  virtual Rejection combine(std::span<const Value> inputs, Value& out,
                            const RowContext& row) const = 0;
};

}  // namespace mapengine
