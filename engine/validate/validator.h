// Validator: `mapengine validate`. For each mapping, in dependency order, runs against the live
// source and target:
//   counts      every source row is written, rejected or skipped (count_check.h)
//   content     every written row holds what the mapping produces today (content_check.h)
//   references  no orphaned lookup value; id map and table agree (reference_check.h)
//   declared    the mapping's `checks:` (declared_checks.h)
// and records the run (mapengine.runs, command "validate") and each mapping's result
// (mapengine.validations: ok + the result as JSON, as MappingValidation::to_json prints it).
//
// A check that cannot run fails with the reason and the others still run; a lost connection or
// an interruption stops the validation (Error kConnection / kInterrupted).
//
// Thread-safety: validate_project() is called from one thread; it starts the stream threads it
// needs.
#pragma once

#include <atomic>
#include <string>

#include "engine/plan/dependency_plan.h"
#include "engine/spec/mapping_spec.h"
#include "engine/validate/validation_result.h"

namespace mapengine::validate {

struct ValidateOptions {
  std::string source_url;
  std::string target_url;
  long chunk_rows = 10000;   // keys per compared chunk of the content check
  size_t max_examples = 10;  // differences named per kind and mapping
  bool record = true;        // write mapengine.runs / mapengine.validations
  const std::atomic<bool>* interrupted = nullptr;
};

ValidationSummary validate_project(const spec::Project& project, const plan::Plan& plan,
                                   const ValidateOptions& options);

}  // namespace mapengine::validate
