// Semantic rules: what a mapping file's structure (schema_validator.h) cannot show, checked
// without a database. Each finding is a Diagnostic with a stable rule id, located at the node to
// fix; docs/mapping-spec.md ("Lint rules") lists every id with its fix, and lint_rules() is the
// same list in code (for SARIF output and for the test that keeps the two in step).
//
// Example:
//   Diagnostics diagnostics;
//   spec::Project project = spec::load_project({"mappings/"}, diagnostics);
//   lint::check_project(project, diagnostics);
//
// Rules only report on project.mappings (the files being linted); context mappings and migrated
// tables are used to resolve names.
//
// Thread-safety: pure functions over an immutable Project.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::lint {

// Every rule below, on every mapping of the project, plus the cross-file rules.
void check_project(const spec::Project& project, Diagnostics& diagnostics);

// unknown-transform, bad-transform-argument (and the transform library's other rules): compiles
// each column's pipeline with ColumnPipeline::compile.
void check_transforms(const spec::MappingSpec& mapping, Diagnostics& diagnostics);
// missing-legacy-key, legacy-key-arity, id-map-needs-id, conflict-needs-columns,
// batch-size-range, duplicate-target-column, namespace-needs-uuid-v5, key-not-selected.
void check_mapping_shape(const spec::MappingSpec& mapping, Diagnostics& diagnostics);
// unknown-lookup-table, lookup-needs-match, self-reference-policy, deferred-lookup,
// default-needs-value.
void check_lookups(const spec::MappingSpec& mapping, const spec::Project& project,
                   Diagnostics& diagnostics);
// duplicate-table, duplicate-name (across every loaded file).
void check_duplicates(const spec::Project& project, Diagnostics& diagnostics);
// unknown-dependency, dependency-cycle (via plan::make_plan).
void check_dependencies(const spec::Project& project, Diagnostics& diagnostics);

// The output column names of a simple `SELECT a, t.b, c AS d FROM ...` (unquoted names folded to
// lower case, as PostgreSQL does); nullopt when the select list is not that simple (`*`,
// expressions, function calls, DISTINCT ON, WITH, VALUES, ...), in which case nothing is checked.
std::optional<std::vector<std::string>> simple_select_columns(std::string_view query);

// The catalog of rule ids lint can report, from the loader, the schema, these rules and --db.
struct LintRule {
  std::string_view id;
  Severity severity;
  std::string_view summary;  // one line: what the rule catches
};
std::span<const LintRule> lint_rules();
const LintRule* find_lint_rule(std::string_view id);

}  // namespace mapengine::lint
