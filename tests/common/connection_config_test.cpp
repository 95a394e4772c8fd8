#include "engine/common/connection_config.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "tests/support/test_database.h"

using mapengine::parse_dotenv;
using mapengine::resolve_connections;

namespace {
std::string write_dotenv(const std::string& text) {
  std::string path = mapengine::testing::scratch_dir("dotenv") + "/.env";
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("dotenv parsing handles comments, export, quotes and inline comments", "[config]") {
  auto values = parse_dotenv(
      "# comment\n"
      "\n"
      "export MAPENGINE_SOURCE_URL=postgres://u@h/legacy  # the old one\n"
      "MAPENGINE_TARGET_URL=\"host=x dbname=y password=a#b\"\n"
      "SINGLE='keep $this \\n verbatim'\n"
      "ESCAPED=\"line\\nnext \\\"q\\\"\"\n"
      "not a line\n"
      "1BAD=x\n"
      "  SPACED  =  value  \n");
  CHECK(values["MAPENGINE_SOURCE_URL"] == "postgres://u@h/legacy");
  CHECK(values["MAPENGINE_TARGET_URL"] == "host=x dbname=y password=a#b");
  CHECK(values["SINGLE"] == "keep $this \\n verbatim");
  CHECK(values["ESCAPED"] == "line\nnext \"q\"");
  CHECK(values["SPACED"] == "value");
  CHECK(values.count("1BAD") == 0);
  CHECK(values.size() == 5);
}

TEST_CASE("connections come from flags, then environment, then .env", "[config]") {
  std::string dotenv = write_dotenv(
      "MAPENGINE_SOURCE_URL=from-dotenv-source\nMAPENGINE_TARGET_URL=from-dotenv-target\n");
  unsetenv("MAPENGINE_SOURCE_URL");
  unsetenv("MAPENGINE_TARGET_URL");

  auto from_file = resolve_connections(std::nullopt, std::nullopt, dotenv);
  CHECK(from_file.source == "from-dotenv-source");
  CHECK(from_file.target == "from-dotenv-target");

  setenv("MAPENGINE_SOURCE_URL", "from-env", 1);
  setenv("MAPENGINE_TARGET_URL", "", 1);  // empty counts as unset
  auto from_env = resolve_connections(std::nullopt, std::nullopt, dotenv);
  CHECK(from_env.source == "from-env");
  CHECK(from_env.target == "from-dotenv-target");

  auto from_flags = resolve_connections("flag-source", "flag-target", dotenv);
  CHECK(from_flags.source == "flag-source");
  CHECK(from_flags.target == "flag-target");

  unsetenv("MAPENGINE_SOURCE_URL");
  unsetenv("MAPENGINE_TARGET_URL");
  auto nothing = resolve_connections(std::nullopt, std::nullopt, dotenv + ".missing");
  CHECK(nothing.source.empty());
  CHECK(nothing.target.empty());
}
