// The migration report as markdown for GitHub: the tool's version and the databases, a verdict,
// one table of tables in dependency order, time and throughput (a table of bars and a Mermaid
// chart), the order itself and its graph (Mermaid), the tables migrated earlier, the id map, the
// mapping files' checksums, the runs, and a section per table with its run history, top reject
// reasons and latest validation. Table lines are at most 120 characters: run messages are cut
// with "…", never a path or a reject reason (those are listed whole).
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "engine/report/migration_report.h"

namespace mapengine::report {

std::string render_markdown(const MigrationReport& report);

// 0.4 s, 12.3 s, 4 min 05 s, 1 h 02 min.
std::string format_duration(double seconds);

}  // namespace mapengine::report
