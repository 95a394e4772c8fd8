// The live progress display: its lines fit any terminal width, and on a real terminal (tmux) an
// apply of the nine-table example leaves no progress line behind, keeps every log line whole
// and never draws a line wider than the terminal, also when Ctrl-C stops it; without a terminal
// it logs progress events at its interval.
#include "engine/apply/progress_display.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
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

// A source of `rows` parts, written 1,000 per batch: long enough to watch.
void make_long_table(MigrationFixture& f, int rows) {
  f.source.exec(fmt::format("CREATE TABLE parts (id int PRIMARY KEY, name text);"
                            "INSERT INTO parts SELECT g, 'part ' || g FROM generate_series(1, {}) g;",
                            rows));
  f.target.exec("CREATE TABLE parts (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, "
                "name text NOT NULL);");
  f.write_file("parts.yaml", "version: 1\ntable: public.parts\nsource: { query: \"SELECT id, "
                             "name FROM parts\", key: id }\ntarget: { legacy_key: legacy_id }\n"
                             "batch_size: 1000\ncolumns:\n  id: { generate: uuid_v5 }\n"
                             "  legacy_id: id\n  name: name\n");
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


TEST_CASE("Ctrl-C during apply under tmux leaves no progress line behind", "[progress]") {
  if (run_shell("command -v tmux > /dev/null").exit_code != 0) {
    WARN("tmux is not installed (scripts/install-deps.sh installs it): terminal test skipped");
    return;
  }
  MigrationFixture f;
  make_long_table(f, 400000);
  std::string socket = fmt::format("mapengine-test-{}-int", getpid());
  std::string tmux = "tmux -L " + socket;
  std::string command =
      fmt::format("cd {} && env {} {} apply parts.yaml; echo \"exit=$?\"; sleep 600",
                  shell_quote(f.dir), f.env(), shell_quote(MAPENGINE_BINARY));
  REQUIRE(run_shell(fmt::format("{} -f /dev/null new-session -d -x 80 -y 20 {}", tmux,
                                shell_quote(command)))
              .exit_code == 0);
  // Once batches are committed and the display has drawn a few frames, press Ctrl-C.
  bool started = f.wait_for_batches(3, std::chrono::seconds(60));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  std::string before = run_shell(tmux + " capture-pane -p -J -S -").out;
  run_shell(tmux + " send-keys C-c");
  std::string screen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < deadline) {
    screen = run_shell(tmux + " capture-pane -p -J -S -").out;
    if (screen.find("exit=") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  run_shell(tmux + " kill-server");
  INFO("the terminal before Ctrl-C:\n" << before);
  INFO("the terminal after the run:\n" << screen);
  REQUIRE(started);
  CHECK(std::regex_search(before, std::regex("\\[[#.]{10,}\\]")));  // the display was drawn
  CHECK(screen.find("exit=130") != std::string::npos);
  int notices = 0;
  for (const auto& line : lines_of(screen)) {
    INFO(line);
    CHECK_FALSE(std::regex_search(line, std::regex("\\[[#.]{10,}\\]")));
    CHECK(line.find("ETA ") == std::string::npos);
    size_t notice = line.find("mapengine: stopping after the current batch");
    if (notice != std::string::npos) {
      ++notices;
      // Its own line: at most the terminal's echo of Ctrl-C before it.
      CHECK((notice == 0 || line.substr(0, notice) == "^C"));
    }
  }
  CHECK(notices == 1);
}

TEST_CASE("without a terminal apply logs progress events at the configured interval",
          "[progress]") {
  MigrationFixture f;
  make_long_table(f, 40000);
  CommandResult r =
      f.run("apply --log-format json parts.yaml", "MAPENGINE_PROGRESS_INTERVAL_MS=50");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  int progress = 0, totals = 0;
  for (const auto& line : lines_of(r.out)) {
    INFO(line);
    nlohmann::json event;
    REQUIRE_NOTHROW(event = nlohmann::json::parse(line));
    if (event["event"] == "progress") {
      ++progress;
      CHECK(event["table"] == "parts");
      CHECK(event["rows"].get<long long>() >= 0);
      CHECK(event["rows"].get<long long>() <= 40000);
      CHECK(event.contains("total"));
      CHECK(event.contains("rows_per_second"));
    }
    if (event["event"] == "progress_total") {
      ++totals;
      CHECK(event["msg"].get<std::string>().find("mappings done: ") != std::string::npos);
      CHECK(event.contains("rows"));
    }
  }
  CHECK(progress >= 1);
  CHECK(totals >= 1);
}

}  // namespace mapengine::testing
