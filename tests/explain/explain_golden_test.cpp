// `mapengine explain` on the fixture mappings of tests/data/explain: for every mapping file X.yaml
// (files starting with "_" are context), the text output must equal X.expected.txt and the JSON
// output X.expected.json, byte for byte. A new case is a new file pair.
//
// After an intended change of the output, regenerate and review the diff:
//   MAPENGINE_UPDATE_GOLDEN=1 build/tests/mapengine_tests '[explain]'
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/test_database.h"

using mapengine::testing::CommandResult;
using mapengine::testing::run_mapengine;

namespace {

namespace fs = std::filesystem;

const std::string kData = std::string(MAPENGINE_TEST_DATA) + "/explain";

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void compare(const fs::path& expected, const std::string& actual) {
  const char* update = std::getenv("MAPENGINE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(expected) << actual;
    WARN("updated " << expected.string());
    return;
  }
  INFO("expected output: " << expected.string());
  REQUIRE(fs::exists(expected));
  CHECK(actual == read(expected));
}

}  // namespace

TEST_CASE("explain output matches the golden files for every fixture mapping", "[explain]") {
  std::vector<fs::path> mappings;
  for (const auto& entry : fs::directory_iterator(kData)) {
    const fs::path& path = entry.path();
    if (path.extension() == ".yaml" && path.filename().string()[0] != '_') {
      mappings.push_back(path);
    }
  }
  std::sort(mappings.begin(), mappings.end());
  REQUIRE(mappings.size() >= 3);
  for (const auto& mapping : mappings) {
    const std::string name = mapping.filename().string();
    const std::string stem = mapping.stem().string();
    INFO(name);
    // Without --db nothing connects: no database in the environment.
    CommandResult text = run_mapengine("explain " + name, "", kData);
    CHECK(text.exit_code == 0);
    compare(fs::path(kData) / (stem + ".expected.txt"), text.out);
    CommandResult json = run_mapengine("explain --format json " + name, "", kData);
    CHECK(json.exit_code == 0);
    compare(fs::path(kData) / (stem + ".expected.json"), json.out);
  }
}

TEST_CASE("explain refuses a file with lint errors and names them", "[explain]") {
  std::string dir = mapengine::testing::scratch_dir("explain");
  std::ofstream(dir + "/bad.yaml") << "version: 1\ntable: t\nsource: { query: SELECT 1 AS id, "
                                      "key: id }\ncolumns:\n  a: { from: id, transform: [nope] }\n";
  CommandResult r = run_mapengine("explain bad.yaml", "", dir);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("unknown-transform") != std::string::npos);
  CHECK(r.out.find("explain shows a mapping that lints clean") != std::string::npos);
  CommandResult missing = run_mapengine("explain nothing.yaml", "", dir);
  CHECK(missing.exit_code == 2);
}
