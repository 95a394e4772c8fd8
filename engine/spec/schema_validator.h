// Validation of a parsed YAML document against schemas/mapping.schema.json, the single source of
// truth of the mapping format's structure. The schema is compiled into the binary.
//
// Thread-safety: validate_schema may be called concurrently.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "engine/spec/diagnostic.h"

namespace mapengine::spec {

// Appends one diagnostic per schema violation, located at the offending node (rule ids start
// with "schema"; unknown keys get a "did you mean" suggestion). Returns true when valid.
bool validate_schema(const YAML::Node& root, const std::string& file, Diagnostics& diagnostics);

}  // namespace mapengine::spec
