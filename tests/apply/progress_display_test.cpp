// The live progress display: its lines fit any terminal width, and on a real terminal (tmux) an
// apply of the nine-table example leaves no progress line behind, keeps every log line whole
// and never draws a line wider than the terminal.
#include "engine/apply/progress_display.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/migration_fixture.h"
#include "tests/support/process.h"

namespace mapengine::testing {
namespace {

int columns_of(const std::string& text) {
  int n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<ProgressLine> sample_mappings() {
  std::vector<ProgressLine> lines(3);
  lines[0] = {"technician_roles", 12345, 1000000, true, false, 0, 4321.5};
  lines[1] = {"a_mapping_name_far_longer_than_any_column_allows", 987654321, 1234567890,
              false, false, 1234, 123456};
  lines[2] = {"files", 10, -1, false, false, 3, 0};
  return lines;
}

}  // namespace

TEST_CASE("progress lines fit every terminal width, cutting the name and dropping columns",
          "[progress]") {
  ProgressLine overall{"all 2/9", 987666676, 2235567890, true, true, 1237, 127777};
  for (int width = 2; width <= 250; ++width) {
    for (bool color : {false, true}) {
      auto lines = format_progress_lines(sample_mappings(), overall, width, color);
      REQUIRE(lines.size() == 4);
      for (const auto& line : lines) {
        INFO("width " << width << ": " << line);
        std::string plain = std::regex_replace(line, std::regex("\033\\[[0-9;]*m"), "");
        CHECK(columns_of(plain) <= width - 1);
        CHECK(plain.find('\n') == std::string::npos);
        if (!color) CHECK(plain == line);
      }
    }
  }
  auto wide = format_progress_lines(sample_mappings(), overall, 200, false);
  INFO(wide[1]);
  CHECK(wide[1].find("a_mapping_name_far_longer_..") == 0);
  CHECK(wide[1].find("987,654,321/1,234,567,890") != std::string::npos);
  CHECK(wide[1].find("rej 1,234") != std::string::npos);
  CHECK(wide[1].find("ETA ") != std::string::npos);
  CHECK(wide[3].find("987,666,676/~2,235,567,890+") != std::string::npos);
  auto narrow = format_progress_lines(sample_mappings(), overall, 80, false);
  for (const auto& line : narrow) {
    INFO(line);
    CHECK(std::regex_search(line, std::regex("\\[[#.]{10,}\\]")));
    CHECK(line.find("ETA ") != std::string::npos);
  }
  auto tiny = format_progress_lines(sample_mappings(), overall, 30, false);
  CHECK(tiny[0].find('[') == std::string::npos);  // no room for a bar
}

// Runs the example's apply in a tmux terminal `width` columns wide; checks the scrollback after
// the run and every progress line drawn meanwhile (the terminal's raw output).
void check_apply_under_tmux(int width) {
  if (run_shell("command -v tmux > /dev/null").exit_code != 0) {
    WARN("tmux is not installed (scripts/install-deps.sh installs it): terminal test skipped");
    return;
  }
  MigrationFixture f;
  std::string setup = fmt::format("cd {} && env {} examples/setup.sh 0.2 > /dev/null 2>&1",
                                  shell_quote(MAPENGINE_SOURCE_DIR), f.env());
  REQUIRE(std::system(setup.c_str()) == 0);
  std::string socket = fmt::format("mapengine-test-{}-{}", getpid(), width);
  std::string tmux = "tmux -L " + socket;
  std::string raw = f.dir + "/terminal.raw";
  std::string command = fmt::format(
      "cd {} && env -u NO_COLOR {} {} apply --jobs 2 mappings/; echo \"exit=$?\"; sleep 600",
      shell_quote(MAPENGINE_SOURCE_DIR), f.env(), shell_quote(MAPENGINE_BINARY));
  REQUIRE(run_shell(fmt::format("{} -f /dev/null new-session -d -x {} -y 40 {}", tmux, width,
                                shell_quote(command)))
              .exit_code == 0);
  run_shell(fmt::format("{} pipe-pane -o {}", tmux, shell_quote("cat >> " + shell_quote(raw))));
  std::string screen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    screen = run_shell(tmux + " capture-pane -p -J -S -").out;
    if (screen.find("exit=") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  run_shell(tmux + " kill-server");
  INFO("the terminal after the run:\n" << screen);
  REQUIRE(screen.find("exit=") != std::string::npos);

  const std::regex timestamp("\\d\\d:\\d\\d:\\d\\d (info|warning|error) ");
  const std::regex done(
      "^\\d\\d:\\d\\d:\\d\\d info \\w+: [a-z-]+ \\(\\d+ read, \\d+ written, \\d+ rejected, "
      "[0-9.]+ s\\)$");
  const std::regex bar("\\[[#.]{10,}\\]");
  int done_lines = 0;
  for (const auto& line : lines_of(screen)) {
    INFO(line);
    // Log lines, the databases and the plan are text the terminal wraps (joined again by -J;
    // log lines are checked whole below); anything else, the summary table included, fits.
    if (!std::regex_search(line, std::regex("^(\\d\\d:\\d\\d:\\d\\d |  \\d\\. |source: |target: )"))) {
      CHECK(columns_of(line) <= width);
    }
    CHECK_FALSE(std::regex_search(line, bar));  // no progress line left behind
    CHECK(line.find("ETA ") == std::string::npos);
    CHECK(line.find("table=") == std::string::npos);  // text logs: the message only
    // A log line starts a line; one found later was written over something else.
    std::smatch match;
    if (std::regex_search(line, match, timestamp)) CHECK(match.position(0) == 0);
    if (std::regex_search(line, done)) ++done_lines;
  }
  CHECK(done_lines == 9);
  CHECK(std::regex_search(screen, std::regex("\n\\d\\d:\\d\\d:\\d\\d info apply \\w+ in [0-9.]+ s; peak "
                                             "memory \\d+ MiB\n")));

  // What the display drew meanwhile: after its erase sequence, colours aside.
  std::string drawn = read_file(raw);
  int progress_lines = 0;
  for (std::string line : lines_of(drawn)) {
    size_t erased = line.rfind("\033[J");
    if (erased != std::string::npos) line = line.substr(erased + 3);
    line = std::regex_replace(line, std::regex("\033\\[[0-9;]*m|\r"), "");
    if (!std::regex_search(line, std::regex("^all \\d+/9 ")) && !std::regex_search(line, bar)) {
      continue;
    }
    ++progress_lines;
    INFO(line);
    CHECK(columns_of(line) <= width - 1);
  }
  CHECK(progress_lines > 0);  // the display did run
}

TEST_CASE("the live display of apply under tmux at 80 columns fits and leaves no stale line",
          "[progress][examples]") {
  check_apply_under_tmux(80);
}

TEST_CASE("the live display of apply under tmux at 200 columns fits and leaves no stale line",
          "[progress][examples]") {
  check_apply_under_tmux(200);
}

}  // namespace mapengine::testing
