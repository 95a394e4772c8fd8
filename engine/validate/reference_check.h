// The references check, on the target:
//  - no orphaned foreign key among the mapping's lookup columns: every non-NULL value of a
//    lookup column exists in the looked-up table's returned column (self-references included);
//  - the id map is whole: every entry of mapengine.id_maps for the mapping points at an existing
//    target row, and every target row carrying a legacy key is in the map.
//
// Thread-safety: uses only the connection it is given.
#pragma once

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"
#include "engine/validate/target_table.h"
#include "engine/validate/validation_result.h"

namespace mapengine::validate {

CheckResult check_references(const spec::MappingSpec& mapping, const spec::Project& project,
                             pg::Connection& target, const TargetTable& table);

}  // namespace mapengine::validate
