// The test binary's entry point. The tests run the mapengine binary and read what it prints;
// what it prints must not depend on the machine the suite runs on. `--log-format auto` turns
// JSON on when CI is set (CI machines set it), so the suite clears it here and the tests that
// exercise the CI default set it themselves (tests/cli_test.cpp).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

int main(int argc, char* argv[]) {
  unsetenv("CI");
  return Catch::Session().run(argc, argv);
}
