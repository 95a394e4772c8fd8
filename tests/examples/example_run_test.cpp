// The nine-table example end to end, as the README's main job runs it: setup, apply, validate.
// Only the twelve dirty rows documented in examples/README.md are rejected, each by the rule and
// for the reason documented there, and validate finds the target clean.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/migration_fixture.h"

namespace mapengine::testing {
namespace {

struct ExpectedReject {
  const char* rule;
  const char* reason;  // a part of the reason that names the cause
};

// examples/README.md, "Dirty rows and what should happen to them", keyed "mapping|legacy key".
const std::map<std::string, ExpectedReject> kDirtyRows = {
    {"technicians|9000001", {"lookup", "legacy_user_id = 37"}},
    {"technicians|9000002", {"constraint", "technicians_email_key"}},
    {"technicians|9000003", {"transform", "2023-02-30"}},
    {"technician_roles|[\"9000001\", \"L\"]", {"lookup", "9000001"}},
    {"order_cases|9000001", {"constraint", "order_cases_order_id_case_id_key"}},
    {"purchases|9000001", {"constraint", "purchases_total_cents_check"}},
    {"purchases|9000002", {"transform", "'Z' is not mapped"}},
    {"purchases|9000003", {"constraint", "purchases_purchased_at_check"}},
    {"message_attachments|9000001", {"lookup", "legacy_file_id = 500"}},
    {"message_attachments|9000002", {"lookup", "legacy_message_id = 9000777"}},
    {"treatment_discussions|9000001", {"constraint", "treatment_discussions_created_at_check"}},
    {"template_view_roles|[\"1\", \"doctor \"]", {"constraint", "template_view_roles_group_id_role_key"}},
};

// "mapping read written rejected skipped" per line of the end-of-run table of `out`.
std::vector<std::string> summary_counts(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  bool table = false;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    std::string word;
    while (words >> word) fields.push_back(word);
    if (fields.size() != 7) continue;
    if (fields[0] == "mapping") table = true;
    if (!table || fields[0] == "mapping") continue;
    lines.push_back(fields[0] + " " + fields[2] + " " + fields[3] + " " + fields[4] + " " +
                    fields[5]);
    if (fields[0] == "total") break;
  }
  return lines;
}

}  // namespace

TEST_CASE("the nine-table example applies, rejects exactly the documented rows, validates clean",
          "[examples][apply][validate]") {
  MigrationFixture f;
  std::string setup = fmt::format("cd {} && env {} examples/setup.sh 0.2 > /dev/null 2>&1",
                                  shell_quote(MAPENGINE_SOURCE_DIR), f.env());
  REQUIRE(std::system(setup.c_str()) == 0);
  auto run = [&](const std::string& args) {
    return run_mapengine(args,
                         "MAPENGINE_SOURCE_URL=" + shell_quote(f.source.url()) +
                             " MAPENGINE_TARGET_URL=" + shell_quote(f.target.url()),
                         MAPENGINE_SOURCE_DIR);
  };

  // The dry run first: it rehearses the nine tables in a transaction it rolls back, with the
  // counts of the real apply (lookups into tables it filled itself, the server's refusals).
  CommandResult rehearsed = run("apply --no-progress --dry-run --show-rows 0 mappings/");
  INFO(rehearsed.out);
  REQUIRE(rehearsed.exit_code == 0);
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
  CHECK(f.target.scalar("SELECT count(*) FROM purchases") == "0");

  CommandResult applied = run("apply --no-progress mappings/");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);
  CHECK(summary_counts(rehearsed.out) == summary_counts(applied.out));
  CHECK(summary_counts(applied.out).size() == 10);  // nine mappings and the total

  std::istringstream rejects(f.target_rows(
      "SELECT mapping || '|' || legacy_key, rule, reason FROM mapengine.rejects ORDER BY 1"));
  std::string line;
  std::map<std::string, int> seen;
  while (std::getline(rejects, line)) {
    INFO(line);
    size_t first = line.find('|', line.find('|') + 1);
    std::string key = line.substr(0, first);
    // "mapping|legacy key|rule|reason"; no mapping name, key or rule holds a '|'.
    std::string rest = line.substr(first + 1);
    std::string rule = rest.substr(0, rest.find('|'));
    std::string reason = rest.substr(rest.find('|') + 1);
    auto expected = kDirtyRows.find(key);
    REQUIRE(expected != kDirtyRows.end());
    CHECK(rule == expected->second.rule);
    CHECK(reason.find(expected->second.reason) != std::string::npos);
    ++seen[key];
  }
  CHECK(seen.size() == kDirtyRows.size());

  CommandResult validated = run("validate mappings/");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}

}  // namespace mapengine::testing
