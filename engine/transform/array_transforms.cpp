// Array transforms: each (steps applied to every element of an array), split_array (text ->
// array) and join_array (array -> text). Arrays are PostgreSQL's text form, `{a,"b c",NULL}`,
// read and written by engine/pg/array_literal.h.
#include <fmt/format.h>

#include "engine/pg/array_literal.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/argument_schema.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/registry.h"

namespace mapengine {
namespace {

using TransformPtr = std::unique_ptr<Transform>;

// Parses the value into `elements`; a rejection naming `step` when it is not an array.
Rejection read_array(std::string_view step, const Value& value, pg::ArrayElements& elements) {
  if (auto error = pg::parse_array_literal(value.text(), elements)) {
    return fmt::format("{}: {} is not an array ({})", step, quoted(value), *error);
  }
  return std::nullopt;
}

// ---- each -----------------------------------------------------------------------------------

class Each final : public Transform {
 public:
  explicit Each(std::unique_ptr<ColumnPipeline> steps) : steps_(std::move(steps)) {}

  Rejection apply(Value& value, const RowContext& row) const override {
    if (value.is_null()) return std::nullopt;
    // Not a per-thread list: a step under `each` may be an `each` of its own.
    pg::ArrayElements elements;
    if (Rejection rejection = read_array("each", value, elements)) return rejection;
    bool changed = false;
    Value element;
    for (size_t i = 0; i < elements.size(); ++i) {
      auto& slot = elements[i];
      Value input = slot ? Value::view(*slot) : Value::null();
      if (Rejection rejection = steps_->run({&input, 1}, element, row)) {
        return fmt::format("each: element {} ({}): {}", i + 1,
                           slot ? quoted(*slot) : std::string("NULL"), *rejection);
      }
      if (element.is_null()) {
        changed = changed || slot.has_value();
        slot.reset();
      } else if (!slot || element.text() != *slot) {
        changed = true;
        slot = std::string(element.text());
      }
    }
    if (!changed) return std::nullopt;
    std::string& out = scratch_text();
    out.clear();
    pg::append_array_literal(out, elements);
    take_scratch(value, out);
    return std::nullopt;
  }

 private:
  std::unique_ptr<ColumnPipeline> steps_;
};

// The steps under `each:` as the spec loader reads a column's `transform:` list.
std::optional<spec::ColumnSpec> nested_steps(ArgumentReader& reader) {
  const YAML::Node& main = reader.main();
  if (!main.IsDefined() || main.IsNull() || (main.IsSequence() && main.size() == 0)) {
    reader.error("needs the steps to apply to each element: { each: [trim, upper] }");
    return std::nullopt;
  }
  spec::ColumnSpec column;
  column.name = "each";
  column.from = {"element"};
  column.where = reader.args().where;
  auto add = [&](const YAML::Node& node) {
    spec::TransformStep step;
    step.where = reader.args().where;
    if (!node.Mark().is_null()) {
      step.where.line = node.Mark().line + 1;
      step.where.column = node.Mark().column + 1;
    }
    if (node.IsScalar()) {
      step.name = node.Scalar();
    } else if (node.IsMap() && node.size() > 0) {
      auto first = node.begin();
      step.name = first->first.IsScalar() ? first->first.Scalar() : "";
      step.main = first->second;
      step.options = node;
    } else {
      reader.error("a step is a name or a map such as { truncate: 3 }");
    }
    column.transforms.push_back(std::move(step));
  };
  if (main.IsSequence()) {
    for (const auto& node : main) add(node);
  } else {
    add(main);
  }
  if (!reader.ok()) return std::nullopt;
  return column;
}

// ---- split_array ----------------------------------------------------------------------------

class SplitArray final : public Transform {
 public:
  explicit SplitArray(std::string separator) : separator_(std::move(separator)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    thread_local pg::ArrayElements parts;
    parts.clear();
    std::string_view text = value.text();
    // As PostgreSQL's string_to_array: the empty text is the empty array.
    if (!text.empty()) {
      for (size_t start = 0;;) {
        size_t at = text.find(separator_, start);
        parts.emplace_back(std::string(text.substr(start, at - start)));
        if (at == std::string_view::npos) break;
        start = at + separator_.size();
      }
    }
    std::string& out = scratch_text();
    out.clear();
    pg::append_array_literal(out, parts);
    take_scratch(value, out);
    return std::nullopt;
  }

 private:
  std::string separator_;
};

// ---- join_array -----------------------------------------------------------------------------

class JoinArray final : public Transform {
 public:
  JoinArray(std::string separator, std::optional<std::string> null_as)
      : separator_(std::move(separator)), null_as_(std::move(null_as)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    thread_local pg::ArrayElements elements;
    if (Rejection rejection = read_array("join_array", value, elements)) return rejection;
    std::string& out = scratch_text();
    out.clear();
    bool first = true;
    for (const auto& element : elements) {
      if (!element && !null_as_) continue;  // as array_to_string: NULLs are left out
      if (!first) out += separator_;
      first = false;
      out += element ? *element : *null_as_;
    }
    take_scratch(value, out);
    return std::nullopt;
  }

 private:
  std::string separator_;
  std::optional<std::string> null_as_;
};

}  // namespace

void register_array_transforms(TransformRegistry& registry) {
  using VT = ValueType;
  using Main = ArgumentSchemas::Main;
  namespace S = argument_schema;
  {
    TransformInfo info = transform_info(
        "each", "applies the listed steps to every element of an array ({a,b}): { each: [trim] }",
        VT::kArray, VT::kArray, {});
    info.arguments = {Main::kRequired, S::steps("the steps applied to each element"), {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("each", a, d);
      auto column = nested_steps(reader);
      if (!column) return nullptr;
      auto steps = ColumnPipeline::compile(*column, d);
      if (!steps) return nullptr;
      return std::make_unique<Each>(std::move(steps));
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info(
        "split_array", "text split at a separator into an array: { split_array: \",\" }", VT::kText,
        VT::kArray, {});
    info.arguments = {Main::kRequired, S::text("the separator (not empty)"), {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("split_array", a, d);
      auto separator = reader.text(reader.main(), "the separator");
      if (!separator) return nullptr;
      if (separator->empty()) {
        reader.error("the separator must not be empty");
        return nullptr;
      }
      return std::make_unique<SplitArray>(*separator);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info =
        transform_info("join_array",
                       "an array's elements joined with a separator, NULLs left out (or null_as:): "
                       "{ join_array: \", \" }",
                       VT::kArray, VT::kText, {"null_as"});
    info.arguments = {Main::kRequired, S::text("the separator"),
                      {{"null_as", S::text("the text written for a NULL element")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("join_array", a, d);
      auto separator = reader.text(reader.main(), "the separator");
      if (!separator) return nullptr;
      std::optional<std::string> null_as;
      if (reader.has_option("null_as")) {
        null_as = reader.text(reader.option("null_as"), "null_as");
        if (!null_as) return nullptr;
      }
      return std::make_unique<JoinArray>(*separator, std::move(null_as));
    };
    registry.add(std::move(info));
  }
}

}  // namespace mapengine
