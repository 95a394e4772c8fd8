// How a legacy column becomes a target column in a drafted mapping: the transform steps that
// convert its type (assume_timezone, scale, to_int, boolean, parse_date, ...) and, for columns
// holding codes, a `map` of the distinct legacy values to the target's accepted values. Each
// step comes with the comment that explains it; a decision left open is a comment starting with
// "TODO: " (and, where a value is needed, TODO_ZONE or TODO in the step itself).
//
// Thread-safety: pure functions (the DistinctSource is called on the caller's thread).
#pragma once

#include <functional>

#include "engine/scaffold/mapping_draft.h"
#include "engine/scaffold/table_catalog.h"

namespace mapengine::scaffold {

inline constexpr std::string_view kTodoZone = "TODO_ZONE";
inline constexpr std::string_view kTodoValue = "TODO";

// Distinct non-NULL values of a legacy column (at most kMaxCodes, sorted).
using DistinctSource = std::function<DistinctValues(const ColumnInfo&)>;

// Appends to `column` the steps and comments that make legacy column `legacy` fit target column
// `target`. Returns the number of TODOs added.
int propose_conversion(const ColumnInfo& legacy, const ColumnInfo& target,
                       const DistinctSource& distinct, DraftColumn& column);

}  // namespace mapengine::scaffold
