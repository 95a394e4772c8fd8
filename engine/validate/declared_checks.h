// The checks a mapping declares under `checks:` (docs/mapping-spec.md), run on its target table:
//   not_null: [cols]                      no NULL in any of the columns
//   unique: [cols]                        no two rows share the tuple (rows with a NULL in it
//                                         are left out, as a UNIQUE constraint does)
//   accepted_values: { column, values }   every non-NULL value is one of `values`, compared as
//                                         the column's type (so `true` matches a boolean t)
//   row_count: { min, max }               the table's row count is within the bounds
//   sql: "SELECT ..."                     the query returns no row; it runs in a READ ONLY
//                                         transaction
// Each failure names rows by legacy key. A check that cannot run (unknown column, SQL error)
// fails with the server's message.
//
// Thread-safety: uses only the connection it is given.
#pragma once

#include <vector>

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"
#include "engine/validate/target_table.h"
#include "engine/validate/validation_result.h"

namespace mapengine::validate {

std::vector<CheckResult> run_declared_checks(const spec::MappingSpec& mapping,
                                             pg::Connection& target, const TargetTable& table);

// How a declared check reads in reports: "not_null [a, b]", "row_count 1..100", ...
std::string describe_check(const spec::CheckSpec& check);

}  // namespace mapengine::validate
