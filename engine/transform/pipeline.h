// ColumnPipeline: one target column's `from` inputs and `transform` steps, compiled once per run
// (names resolved in the TransformRegistry, arguments checked, regexes, maps and zones built)
// and then run for every row.
//
// compile() is also lint's entry point for pipelines: it reports every problem as a Diagnostic
// located at its step (rules: unknown-transform, unknown-transform-option,
// bad-transform-argument, unknown-timezone, missing-combiner, combiner-not-first, and the
// warning pipeline-type-mismatch) and returns nullptr when there is any error.
//
// Values: run() never copies a value that no step changes; steps may leave `out` viewing text
// owned by the pipeline (a map's target, a default), so the pipeline must outlive `out`'s use.
//
// Thread-safety: a compiled pipeline is immutable; run() may be called concurrently.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/registry.h"
#include "engine/transform/transform.h"

namespace mapengine {

class ColumnPipeline {
 public:
  // One step as `mapengine explain` shows it.
  struct Step {
    std::string name;
    std::string written;  // the step as written, in flow YAML ("trim", "{truncate: 80}")
    bool combiner = false;
    ValueType input = ValueType::kAny;   // what the step expects
    ValueType output = ValueType::kAny;  // what it produces (kSame resolved)
    SourceLocation where;
  };

  // Compiles the column's `from` inputs and `transform` steps; nullptr when there are errors
  // (reported as diagnostics located at the step). Warnings do not prevent compilation.
  static std::unique_ptr<ColumnPipeline> compile(const spec::ColumnSpec& column,
                                                 Diagnostics& diagnostics);
  ~ColumnPipeline();

  // inputs: the column's from-values in order (REQUIRES: as many as `from` names). With a
  // combiner, it builds `out`; otherwise with one input `out` starts as inputs[0], and with none
  // (a constant or generated value) `out` must already hold the starting value. Returns the
  // rejection of the first failing step ("scale: '12.3.4' is not a number"); the caller adds
  // the column and the value.
  Rejection run(std::span<const Value> inputs, Value& out, const RowContext& row) const;

  // The type of the last step's output (kAny when unknown).
  ValueType output_type() const { return output_type_; }
  const std::vector<Step>& describe() const { return steps_; }
  // One line: "join(any -> text) | trim(any -> text)"; empty for no steps.
  std::string describe_line() const;

 private:
  ColumnPipeline() = default;

  std::unique_ptr<Combiner> combiner_;
  std::vector<std::unique_ptr<Transform>> transforms_;
  std::vector<Step> steps_;
  ValueType output_type_ = ValueType::kAny;
};

// True when a value of type `produced` is acceptable where `expected` is read (kAny on either
// side, equal types, text where anything is read, integer for numeric, date for timestamp).
bool types_compatible(ValueType produced, ValueType expected);

}  // namespace mapengine
