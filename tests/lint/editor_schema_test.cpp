// The JSON Schema editors use (schemas/mapping.schema.json) against the transform registry it is
// written from: the checked-in file is exactly what the registry generates, every step lint
// accepts is accepted by the editor too, and every unknown transform or option is flagged.
#include "engine/lint/editor_schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "engine/common/diagnostic.h"
#include "engine/spec/schema_validator.h"
#include "engine/transform/registry.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace fs = std::filesystem;
using mapengine::Diagnostics;
using mapengine::TransformRegistry;
using mapengine::testing::read_file;
using mapengine::testing::run_mapengine;

namespace {

// A minimal mapping whose one column runs `steps`, checked as an editor checks it.
Diagnostics editor_findings(const YAML::Node& steps) {
  YAML::Node mapping = YAML::Load(
      "{ version: 1, table: t, source: { table: s, key: id }, columns: { c: { from: a } } }");
  mapping["columns"]["c"]["transform"] = steps;
  Diagnostics diagnostics;
  mapengine::spec::validate_editor_schema(mapping, "case.yaml", diagnostics);
  return diagnostics;
}

std::string messages(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics.items()) out += d.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("schemas/mapping.schema.json is what the transform registry generates", "[schema]") {
  const std::string file =
      read_file(std::string(MAPENGINE_SOURCE_DIR) + "/schemas/mapping.schema.json");
  REQUIRE(!file.empty());
  INFO(
      "schemas/mapping.schema.json differs from `mapengine schema`: after adding or changing a "
      "transform, run `cmake --build build --target update_schema` and commit the file");
  CHECK(file == mapengine::lint::editor_schema_text());
  auto printed = run_mapengine("schema");
  CHECK(printed.exit_code == 0);
  CHECK(printed.out == file);
}

TEST_CASE("the editor schema describes every registered transform", "[schema]") {
  const auto forms = mapengine::lint::transform_step_forms();
  for (const auto& info : TransformRegistry::instance().all()) {
    INFO(info.name);
    bool found = false;
    for (const auto& form : forms) {
      if (form.contains("required") && form["required"][0] == info.name) found = true;
    }
    CHECK(found);
    // A transform added without its shapes would be accepted by editors in any form.
    CHECK(info.arguments.use != mapengine::ArgumentSchemas::Main::kUndeclared);
    // Each option's shape is declared under a name the transform accepts.
    for (const auto& [option, schema] : info.arguments.options) {
      INFO(option);
      CHECK(std::find(info.options.begin(), info.options.end(), option) != info.options.end());
    }
    // ... and every option the transform accepts has its shape declared.
    for (const std::string& option : info.options) {
      INFO(option);
      CHECK(std::count_if(info.arguments.options.begin(), info.arguments.options.end(),
                          [&](const auto& declared) { return declared.first == option; }) == 1);
    }
  }
}

TEST_CASE("the editor accepts every step lint accepts and flags unknown names and options",
          "[schema]") {
  int accepted = 0, flagged = 0;
  for (const auto& entry :
       fs::directory_iterator(std::string(MAPENGINE_TEST_DATA) + "/transforms")) {
    if (entry.path().extension() != ".yaml") continue;
    YAML::Node cases = YAML::LoadFile(entry.path().string());
    for (const auto& c : cases) {
      YAML::Node steps;
      if (c["steps"]) {
        steps = c["steps"];
      } else {
        steps.push_back(c["step"]);
      }
      const std::string rule = c["diagnostic"] ? c["diagnostic"].as<std::string>() : "";
      INFO(entry.path().filename().string() << ": " << YAML::Dump(steps));
      Diagnostics findings = editor_findings(steps);
      if (rule.empty() || rule == "pipeline-type-mismatch" || rule == "missing-combiner" ||
          rule == "combiner-not-first") {
        // Valid steps (type and combiner rules are about the pipeline, not a step's shape).
        INFO(messages(findings));
        CHECK(findings.error_count() == 0);
        ++accepted;
      } else if (rule == "unknown-transform" || rule == "unknown-transform-option") {
        CHECK(findings.error_count() > 0);
        ++flagged;
      }
    }
  }
  CHECK(accepted > 100);
  CHECK(flagged > 5);
}

TEST_CASE("the example mappings are valid for the editor", "[schema]") {
  for (const auto& entry :
       fs::directory_iterator(std::string(MAPENGINE_SOURCE_DIR) + "/mappings")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    Diagnostics diagnostics;
    mapengine::spec::validate_editor_schema(YAML::LoadFile(entry.path().string()),
                                            entry.path().string(), diagnostics);
    INFO(messages(diagnostics));
    CHECK(diagnostics.error_count() == 0);
  }
}
