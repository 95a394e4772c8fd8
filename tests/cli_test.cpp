#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/test_database.h"

using mapengine::testing::run_mapengine;
using mapengine::testing::run_shell;
using mapengine::testing::shell_quote;

TEST_CASE("mapengine --version names the release and the commit it was built from", "[cli]") {
  auto result = run_mapengine("--version");
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("mapengine " MAPENGINE_VERSION " (commit ") != std::string::npos);
  // In a git checkout, the commit is HEAD's (CMake configures again when HEAD moves).
  auto head = run_shell("git -C " + shell_quote(MAPENGINE_SOURCE_DIR) +
                        " rev-parse --short=12 HEAD 2>/dev/null");
  if (head.exit_code == 0 && head.out.size() > 1) {
    head.out.pop_back();  // the newline
    CHECK(result.out.find("(commit " + head.out + ")") != std::string::npos);
  } else {
    CHECK(result.out.find("(commit unknown)") != std::string::npos);
  }
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

TEST_CASE("lint --strict fails on warnings, and without it warnings pass", "[cli]") {
  // Each file alone in a folder: lint reads a file's siblings (the fixtures fill the same table).
  const std::string fixtures = std::string(MAPENGINE_TEST_DATA) + "/lint/batch-size-range/";
  const std::string warned = mapengine::testing::scratch_dir("strict-warned") + "/m.yaml";
  const std::string clean = mapengine::testing::scratch_dir("strict-clean") + "/m.yaml";
  REQUIRE(run_shell("cp " + shell_quote(fixtures + "fail.yaml") + " " + shell_quote(warned) +
                    " && cp " + shell_quote(fixtures + "pass.yaml") + " " + shell_quote(clean))
              .exit_code == 0);
  auto plain = run_mapengine("lint " + shell_quote(warned));
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.find("warning:") != std::string::npos);
  CHECK(plain.out.find("error:") == std::string::npos);
  auto strict = run_mapengine("lint --strict " + shell_quote(warned));
  CHECK(strict.exit_code == 1);
  CHECK(run_mapengine("lint --strict " + shell_quote(clean)).exit_code == 0);
}

TEST_CASE("a misspelled command gets the closest one", "[cli]") {
  auto typo = run_mapengine("lnit mappings/");
  CHECK(typo.exit_code == 2);
  CHECK(typo.out.find("unknown command 'lnit'; did you mean 'lint'?") != std::string::npos);
  auto far = run_mapengine("frobnicate");
  CHECK(far.exit_code == 2);
  CHECK(far.out.find("unknown command 'frobnicate'") != std::string::npos);
  CHECK(far.out.find("did you mean") == std::string::npos);
}

namespace {

// The commands `mapengine --help` lists.
std::vector<std::string> commands() {
  auto help = run_mapengine("--help");
  std::vector<std::string> names;
  const auto start = help.out.find("Subcommands:\n");
  REQUIRE(start != std::string::npos);
  std::istringstream lines(help.out.substr(start + 13));
  std::string line;
  while (std::getline(lines, line) && line.size() > 2 && line.rfind("  ", 0) == 0) {
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

}  // namespace

TEST_CASE("every command's help lists its exit codes, and only its own options", "[cli]") {
  const auto names = commands();
  CHECK(names.size() >= 9);
  for (const auto& name : names) {
    INFO(name);
    auto help = run_mapengine(name + " --help");
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Exit codes: 0 ") != std::string::npos);
  }
  // Commands that never connect say nothing about connections.
  for (const char* name : {"transforms", "schema", "completion"}) {
    INFO(name);
    auto help = run_mapengine(std::string(name) + " --help");
    CHECK(help.out.find("MAPENGINE_SOURCE_URL") == std::string::npos);
    CHECK(help.out.find("--source") == std::string::npos);
  }
}

TEST_CASE("the completion scripts offer every command and its options", "[cli]") {
  const auto names = commands();
  auto bash = run_mapengine("completion bash");
  CHECK(bash.exit_code == 0);
  CHECK(bash.out.find("complete -o filenames -o bashdefault -F _mapengine mapengine") !=
        std::string::npos);
  CHECK(bash.out.find("lint:--format) COMPREPLY=($(compgen -W 'text json github sarif'") !=
        std::string::npos);
  auto zsh = run_mapengine("completion zsh");
  CHECK(zsh.exit_code == 0);
  CHECK(zsh.out.rfind("#compdef mapengine\n", 0) == 0);
  CHECK(zsh.out.find("'--strict[Warnings fail too") != std::string::npos);  // a flag: no value
  CHECK(zsh.out.find("'--format=[Output]:value:(text json github sarif)'") != std::string::npos);
  for (const auto& name : names) {
    INFO(name);
    CHECK(bash.out.find(" " + name + ") words=") != std::string::npos);
    CHECK(zsh.out.find("'" + name + ":") != std::string::npos);
  }
  // Both parse as scripts of their shell.
  const std::string file = mapengine::testing::scratch_dir("completion") + "/mapengine.bash";
  CHECK(run_shell(shell_quote(MAPENGINE_BINARY) + " completion bash > " + shell_quote(file) +
                  " && bash -n " + shell_quote(file))
            .exit_code == 0);
}

TEST_CASE("log format auto prints JSON lines on a CI machine and text elsewhere", "[cli]") {
  // The suite runs with CI cleared (tests/catch_main.cpp); this test sets it per command. apply
  // without a source database fails at once: its one line is the closing error event.
  const std::string dir = mapengine::testing::scratch_dir("log-format-auto");
  const std::string fixture = std::string(MAPENGINE_TEST_DATA) + "/lint/batch-size-range/";
  REQUIRE(run_shell("cp " + shell_quote(fixture + "pass.yaml") + " " + shell_quote(dir + "/m.yaml"))
              .exit_code == 0);
  auto apply = [&](const std::string& env, const std::string& flags) {
    return run_shell("cd " + shell_quote(dir) + " && env -u MAPENGINE_SOURCE_URL " + env + " " +
                     shell_quote(MAPENGINE_BINARY) + " apply " + flags + " m.yaml");
  };
  const std::string error = "no source database";

  auto in_ci = apply("CI=true", "");
  CHECK(in_ci.exit_code == 2);
  CHECK(in_ci.out.rfind("{\"", 0) == 0);
  CHECK(in_ci.out.find("\"event\":\"error\"") != std::string::npos);
  CHECK(in_ci.out.find(error) != std::string::npos);

  auto elsewhere = apply("-u CI", "");
  CHECK(elsewhere.exit_code == 2);
  CHECK(elsewhere.out.rfind("mapengine: error: " + error, 0) == 0);

  auto asked_for_text = apply("CI=true", "--log-format text");
  CHECK(asked_for_text.exit_code == 2);
  CHECK(asked_for_text.out.rfind("mapengine: error: " + error, 0) == 0);
}
