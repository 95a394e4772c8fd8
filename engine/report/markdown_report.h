// The migration report as markdown for GitHub: a verdict first, then one table of tables in
// dependency order, the order itself, the mapping files' checksums, the runs, and a section per
// table with its run history, top reject reasons and latest validation. No line is longer than
// 120 characters; long reasons and messages are cut with "…".
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
