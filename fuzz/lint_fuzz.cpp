// libFuzzer target: the bytes of one mapping file through everything `mapengine lint` does
// offline (parse, schema, model, semantic rules, transform compilation) and every output format.
// Any crash, sanitizer report, leak or timeout is a bug: lint must answer every input with
// diagnostics. Build and run with fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/lint/lint_output.h"
#include "engine/lint/semantic_rules.h"
#include "engine/spec/schema_validator.h"
#include "engine/spec/spec_loader.h"

namespace lint = mapengine::lint;
namespace spec = mapengine::spec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  mapengine::Diagnostics diagnostics;
  if (auto parsed = spec::parse_text("fuzz.yaml", text, diagnostics)) {
    if (spec::validate_schema(parsed->root, parsed->path, diagnostics)) {
      spec::Project project;
      if (spec::document_kind(parsed->root) == "migrated") {
        project.migrated = spec::build_migrated(*parsed, diagnostics);
      } else if (auto mapping = spec::build_mapping(*parsed, diagnostics)) {
        project.mappings.push_back(std::move(*mapping));
      }
      lint::check_project(project, diagnostics);
    }
  }
  diagnostics.sort();
  for (auto format : {lint::LintFormat::kText, lint::LintFormat::kJson, lint::LintFormat::kGithub,
                      lint::LintFormat::kSarif}) {
    lint::render_diagnostics(diagnostics, format, 1, true);
  }
  return 0;
}
