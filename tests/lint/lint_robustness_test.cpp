// Hostile input: whatever the bytes, lint reports a clear error and never crashes, hangs or
// exhausts the stack (these also run under AddressSanitizer).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/lint/semantic_rules.h"
#include "engine/spec/schema_validator.h"
#include "engine/spec/spec_loader.h"
#include "tests/support/test_database.h"

using mapengine::Diagnostics;
namespace lint = mapengine::lint;
namespace spec = mapengine::spec;

namespace {

// Lints `text` as one file the way `mapengine lint` does; returns the rules reported.
std::vector<std::string> lint_text(const std::string& text) {
  std::string dir = mapengine::testing::scratch_dir("robust");
  std::string path = dir + "/input.yaml";
  std::ofstream(path, std::ios::binary) << text;
  Diagnostics diagnostics;
  auto project = spec::load_project({path}, diagnostics);
  lint::check_project(project, diagnostics);
  std::vector<std::string> rules;
  for (const auto& d : diagnostics.items()) {
    INFO(d.to_string());
    CHECK(d.where.file == path);
    CHECK(!d.message.empty());
    rules.push_back(d.rule);
  }
  return rules;
}

bool has(const std::vector<std::string>& rules, const std::string& rule) {
  return std::find(rules.begin(), rules.end(), rule) != rules.end();
}

const char* kValid = R"(version: 1
table: public.t
source: { query: "SELECT id FROM t", key: id }
target: { legacy_key: legacy_id }
columns:
  id: { generate: uuid }
  legacy_id: { from: id }
)";

}  // namespace

TEST_CASE("lint answers input on which yaml-cpp's LoadAll never returns (found by fuzzing)",
          "[lint]") {
  for (const char* text : {"''!,", "'',", "a: 1\n---\n'',\n"}) {
    INFO(text);
    CHECK(lint_text(text).size() == 1);
  }
}

TEST_CASE("lint refuses an empty file (no bytes at all) with empty-file", "[lint]") {
  CHECK(lint_text("") == std::vector<std::string>{"empty-file"});
}

TEST_CASE("lint reports malformed YAML with its line and column", "[lint]") {
  Diagnostics diagnostics;
  auto parsed = spec::parse_text("bad.yaml", "version: 1\ncolumns: { a: [ }\n", diagnostics);
  CHECK(!parsed);
  REQUIRE(diagnostics.items().size() == 1);
  CHECK(diagnostics.items()[0].rule == "yaml-syntax");
  CHECK(diagnostics.items()[0].where.line == 2);
}

TEST_CASE("lint survives binary garbage with and without NUL bytes", "[lint]") {
  std::mt19937 random(20240611);
  for (int round = 0; round < 50; ++round) {
    std::string bytes(1 + random() % 2000, '\0');
    for (char& c : bytes) c = static_cast<char>(random() % 256);
    if (round % 2 == 0) std::replace(bytes.begin(), bytes.end(), '\0', '\x01');
    auto rules = lint_text(bytes);
    CHECK(!rules.empty());
  }
  CHECK(lint_text(std::string("version: 1\0\0\0", 13)) == std::vector<std::string>{"not-yaml"});
}

TEST_CASE("lint refuses a file over 4 MiB without reading it as YAML", "[lint]") {
  std::string huge(spec::kMaxSpecFileBytes + 1, '#');
  CHECK(lint_text(huge) == std::vector<std::string>{"file-too-large"});
  Diagnostics diagnostics;
  CHECK(!spec::parse_text("huge.yaml", huge, diagnostics));
  CHECK(diagnostics.items().at(0).rule == "file-too-large");
}

TEST_CASE("lint handles a large but legal file (3 MiB of columns) in reasonable time", "[lint]") {
  std::string text = kValid;
  for (int i = 0; text.size() < 3 * 1024 * 1024; ++i) {
    text += "  c" + std::to_string(i) + ": { value: \"" + std::string(40, 'x') + "\" }\n";
  }
  auto rules = lint_text(text);
  CHECK(rules.empty());
}

TEST_CASE("lint: deeply nested input (100k brackets) is a clear error, not a stack overflow",
          "[lint]") {
  for (std::string open : {"[", "{", "- ", "{a: "}) {
    INFO(open);
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += open;
    auto rules = lint_text(deep);
    REQUIRE(rules.size() == 1);
    CHECK((rules[0] == "too-complex" || rules[0] == "yaml-syntax"));
  }
}

TEST_CASE("lint: nesting beyond 256 levels in a valid document is refused as too-complex",
          "[lint]") {
  std::string nested = "[";
  for (int i = 0; i < 300; ++i) nested += "[";
  nested += std::string(301, ']');
  std::string text =
      std::string(kValid) + "  x: { value: 1, transform: [{ map: " + nested + " }] }\n";
  CHECK(lint_text(text) == std::vector<std::string>{"too-complex"});

  std::string ok = "[";
  for (int i = 0; i < 100; ++i) ok += "[";
  ok += std::string(101, ']');
  auto rules =
      lint_text(std::string(kValid) + "  x: { value: \"a\", transform: [{ map: " + ok + " }] }\n");
  CHECK(!has(rules, "too-complex"));
}

TEST_CASE("lint: alias bombs and self-referencing aliases are refused as too-complex", "[lint]") {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  CHECK(lint_text(bomb) == std::vector<std::string>{"too-complex"});
  CHECK(lint_text("version: 1\nloop: &l { again: *l }\n") ==
        std::vector<std::string>{"too-complex"});
  CHECK(lint_text("&k [*k]: 1\n") == std::vector<std::string>{"too-complex"});
}

TEST_CASE("lint: a very long string value is validated without deep regex recursion", "[lint]") {
  std::string text = std::string(kValid) + "max_rejects: \"" + std::string(1000000, '9') + "\"\n";
  CHECK(lint_text(text) == std::vector<std::string>{"schema-pattern"});
  text = std::string(kValid) + "max_rejects: \"" + std::string(1000, '9') + "x\"\n";
  CHECK(lint_text(text) == std::vector<std::string>{"schema-pattern"});
  // A long value where no pattern applies is fine (a 1 MB query).
  text = std::string(kValid) + "name: \"" + std::string(1000000, 'n') + "\"\n";
  CHECK(lint_text(text).empty());
}

TEST_CASE("lint: odd but legal YAML: tags, anchors, complex keys, non-string keys", "[lint]") {
  CHECK(lint_text(std::string(kValid) + "batch_size: !!int 500\n").empty());
  CHECK(lint_text(std::string(kValid) + "batch_size: 0x1F4\n").empty());
  CHECK(lint_text(std::string(kValid) + "batch_size: !!str 500\n") ==
        std::vector<std::string>{"schema-type"});
  CHECK(lint_text(std::string(kValid) + "  ? [a, b]\n  : { from: id }\n") ==
        std::vector<std::string>{"schema-type"});
  CHECK(lint_text(std::string(kValid) + "  123: { from: id }\n").empty());
  // An escaped lone surrogate is not a character: yaml-cpp refuses it at its position (and the
  // schema validator repairs any ill-formed UTF-8 that would get through, for valijson's sake).
  CHECK(lint_text(std::string(kValid) + "name: \"\\uD800x\"\n") ==
        std::vector<std::string>{"yaml-syntax"});
  CHECK(lint_text(std::string(kValid) + "  \"\\uDFFF\": { from: id }\n") ==
        std::vector<std::string>{"yaml-syntax"});
  CHECK(lint_text(std::string(kValid) + "  n: { from: id, lookup: { table: t, on_missing: ~ } }\n")
            .empty());
}

TEST_CASE("lint: the compiled-in schema is the file in schemas/", "[lint]") {
  std::ifstream in(std::string(MAPENGINE_SOURCE_DIR) + "/schemas/mapping.schema.json");
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(spec::mapping_schema_json() == file);
}

TEST_CASE("lint: a mapping with every kind of check (named or not) lints clean", "[lint]") {
  std::string text = std::string(kValid) + R"(checks:
  - not_null: [legacy_id]
  - { name: ids are unique, unique: [legacy_id] }
  - accepted_values: { column: legacy_id, values: [1, 2, 3] }
  - row_count: { min: 1 }
  - sql: SELECT 1 WHERE false
)";
  CHECK(lint_text(text).empty());
}

TEST_CASE("an unterminated double quote is a syntax error where the quote opened", "[lint]") {
  std::string dir = mapengine::testing::scratch_dir("robust-quote");
  std::string path = dir + "/input.yaml";
  std::ofstream(path, std::ios::binary) << "version: 1\ntable: public.t\nsource:\n"
                                           "  query: \"SELECT 1\n  key: id\ncolumns:\n"
                                           "  id: { generate: uuid }\n";
  Diagnostics diagnostics;
  auto project = spec::load_project({path}, diagnostics);
  lint::check_project(project, diagnostics);
  REQUIRE(diagnostics.items().size() == 1);
  const auto& d = diagnostics.items()[0];
  CHECK(d.rule == "yaml-syntax");
  CHECK(d.where.line == 4);
  CHECK(d.where.column == 10);
  CHECK(d.message.find("never closed") != std::string::npos);
  // A closed string over several lines, and quotes inside plain and single-quoted text, pass.
  CHECK(lint_text("version: 1\ntable: public.t\nsource:\n  query: \"SELECT id, \\\"a\\\",\n    "
                  "b FROM t\"\n  key: id\ntarget: { legacy_key: legacy_id }\ncolumns:\n"
                  "  id: { generate: uuid }\n  legacy_id: { from: id }\n  note: { value: "
                  "'say \"hi' }\n  other: { value: it\"s }\n")
            .empty());
}

TEST_CASE("a file that fails to load is reported once: lookups into its table are not unknown",
          "[lint]") {
  std::string dir = mapengine::testing::scratch_dir("robust-cascade");
  // tags.yaml breaks the schema; cases.yaml is not even YAML.
  std::ofstream(dir + "/tags.yaml") << "version: 1\ntable: public.tags\nbatchsize: 5\n"
                                       "source: { table: tags, key: code }\n"
                                       "target: { legacy_key: legacy_code }\ncolumns:\n"
                                       "  id: { generate: uuid }\n  legacy_code: { from: code }\n";
  std::ofstream(dir + "/cases.yaml") << "version: 1\ntable: [public.cases\n";
  std::ofstream(dir + "/case_tags.yaml")
      << "version: 1\ntable: public.case_tags\n"
         "source: { query: \"SELECT case_id, tag_code FROM case_tags\", key: [case_id, tag_code] "
         "}\ntarget: { id_column: [case_id, tag_id] }\ndepends_on: [tags]\ncolumns:\n"
         "  case_id: { from: case_id, lookup: cases }\n"
         "  tag_id: { from: tag_code, lookup: public.tags }\n";
  Diagnostics diagnostics;
  auto project = spec::load_project({dir}, diagnostics);
  lint::check_project(project, diagnostics);
  std::vector<std::string> found;
  for (const auto& d : diagnostics.items()) found.push_back(d.to_string());
  INFO(fmt::format("{}", fmt::join(found, "\n")));
  REQUIRE(diagnostics.items().size() == 2);
  for (const auto& d : diagnostics.items()) {
    CHECK(d.rule != "unknown-lookup-table");
    CHECK(d.rule != "unknown-dependency");
    CHECK(d.where.file.find("case_tags.yaml") == std::string::npos);
  }
}
