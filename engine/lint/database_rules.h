// Database rules (`mapengine lint --db`): checks a project against the live databases without
// changing anything.
//   source  each mapping's query is described, not run (PQprepare + PQdescribePrepared of
//           `SELECT * FROM (query) q` in a read-only transaction that is rolled back); its key and
//           `from` columns must be among the query's columns.
//   target  each mapped table exists; every mapped column exists and is writable; every NOT NULL
//           column without a default is mapped; legacy_key, id_column and conflict columns exist;
//           each lookup's table and match/return columns exist; declared migrated tables exist
//           with their legacy_key and id_column. The default id column exists where it is
//           assumed; a primary key or unique constraint covers the legacy key (or id) columns.
// Findings are Diagnostics (rule ids db-*) located at the mapping node concerned.
//
// REQUIRES: open connections. Throws mapengine::Error when the connection fails or a catalog
// query fails (exit code 4), never for problems in the mappings.
//
// Thread-safety: uses the connections; one thread.
#pragma once

#include <string>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::lint {

// Checks the source side of project.mappings.
void check_source_queries(const spec::Project& project, pg::Connection& source,
                          Diagnostics& diagnostics);

// Checks the target side of project.mappings, and the migrated tables declared in `named_files`
// (the files being linted).
void check_target_tables(const spec::Project& project, const std::vector<std::string>& named_files,
                         pg::Connection& target, Diagnostics& diagnostics);

// Checks what needs both databases: target.legacy_key columns have types that print the source
// key alike (db-legacy-key-type), and a lookup from a padded char(n) source column into a text
// key trims it (db-padded-char-lookup, a warning).
void check_key_types(const spec::Project& project, pg::Connection& source, pg::Connection& target,
                     Diagnostics& diagnostics);

// Every check above: what `lint --db` runs, and what `apply` runs before it writes anything.
void check_databases(const spec::Project& project, const std::vector<std::string>& named_files,
                     pg::Connection& source, pg::Connection& target, Diagnostics& diagnostics);

}  // namespace mapengine::lint
