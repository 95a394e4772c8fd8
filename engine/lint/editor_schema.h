// The mapping schema as editors get it (schemas/mapping.schema.json): the schema compiled into
// the binary, with the forms of a transform step (definitions.transformStep.anyOf) written from
// the transform registry: each transform's name, its summary, its main argument and its options,
// as the registry declares them (TransformInfo::arguments). `mapengine schema` prints it, and a
// test checks that the checked-in file is exactly this text, so it cannot drift from the
// registry. After adding or changing a transform:
//     cmake --build build --target update_schema
//
// Lint does not use the step forms (schema_validator.cpp drops them): the transforms' factories
// check the arguments and word the findings.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mapengine::lint {

// The JSON Schema of every form a step can take, one or two per registered transform (a bare
// name, and a map whose first key is the name), in registry order.
nlohmann::ordered_json transform_step_forms();

// The whole schema, formatted as the checked-in file is (two-space indent, short arrays of
// scalars on one line), ending with a newline.
std::string editor_schema_text();

// `json` formatted as editor_schema_text formats it.
std::string format_schema(const nlohmann::ordered_json& json);

}  // namespace mapengine::lint
