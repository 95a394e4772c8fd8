// A lookup larger than `--lookup-memory` is queried per batch instead of loaded whole. These
// tests prove that the result is exactly that of a loaded lookup (including values that miss
// only by their text, values the match column's type refuses, and NULLs), in a dry run as in a
// real one, and that the process's peak memory drops by about the lookup's size.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;

namespace {

constexpr int kProfiles = 200000;
constexpr int kOrders = 6000;

// 200,000 profiles in the target; orders whose user_ref is text holding a legacy user id, an id
// with no profile, a zero-padded id ('007' is not the text of any int), text that is no integer
// at all, an integer out of range, the empty string, or NULL.
void make_orders(MigrationFixture& f) {
  f.target.exec(
      "CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), legacy_user_id int "
      "UNIQUE);"
      "INSERT INTO profiles (legacy_user_id) SELECT g FROM generate_series(1, " +
      std::to_string(kProfiles) +
      ") g;"
      "CREATE TABLE orders (id uuid PRIMARY KEY, legacy_order_id int UNIQUE NOT NULL,"
      " profile_id uuid REFERENCES profiles);");
  f.source.exec(
      "CREATE TABLE orders (id int PRIMARY KEY, user_ref text);"
      "INSERT INTO orders SELECT g, CASE"
      " WHEN g % 97 = 0 THEN '00' || (g % 1000 + 1)"
      " WHEN g % 101 = 0 THEN 'user ' || g"
      " WHEN g % 103 = 0 THEN ''"
      " WHEN g % 107 = 0 THEN NULL"
      " WHEN g % 109 = 0 THEN '99999999999999999999'"
      " ELSE ((g * 37) % 250000 + 1)::text END"
      " FROM generate_series(1, " +
      std::to_string(kOrders) + ") g;");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n"
               "  - { table: public.profiles, legacy_key: legacy_user_id }\n");
  f.write_file("orders.yaml", R"(version: 1
table: public.orders
source:
  query: SELECT id, user_ref FROM orders
  key: id
target:
  legacy_key: legacy_order_id
batch_size: 500
max_rejects: "20%"  # ~13% of the references find no profile, on purpose
columns:
  id: { generate: uuid_v5 }
  legacy_order_id: { from: id }
  profile_id: { from: user_ref, transform: [trim], lookup: { table: profiles, on_missing: reject } }
)");
}

// Every order with the legacy id of its profile, and every reject, as comparable text.
std::string outcome(const MigrationFixture& f) {
  return f.target_rows(
             "SELECT o.legacy_order_id, p.legacy_user_id FROM orders o LEFT JOIN profiles p ON "
             "p.id = o.profile_id ORDER BY 1") +
         f.target_rows(
             "SELECT legacy_key, column_name, value, rule, reason FROM mapengine.rejects "
             "ORDER BY legacy_key::int");
}

// The JSON log events named `name` in a run's output.
std::vector<nlohmann::json> events(const CommandResult& r, const std::string& name) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json event = nlohmann::json::parse(line);
    if (event["event"] == name) out.push_back(event);
  }
  return out;
}

}  // namespace

TEST_CASE("a lookup over the memory budget is queried per batch with the loaded result",
          "[apply][lookup]") {
  MigrationFixture loaded;
  make_orders(loaded);
  CommandResult whole = loaded.run("apply --no-progress --log-format json orders.yaml");
  INFO(whole.out);
  REQUIRE(whole.exit_code == 0);
  CHECK(events(whole, "lookup_batched").empty());

  MigrationFixture batched;
  make_orders(batched);
  CommandResult dry =
      batched.run("apply --no-progress --dry-run --lookup-memory 1MiB orders.yaml");
  INFO(dry.out);
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("dry run: nothing was written") != std::string::npos);
  CHECK(batched.target_rows("SELECT count(*) FROM orders") == "0\n");

  CommandResult part =
      batched.run("apply --no-progress --log-format json --lookup-memory 1MiB orders.yaml");
  INFO(part.out);
  REQUIRE(part.exit_code == 0);
  auto decisions = events(part, "lookup_batched");
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0]["entries"] == kProfiles);

  std::string expected = outcome(loaded);
  CHECK(outcome(batched) == expected);
  // The dirty values are among the rejects, as lookup misses (not errors).
  CHECK(expected.find("|profile_id|user 101|lookup|") != std::string::npos);
  CHECK(expected.find("|profile_id|99999999999999999999|lookup|") != std::string::npos);
  CHECK(expected.find("|profile_id|00") != std::string::npos);
  // The dry run counted the same rejects as the real run wrote.
  std::string rejected = batched.target_rows("SELECT count(*) FROM mapengine.rejects");
  rejected.pop_back();
  CHECK(dry.out.find(" " + rejected + " ") != std::string::npos);
}

TEST_CASE("peak memory falls by about the lookup's size when it is queried per batch",
          "[apply][lookup][memory]") {
  auto peak_kib = [](const CommandResult& r) {
    auto done = events(r, "apply_done");
    REQUIRE(done.size() == 1);
    return done[0]["max_rss_kib"].get<long long>();
  };
  MigrationFixture loaded;
  make_orders(loaded);
  CommandResult whole = loaded.run("apply --no-progress --log-format json orders.yaml");
  INFO(whole.out);
  REQUIRE(whole.exit_code == 0);

  MigrationFixture batched;
  make_orders(batched);
  CommandResult part =
      batched.run("apply --no-progress --log-format json --lookup-memory 1MiB orders.yaml");
  INFO(part.out);
  REQUIRE(part.exit_code == 0);
  auto decisions = events(part, "lookup_batched");
  REQUIRE(decisions.size() == 1);
  long long estimated_kib = decisions[0]["estimated_bytes"].get<long long>() / 1024;
  INFO("peak loaded " << peak_kib(whole) << " KiB, batched " << peak_kib(part)
                      << " KiB, lookup estimated at " << estimated_kib << " KiB");
  CHECK(estimated_kib > 10 * 1024);
  // Half the estimate leaves room for allocator and sanitizer differences; a batched run that
  // still loaded the table (or most of it) would not drop this far.
  CHECK(peak_kib(part) + estimated_kib / 2 < peak_kib(whole));
}
