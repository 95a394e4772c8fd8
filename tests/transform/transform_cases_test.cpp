// Runs the transform cases in tests/data/transforms/*.yaml. Each file is a list of cases:
//
//   - name: optional description
//     step: { truncate: 3 }          # one step as in a mapping file, or
//     steps: [trim, lower]           # several
//     from: [first, last]            # optional from-column names (default: a, b, c, ... by
//                                    # the number of inputs; one input is "value")
//     row: { table: public.t, legacy_key: "42" }   # optional RowContext
//     inputs: ["x", ~]               # ~ is NULL
//     expect: "y"                    # or ~ for NULL; or
//     expect_match: "^regex$"        # (RE2, for random output); or
//     reject: "substring of the rejection"
//     diagnostic: rule-id            # a lint case: compile reports this rule
//     message: "substring"           # ... with this in its message (optional)
//
// A text anywhere (inputs, expect, row values) may be generated instead of written:
//   { repeat: "ab", times: 1000, prefix: "<", suffix: ">" }, { hex: "41ff" } (raw bytes), or
//   { concat: [text, text, ...] }.
//
// Besides the expected value, every case checks the no-copy rule: a single-input pipeline whose
// output equals its input must still point at the input's buffer.
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/registry.h"

namespace fs = std::filesystem;
using mapengine::ColumnPipeline;
using mapengine::Diagnostics;
using mapengine::RowContext;
using mapengine::Severity;
using mapengine::SourceLocation;
using mapengine::Value;
namespace spec = mapengine::spec;

namespace {

fs::path cases_dir() { return fs::path(MAPENGINE_TEST_DATA) / "transforms"; }

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(cases_dir())) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

SourceLocation location_of(const YAML::Node& node, const fs::path& file) {
  const YAML::Mark mark = node.Mark();
  return {file.filename().string(), mark.line + 1, mark.column + 1};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw std::runtime_error(std::string("bad hex digit ") + c);
}

// A written or generated text; nullopt for ~.
std::optional<std::string> text_of(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (node.IsScalar()) return node.Scalar();
  if (node.IsMap() && node["hex"]) {
    const std::string hex = node["hex"].Scalar();
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<char>(hex_digit(hex[i]) * 16 + hex_digit(hex[i + 1])));
    }
    return bytes;
  }
  if (node.IsMap() && node["concat"]) {
    std::string out;
    for (const auto& part : node["concat"]) out += text_of(part).value_or("");
    return out;
  }
  if (node.IsMap() && node["repeat"]) {
    std::string out = node["prefix"] ? node["prefix"].Scalar() : "";
    const std::string unit = node["repeat"].Scalar();
    const int times = node["times"].as<int>();
    out.reserve(out.size() + unit.size() * static_cast<size_t>(times));
    for (int i = 0; i < times; ++i) out += unit;
    if (node["suffix"]) out += node["suffix"].Scalar();
    return out;
  }
  throw std::runtime_error("a text is a scalar, ~, { repeat: ... }, { hex: ... } or { concat: ... }");
}

// The same shape the spec loader builds: a bare name, or a map whose first key is the name.
spec::TransformStep step_of(const YAML::Node& node, const fs::path& file) {
  spec::TransformStep step;
  step.where = location_of(node, file);
  if (node.IsScalar()) {
    step.name = node.Scalar();
  } else if (node.IsMap() && node.size() > 0) {
    auto first = node.begin();
    step.name = first->first.Scalar();
    step.main = first->second;
    step.options = node;
  }
  return step;
}

std::string shown(const std::optional<std::string>& text) {
  if (!text) return "NULL";
  if (text->size() > 200) return "'" + text->substr(0, 200) + "...' (" + std::to_string(text->size()) + " bytes)";
  return "'" + *text + "'";
}

std::string first_step_name(const YAML::Node& c) {
  if (c["step"]) return c["step"].IsScalar() ? c["step"].Scalar() : c["step"].begin()->first.Scalar();
  if (c["steps"] && c["steps"].size() > 0) {
    const YAML::Node s = c["steps"][0];
    return s.IsScalar() ? s.Scalar() : s.begin()->first.Scalar();
  }
  return {};
}

void run_case(const YAML::Node& c, const fs::path& file) {
  const SourceLocation where = location_of(c, file);
  INFO("case at " << where.to_string() << (c["name"] ? " (" + c["name"].Scalar() + ")" : ""));

  std::vector<std::optional<std::string>> inputs;
  if (c["inputs"]) {
    for (const auto& input : c["inputs"]) inputs.push_back(text_of(input));
  }
  spec::ColumnSpec column;
  column.name = "target";
  column.where = where;
  if (c["from"]) {
    for (const auto& name : c["from"]) column.from.push_back(name.Scalar());
  } else if (inputs.size() == 1) {
    column.from.push_back("value");
  } else {
    for (size_t i = 0; i < inputs.size(); ++i) column.from.push_back(std::string(1, char('a' + i)));
  }
  if (c["step"]) column.transforms.push_back(step_of(c["step"], file));
  if (c["steps"]) {
    for (const auto& s : c["steps"]) column.transforms.push_back(step_of(s, file));
  }

  Diagnostics diagnostics;
  auto pipeline = ColumnPipeline::compile(column, diagnostics);
  for (const auto& d : diagnostics.items()) UNSCOPED_INFO("diagnostic: " << d.to_string());

  if (c["diagnostic"]) {
    const std::string rule = c["diagnostic"].Scalar();
    const auto found = std::find_if(diagnostics.items().begin(), diagnostics.items().end(),
                                    [&](const auto& d) { return d.rule == rule; });
    CHECK(found != diagnostics.items().end());
    if (found == diagnostics.items().end()) return;
    if (c["message"]) CHECK_THAT(found->message, Catch::Contains(c["message"].Scalar()));
    if (found->severity == Severity::kError) {
      CHECK(pipeline == nullptr);
      return;
    }
    if (!c["inputs"]) return;
  } else {
    CHECK(diagnostics.items().empty());
  }
  CHECK(pipeline != nullptr);
  CHECK(column.from.size() == inputs.size());
  if (pipeline == nullptr || column.from.size() != inputs.size()) return;

  std::vector<Value> values;
  for (const auto& input : inputs) values.push_back(input ? Value::view(*input) : Value::null());
  std::string table, legacy_key, mapping;
  if (c["row"]) {
    table = text_of(c["row"]["table"]).value_or("");
    legacy_key = text_of(c["row"]["legacy_key"]).value_or("");
    mapping = text_of(c["row"]["mapping"]).value_or("");
  }
  const RowContext row{mapping, table, legacy_key};
  Value out;
  const mapengine::Rejection rejection = pipeline->run(values, out, row);
  const std::optional<std::string> got =
      out.is_null() ? std::nullopt : std::optional<std::string>(std::string(out.text()));

  if (c["reject"]) {
    INFO("got " << shown(got));
    CHECK(rejection.has_value());
    if (rejection) CHECK_THAT(*rejection, Catch::Contains(c["reject"].Scalar()));
    return;
  }
  INFO("rejection: " << rejection.value_or("none"));
  CHECK_FALSE(rejection.has_value());
  if (rejection) return;
  if (c["expect_match"]) {
    INFO("got " << shown(got));
    CHECK((got && RE2::PartialMatch(*got, RE2(c["expect_match"].Scalar()))));
  } else {
    CHECK(c["expect"].IsDefined());
    CHECK(shown(got) == shown(text_of(c["expect"])));
  }

  const bool combines = !pipeline->describe().empty() && pipeline->describe()[0].combiner;
  if (inputs.size() == 1 && inputs[0] && got == inputs[0] && !combines) {
    INFO("an unchanged value must not be copied");
    CHECK(static_cast<const void*>(out.text().data()) ==
          static_cast<const void*>(inputs[0]->data()));
  }
}

}  // namespace

TEST_CASE("transform cases in tests/data/transforms give the written results", "[transform]") {
  const auto files = case_files();
  REQUIRE_FALSE(files.empty());
  for (const fs::path& file : files) {
    const YAML::Node cases = YAML::LoadFile(file.string());
    REQUIRE(cases.IsSequence());
    for (const auto& c : cases) {
      try {
        run_case(c, file);
      } catch (const std::exception& e) {
        FAIL_CHECK(location_of(c, file).to_string() << ": " << e.what());
      }
    }
  }
}

TEST_CASE("every transform has cases, with NULL and empty-string inputs among them",
          "[transform]") {
  std::map<std::string, std::set<std::string>> seen;  // transform -> "null", "empty", "case"
  for (const fs::path& file : case_files()) {
    for (const auto& c : YAML::LoadFile(file.string())) {
      const std::string name = first_step_name(c);
      seen[name].insert("case");
      if (!c["inputs"]) continue;
      for (const auto& input : c["inputs"]) {
        if (input.IsNull()) seen[name].insert("null");
        if (input.IsScalar() && input.Scalar().empty()) seen[name].insert("empty");
      }
    }
  }
  for (const auto& info : mapengine::TransformRegistry::instance().all()) {
    INFO("transform " << info.name);
    CHECK(seen[info.name].count("case") == 1);
    CHECK(seen[info.name].count("null") == 1);
    CHECK(seen[info.name].count("empty") == 1);
  }
}
