// libFuzzer target for one transform family, compiled once per family with
// MAPENGINE_FUZZ_FAMILY=<family> (text, mapping, number, time, identity, json, array: the families
// of engine/transform/registry.h). Build and run with fuzz/run.sh.
//
// Input: a header line, then values, one per line.
//   line 1   the step as a mapping file writes it (`trim`, `{truncate: 3, on_overflow: reject}`),
//            a flow list of steps, or `{steps: [...], from: [a, b]}` for a combiner's inputs.
//            The first step must be of the family, later steps any transform; a step naming
//            none is given one of the family's transforms (chosen by its name's bytes), so
//            mutated names still reach the family.
//   lines    values in COPY text form: \N is NULL, \n \t \\ \xhh escapes, other bytes as they
//            are (invalid UTF-8 included). With k from-columns, each k values are one row.
//
// Every row runs through the compiled pipeline; besides crashes, sanitizer reports and leaks,
// these must hold (see check_row):
//  - compile fails exactly when it reports an error;
//  - a rejection names its step ("<transform>: ...");
//  - the result does not depend on the output Value's history: a fresh Value and one reused
//    row after row (as the apply loop does) give the same result (not for uuid_v4);
//  - valid UTF-8 arguments and inputs give valid UTF-8 output (unless a pattern uses \C, RE2's
//    any-byte escape);
//  - a single step that leaves its value unchanged does not copy it (transform.h's rule);
//  - idempotent transforms (trim, lower, to_int, round, ...) change nothing the second time;
//  - the family's output forms: numbers in plain notation, dates and timestamps that read back,
//    digests and UUIDs in their text form, booleans as true/false, JSON objects that parse,
//    arrays (each, split_array) that read back as one-dimensional array literals.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pg/array_literal.h"
#include "engine/source/copy_text_decoder.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/civil_time.h"
#include "engine/transform/decimal.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/registry.h"
#include "engine/transform/utf8.h"
#include "engine/transform/uuid.h"

#ifndef MAPENGINE_FUZZ_FAMILY
#error "compile with -DMAPENGINE_FUZZ_FAMILY=<family> (see fuzz/CMakeLists.txt)"
#endif
#define MAPENGINE_FUZZ_CONCAT3(a, b, c) a##b##c
#define MAPENGINE_FUZZ_REGISTER(family) MAPENGINE_FUZZ_CONCAT3(register_, family, _transforms)
#define MAPENGINE_FUZZ_STRING2(x) #x
#define MAPENGINE_FUZZ_STRING(x) MAPENGINE_FUZZ_STRING2(x)

namespace {

using namespace mapengine;

constexpr std::string_view kFamily = MAPENGINE_FUZZ_STRING(MAPENGINE_FUZZ_FAMILY);
constexpr size_t kMaxSteps = 8;
constexpr size_t kMaxInputs = 8;
constexpr size_t kMaxRows = 64;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "transform_%s_fuzz: invariant broken: %s\n", kFamily.data(), what.c_str());
  std::abort();
}

// The family's transforms: what its register function adds to an empty registry.
const std::vector<std::string>& family_names() {
  static const std::vector<std::string> names = [] {
    TransformRegistry family;
    MAPENGINE_FUZZ_REGISTER(MAPENGINE_FUZZ_FAMILY)(family);
    std::vector<std::string> out;
    for (const TransformInfo& info : family.all()) out.push_back(info.name);
    return out;
  }();
  return names;
}

bool in_family(std::string_view name) {
  const auto& names = family_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string family_member_for(std::string_view name) {
  size_t sum = name.size();
  for (unsigned char c : name) sum = sum * 31 + c;
  return family_names()[sum % family_names().size()];
}

bool valid_utf8(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    const utf8::Decoded d = utf8::decode(text, at);
    if (d.code_point == utf8::kInvalid) return false;
    at += d.length;
  }
  return true;
}

// True when every scalar of the header (keys included) is valid UTF-8.
bool scalars_valid_utf8(const YAML::Node& node) {
  if (node.IsScalar()) return valid_utf8(node.Scalar());
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!scalars_valid_utf8(item)) return false;
    }
  }
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (!scalars_valid_utf8(entry.first) || !scalars_valid_utf8(entry.second)) return false;
    }
  }
  return true;
}

// A step as the spec loader builds it. The first step must be of the family; later ones may be
// any registered transform (realistic pipelines such as [trim, {scale: 100}, to_int]).
spec::TransformStep step_of(const YAML::Node& node, int line, bool first_step) {
  spec::TransformStep step;
  step.where = {"fuzz.yaml", line, 1};
  if (node.IsScalar()) {
    step.name = node.Scalar();
  } else if (node.IsMap() && node.size() > 0) {
    auto first = node.begin();
    step.name = first->first.IsScalar() ? first->first.Scalar() : "";
    step.main = first->second;
    step.options = node;
  }
  const bool known =
      first_step ? in_family(step.name) : TransformRegistry::instance().find(step.name) != nullptr;
  if (!known) step.name = family_member_for(step.name);
  return step;
}

struct Result {
  Rejection rejection;
  bool null = true;
  std::string text;
  bool operator==(const Result&) const = default;
};

Result result_of(Rejection rejection, const Value& out) {
  Result result{std::move(rejection), out.is_null(), {}};
  // After a rejection the output is unspecified; only the reason counts.
  if (!result.rejection) {
    result.text = std::string(out.text());
  } else {
    result.null = true;
  }
  return result;
}

std::string shown(const Result& r) {
  if (r.rejection) return "rejected: " + *r.rejection;
  return r.null ? "NULL"
                : mapengine::quoted(r.text) + " (" + std::to_string(r.text.size()) + " bytes)";
}

bool is_hex(std::string_view text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_infinity(std::string_view text) {
  text = trim_ascii(text);
  return equals_ignore_case(text, "infinity") || equals_ignore_case(text, "-infinity");
}

// The output forms of the family's last step, for a successful non-NULL result.
void check_output_form(std::string_view step, std::string_view out, const std::string& context) {
  const auto bad = [&](std::string_view what) {
    fail(std::string(step) + " output " + mapengine::quoted(out) + " is not " + std::string(what) +
         context);
  };
  if (step == "to_int" || step == "to_numeric" || step == "scale" || step == "round") {
    if (!is_plain_decimal(out)) bad("a number in plain notation");
    if (step == "to_int") {
      int64_t ignored;
      auto [end, ec] = std::from_chars(out.data(), out.data() + out.size(), ignored);
      if (ec != std::errc() || end != out.data() + out.size()) bad("a bigint");
    }
  } else if (step == "parse_date") {
    std::string why;
    auto parsed = parse_timestamp_text(out, why);
    if (out.size() != 10 || !parsed || parsed->has_time || parsed->offset) bad("a YYYY-MM-DD date");
  } else if (step == "parse_timestamp" || step == "assume_timezone" || step == "convert_timezone" ||
             step == "from_epoch") {
    if (step != "parse_timestamp" && step != "from_epoch" && is_infinity(out)) return;
    std::string why;
    if (!parse_timestamp_text(out, why)) bad("a timestamp that reads back (" + why + ")");
    if ((step == "assume_timezone" || step == "from_epoch") && !out.ends_with("+00")) {
      bad("a timestamp in UTC (+00)");
    }
  } else if (step == "md5" || step == "sha256") {
    if (!is_hex(out, step == "md5" ? 32 : 64)) bad("a lower-case hex digest");
  } else if (step == "uuid_v4" || step == "uuid_v5") {
    if (out.size() != 36 || !parse_uuid(out) || format_uuid(*parse_uuid(out)) != out) {
      bad("a UUID in PostgreSQL's text form");
    }
  } else if (step == "boolean") {
    if (out != "true" && out != "false") bad("true or false");
  } else if (step == "each" || step == "split_array") {
    mapengine::pg::ArrayElements elements;
    if (auto why = mapengine::pg::parse_array_literal(out, elements)) {
      bad("an array literal that reads back (" + *why + ")");
    }
  }
}

// Transforms for which f(f(x)) == f(x) whatever their arguments.
bool idempotent(std::string_view name) {
  static constexpr std::string_view kNames[] = {"trim",   "ltrim",      "rtrim",   "lower",
                                                "upper",  "null_if",    "default", "truncate",
                                                "to_int", "to_numeric", "round"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

struct Checks {
  const ColumnPipeline& pipeline;
  bool deterministic;   // no uuid_v4 step
  bool utf8_arguments;  // every header scalar is valid UTF-8 and no pattern uses \C
};

void check_row(const Checks& checks, std::span<const Value> inputs, Value& reused,
               const RowContext& row, const std::string& context) {
  const auto& steps = checks.pipeline.describe();
  Value fresh;
  const Result first = result_of(checks.pipeline.run(inputs, fresh, row), fresh);

  if (first.rejection) {
    const std::string& reason = *first.rejection;
    const bool named = std::any_of(steps.begin(), steps.end(), [&](const auto& step) {
      return reason.starts_with(step.name + ": ");
    });
    if (!named) fail("rejection without its step's name: '" + reason + "'" + context);
  }

  if (checks.deterministic) {
    const Result again = result_of(checks.pipeline.run(inputs, reused, row), reused);
    if (!(again == first)) {
      fail("a reused output Value gives " + shown(again) + ", a fresh one " + shown(first) +
           context);
    }
  }
  if (first.rejection || first.null) return;

  const bool inputs_utf8 = std::all_of(inputs.begin(), inputs.end(), [](const Value& v) {
    return v.is_null() || valid_utf8(v.text());
  });
  if (checks.utf8_arguments && inputs_utf8 && !valid_utf8(first.text)) {
    fail("valid UTF-8 in, invalid UTF-8 out: " + shown(first) + context);
  }

  const bool single_step = steps.size() == 1 && !steps[0].combiner && inputs.size() == 1;
  if (single_step && !inputs[0].is_null() && first.text == inputs[0].text() &&
      fresh.text().data() != inputs[0].text().data()) {
    fail(steps[0].name + " copied a value it did not change" + context);
  }
  if (single_step && idempotent(steps[0].name)) {
    const Value once = Value::view(first.text);
    Value twice;
    const Rejection rejection = checks.pipeline.run(std::span<const Value>(&once, 1), twice, row);
    const Result second = result_of(rejection, twice);
    if (!(second == first)) {
      fail(steps[0].name + " is not idempotent: once " + shown(first) + ", twice " + shown(second) +
           context);
    }
  }

  if (!steps.empty()) check_output_form(steps.back().name, first.text, context);
  if (!steps.empty() && steps.back().name == "json_object" && checks.utf8_arguments &&
      inputs_utf8) {
    const auto parsed = nlohmann::json::parse(first.text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      fail("json_object output is not a JSON object: " + shown(first) + context);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string header(input.substr(0, newline));
  std::string_view body = newline == std::string_view::npos ? "" : input.substr(newline + 1);

  YAML::Node root;
  try {
    root = YAML::Load(header);
  } catch (const YAML::Exception&) {
    return -1;  // not a header: keep it out of the corpus
  }

  // The column: its steps and from-columns.
  // (Initialised, never assigned: assigning a yaml-cpp Node writes into the node it refers to.)
  const YAML::Node& header_node = root;
  const bool case_form = header_node.IsMap() && header_node["steps"];
  const YAML::Node steps_node = case_form ? header_node["steps"] : header_node;
  const YAML::Node from_node = case_form ? header_node["from"] : YAML::Node();
  spec::ColumnSpec column;
  column.name = "target";
  column.where = {"fuzz.yaml", 1, 1};
  if (steps_node.IsSequence()) {
    for (const auto& node : steps_node) {
      if (column.transforms.size() == kMaxSteps) break;
      const int line = static_cast<int>(column.transforms.size()) + 2;
      column.transforms.push_back(step_of(node, line, column.transforms.empty()));
    }
  } else {
    column.transforms.push_back(step_of(steps_node, 2, true));
  }
  if (from_node.IsDefined() && from_node.IsSequence()) {
    for (const auto& name : from_node) {
      if (column.from.size() == kMaxInputs) break;
      column.from.push_back(name.IsScalar() ? name.Scalar() : "");
    }
  }
  if (column.from.empty()) {
    const TransformInfo* first =
        column.transforms.empty() ? nullptr
                                  : TransformRegistry::instance().find(column.transforms[0].name);
    if (first != nullptr && first->is_combiner()) {
      column.from = {"a", "b", "c"};
    } else {
      column.from = {"value"};
    }
  }

  Diagnostics diagnostics;
  const auto pipeline = ColumnPipeline::compile(column, diagnostics);
  if ((pipeline == nullptr) != (diagnostics.error_count() > 0)) {
    fail("compile returned " + std::string(pipeline ? "a pipeline" : "nothing") + " with " +
         std::to_string(diagnostics.error_count()) + " errors");
  }
  for (const auto& diagnostic : diagnostics.items()) {
    if (diagnostic.message.empty()) fail("a diagnostic without a message: " + diagnostic.rule);
  }
  if (pipeline == nullptr) return 0;

  // The values, each an owned copy viewed by its Value (as rows view the source's buffer).
  std::vector<std::string> texts;
  std::vector<bool> nulls;
  while (!body.empty() && texts.size() < kMaxRows * column.from.size()) {
    const size_t end = body.find('\n');
    const std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? "" : body.substr(end + 1);
    Value decoded;
    if (!CopyTextDecoder::decode_field(line, decoded)) decoded = Value::view(line);
    texts.emplace_back(decoded.text());
    nulls.push_back(decoded.is_null());
  }
  const size_t width = column.from.size();
  while (texts.empty() || texts.size() % width != 0) {
    texts.emplace_back();
    nulls.push_back(true);
  }

  bool deterministic = true;
  for (const auto& step : pipeline->describe()) deterministic &= step.name != "uuid_v4";
  const Checks checks{*pipeline, deterministic,
                      scalars_valid_utf8(root) && header.find("\\C") == std::string::npos};

  Value reused;  // lives across rows, like the apply loop's output Value
  std::vector<Value> inputs(width);
  for (size_t first = 0; first < texts.size(); first += width) {
    for (size_t i = 0; i < width; ++i) {
      inputs[i] = nulls[first + i] ? Value::null() : Value::view(texts[first + i]);
    }
    const std::string legacy_key = texts[first];
    const RowContext row{"fuzz", "public.fuzz", legacy_key};
    const std::string context = " (pipeline " + pipeline->describe_line() + ", row " +
                                std::to_string(first / width + 1) + ")";
    check_row(checks, inputs, reused, row, context);
  }
  return 0;
}
