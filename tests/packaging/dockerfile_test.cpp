// Static checks of the Dockerfile (no image can be built in the test environment): two stages on
// debian:12-slim; the final one installs only the package the first built (apt resolves its
// declared runtime libraries), runs as a non-root user, and has mapengine as its entrypoint.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"

using mapengine::testing::read_file;

namespace {

// The Dockerfile's instructions, continuation lines joined, comments dropped.
std::vector<std::string> instructions(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  std::string line, current;
  while (std::getline(lines, line)) {
    if (current.empty() && (line.empty() || line[0] == '#')) continue;
    if (!line.empty() && line.back() == '\\') {
      current += line.substr(0, line.size() - 1);
      continue;
    }
    out.push_back(current + line);
    current.clear();
  }
  return out;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

TEST_CASE("the Dockerfile: debian:12-slim stages, the package alone, a non-root user",
          "[packaging]") {
  const std::string text = read_file(std::string(MAPENGINE_SOURCE_DIR) + "/Dockerfile");
  REQUIRE(!text.empty());
  std::vector<std::vector<std::string>> stages;
  for (const auto& instruction : instructions(text)) {
    if (starts_with(instruction, "FROM ")) {
      CHECK(starts_with(instruction, "FROM debian:12-slim"));
      stages.emplace_back();
    }
    REQUIRE(!stages.empty());
    stages.back().push_back(instruction);
  }
  REQUIRE(stages.size() == 2);
  CHECK(stages[0][0] == "FROM debian:12-slim AS build");

  bool installs_package = false, copies_package = false;
  std::string user, entrypoint;
  for (const auto& instruction : stages[1]) {
    INFO(instruction);
    if (starts_with(instruction, "COPY ")) {
      CHECK(starts_with(instruction, "COPY --from=build /mapengine.deb "));
      copies_package = true;
    }
    if (starts_with(instruction, "RUN ")) {
      CHECK(instruction.find("-dev") == std::string::npos);
      CHECK(instruction.find("build-essential") == std::string::npos);
      if (instruction.find("apt-get install -y --no-install-recommends /tmp/mapengine.deb") !=
          std::string::npos) {
        installs_package = true;
        // Only the package is named: apt brings the libraries it declares, nothing else.
        const auto install = instruction.find("apt-get install");
        const auto end = instruction.find("&&", install);
        CHECK(instruction.substr(install, end - install).find("lib") == std::string::npos);
      }
    }
    if (starts_with(instruction, "USER ")) user = instruction.substr(5);
    if (starts_with(instruction, "ENTRYPOINT ")) entrypoint = instruction.substr(11);
  }
  CHECK(copies_package);
  CHECK(installs_package);
  CHECK(!user.empty());
  CHECK(user != "root");
  CHECK(user != "0");
  CHECK(entrypoint == "[\"mapengine\"]");
  // The build stage makes the package the way scripts/build-package.sh does.
  bool cpack = false;
  for (const auto& instruction : stages[0]) {
    if (instruction.find("cpack -G DEB") != std::string::npos) cpack = true;
  }
  CHECK(cpack);
}
