#include <catch2/catch.hpp>

#include "tests/support/test_database.h"

using mapengine::testing::run_mapengine;

TEST_CASE("mapengine --version prints the version", "[cli]") {
  auto result = run_mapengine("--version");
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("mapengine " MAPENGINE_VERSION) != std::string::npos);
}

TEST_CASE("mapengine --help lists every subcommand", "[cli]") {
  auto result = run_mapengine("--help");
  CHECK(result.exit_code == 0);
  for (const char* sub : {"lint", "apply", "validate", "report", "explain", "scaffold", "reset",
                          "status", "rejects"}) {
    INFO(sub);
    CHECK(result.out.find(sub) != std::string::npos);
  }
}

TEST_CASE("an unknown subcommand is a usage error with exit code 2", "[cli]") {
  auto result = run_mapengine("frobnicate");
  CHECK(result.exit_code == 2);
}

TEST_CASE("mapengine transforms lists the registry and suggests close names", "[cli]") {
  auto all = run_mapengine("transforms");
  CHECK(all.exit_code == 0);
  for (const char* name : {"trim", "assume_timezone", "scale", "uuid_v5", "json_object"}) {
    INFO(name);
    CHECK(all.out.find(name) != std::string::npos);
  }
  auto unknown = run_mapengine("transforms trimm");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.out.find("did you mean trim") != std::string::npos);
}
