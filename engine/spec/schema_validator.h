// Validation of a parsed YAML document against schemas/mapping.schema.json, the single source of
// truth of the mapping format's structure. The schema is compiled into the binary (CMakeLists.txt
// generates mapping_schema_json.h from the file) and validated with valijson.
//
// YAML scalars are typed as the YAML language server types them (YAML 1.2 core schema): a plain
// `1000` is an integer, `true` a boolean, `null`/`~`/empty a null, anything quoted a string. So
// `batch_size: "1000"` is flagged in the editor and by lint alike.
//
// Each violation becomes one Diagnostic at the offending node, in words rather than in JSON Schema
// terms: "unknown field `batchsize`; did you mean `batch_size`?". Rule ids start with "schema-"
// (schema-unknown-key, schema-required, schema-type, schema-enum, schema-pattern, schema-range,
// schema-one-of), plus duplicate-key, and missing-legacy-key for a missing `source.key`.
//
// Thread-safety: validate_schema may be called concurrently.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/common/diagnostic.h"

namespace mapengine::spec {

// Appends one diagnostic per schema violation, located at the offending node (rule ids start
// with "schema"; unknown keys get a "did you mean" suggestion). Returns true when valid.
// Never throws for bad input; a document nested deeper than kMaxNestingDepth, or expanding through
// aliases to more than kMaxExpandedNodes nodes, is refused with one diagnostic.
bool validate_schema(const YAML::Node& root, const std::string& file, Diagnostics& diagnostics);

// The same against the schema as editors apply it, transform step forms included
// (lint/editor_schema.h): what the YAML language server would flag. For tests; lint uses the above.
bool validate_editor_schema(const YAML::Node& root, const std::string& file,
                            Diagnostics& diagnostics);

// The schema text compiled into the binary (schemas/mapping.schema.json).
std::string_view mapping_schema_json();

}  // namespace mapengine::spec
