#include "engine/transform/pipeline.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/transform/factory_support.h"

namespace mapengine {
namespace {

std::string written_form(const spec::TransformStep& step) {
  if (!step.options.IsDefined() || step.options.IsNull()) return step.name;
  YAML::Emitter emitter;
  emitter << YAML::Flow << step.options;
  return emitter.good() ? std::string(emitter.c_str()) : step.name;
}

std::string combiner_names(const TransformRegistry& registry) {
  std::vector<std::string_view> names;
  for (const TransformInfo& info : registry.all()) {
    if (info.is_combiner()) names.push_back(info.name);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

bool types_compatible(ValueType produced, ValueType expected) {
  if (produced == ValueType::kAny || expected == ValueType::kAny) return true;
  if (produced == expected || expected == ValueType::kText) return true;
  if (expected == ValueType::kNumeric && produced == ValueType::kInteger) return true;
  if (expected == ValueType::kTimestamp && produced == ValueType::kDate) return true;
  return false;
}

ColumnPipeline::~ColumnPipeline() = default;

std::unique_ptr<ColumnPipeline> ColumnPipeline::compile(const spec::ColumnSpec& column,
                                                        Diagnostics& diagnostics) {
  const TransformRegistry& registry = TransformRegistry::instance();
  const size_t errors_before = diagnostics.error_count();
  std::unique_ptr<ColumnPipeline> pipeline(new ColumnPipeline());

  if (column.from.size() > 1 && column.transforms.empty()) {
    diagnostics.error(column.where, "missing-combiner",
                      fmt::format("column {} reads {} columns ({}); add a first step that "
                                  "combines them: {}",
                                  column.name, column.from.size(), fmt::join(column.from, ", "),
                                  combiner_names(registry)));
  }

  ValueType current = ValueType::kAny;
  std::string previous_name;
  for (size_t i = 0; i < column.transforms.size(); ++i) {
    const spec::TransformStep& step = column.transforms[i];
    const TransformInfo* info = registry.find(step.name);
    if (info == nullptr) {
      std::string suggestion = registry.suggest(step.name);
      diagnostics.error(step.where, "unknown-transform",
                        step.name.empty()
                            ? std::string("a transform step needs a name")
                            : fmt::format("unknown transform '{}'{}", step.name,
                                          suggestion.empty()
                                              ? std::string(" (mapengine transforms lists them)")
                                              : fmt::format(" (did you mean '{}'?)", suggestion)));
      current = ValueType::kAny;
      previous_name = step.name;
      continue;
    }

    if (step.options.IsMap()) {
      std::vector<std::string_view> allowed(info->options.begin(), info->options.end());
      bool first = true;
      for (const auto& entry : step.options) {
        if (first) {  // the transform's name
          first = false;
          continue;
        }
        const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
        if (std::find(info->options.begin(), info->options.end(), key) != info->options.end()) {
          continue;
        }
        diagnostics.error(step.where, "unknown-transform-option",
                          fmt::format("{} has no option '{}'{}; {}", info->name, key,
                                      did_you_mean(key, allowed),
                                      info->options.empty()
                                          ? std::string("it takes none")
                                          : fmt::format("its options: {}",
                                                        fmt::join(info->options, ", "))));
      }
    }

    if (info->is_combiner() && i > 0) {
      diagnostics.error(step.where, "combiner-not-first",
                        fmt::format("{} combines the column's from-columns, so it must be the "
                                    "first step",
                                    info->name));
    }
    if (i == 0 && !info->is_combiner() && column.from.size() > 1) {
      diagnostics.error(step.where, "missing-combiner",
                        fmt::format("column {} reads {} columns ({}), so its first step must "
                                    "combine them ({}), not {}",
                                    column.name, column.from.size(), fmt::join(column.from, ", "),
                                    combiner_names(registry), info->name));
    }
    if (i > 0 && !types_compatible(current, info->input)) {
      diagnostics.warning(step.where, "pipeline-type-mismatch",
                          fmt::format("{} expects {} but {} produces {}", info->name,
                                      to_string(info->input), previous_name, to_string(current)));
    }

    const TransformArgs args{step.main, step.options, step.where, column.from};
    bool made = false;
    if (info->is_combiner()) {
      auto combiner = info->make_combiner(args, diagnostics);
      made = combiner != nullptr;
      if (i == 0) pipeline->combiner_ = std::move(combiner);
    } else {
      auto transform = info->make_transform(args, diagnostics);
      made = transform != nullptr;
      pipeline->transforms_.push_back(std::move(transform));
    }
    if (!made && diagnostics.error_count() == errors_before) {
      // A factory must explain its refusal; make sure compile still fails visibly.
      diagnostics.error(step.where, "bad-transform-argument",
                        fmt::format("{}: the step could not be compiled", info->name));
    }

    const ValueType output = info->output == ValueType::kSame ? current : info->output;
    pipeline->steps_.push_back(
        {info->name, written_form(step), info->is_combiner(), info->input, output, step.where});
    current = output;
    previous_name = info->name;
  }

  if (diagnostics.error_count() > errors_before) return nullptr;
  pipeline->output_type_ = current;
  return pipeline;
}

Rejection ColumnPipeline::run(std::span<const Value> inputs, Value& out,
                              const RowContext& row) const {
  if (combiner_) {
    if (Rejection rejection = combiner_->combine(inputs, out, row)) return rejection;
  } else if (inputs.size() == 1) {
    out = inputs[0];
  }
  for (const auto& transform : transforms_) {
    if (Rejection rejection = transform->apply(out, row)) return rejection;
  }
  return std::nullopt;
}

std::string ColumnPipeline::describe_line() const {
  std::string line;
  for (const Step& step : steps_) {
    if (!line.empty()) line += " | ";
    line += fmt::format("{}({} -> {})", step.name, to_string(step.input), to_string(step.output));
  }
  return line;
}

}  // namespace mapengine
