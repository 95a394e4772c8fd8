// Which source table drives a mapping, for following its changes: the table the mapping's
// legacy key columns are read from, found by asking the server where each key column of the
// source query comes from (the row description names a column's table and attribute when the
// column is a plain reference to one, through subqueries and renames).
//
// Thread-safety: pure functions over the connection they are given.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/follow/change_collector.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::follow {

// The table `mapping`'s rows come from, with the table's own names for the key columns and
// `mapping` as its one mapping. Throws Error(kSpec) naming the mapping file when a key column
// is computed or the key columns come from different tables, and Error(kConflict) when a DELETE
// of that table would not carry the key (its replica identity lacks the key columns), with the
// statement that fixes it.
FollowedTable find_followed_table(pg::Connection& source, const spec::MappingSpec& mapping);

// The tables `mapping` joins (follow.also), each with one JoinTrigger for it and no driving
// mapping. `driving` is the mapping's driving table (find_followed_table). Throws Error(kSpec)
// naming the file for a table or column the source lacks, and Error(kConflict) when a DELETE of
// the joined table would not carry its join columns.
std::vector<FollowedTable> find_joined_tables(pg::Connection& source,
                                              const spec::MappingSpec& mapping,
                                              const FollowedTable& driving);

// The SQL reading the driving table's key columns for the rows whose join columns of
// follow.also[also] equal one of `values` (each the joined table's columns' values, as text).
std::string joined_keys_sql(pg::Connection& source, const spec::MappingSpec& mapping,
                            const FollowedTable& driving, size_t also,
                            const std::set<std::vector<std::string>>& values);

}  // namespace mapengine::follow
