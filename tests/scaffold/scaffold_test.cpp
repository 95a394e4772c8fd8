// Integration tests of `mapengine scaffold` against the real server: each builds a legacy table
// and a target table, runs the binary and checks the drafted file, what lint says about it, and
// (for a simple table) that it applies once its TODOs are settled.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::shell_quote;

namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  REQUIRE(text.find(from) != std::string::npos);
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Lint errors of `lint_output` that point at a line of `file_text` without "TODO": a scaffolded
// file may fail lint only where it says a decision is open.
std::vector<std::string> errors_off_todo_lines(const std::string& file_text,
                                               const std::string& lint_output) {
  static const std::regex kError(R"(^[^:]+:(\d+):\d+: error: .*)");
  std::vector<std::string> file = lines_of(file_text);
  std::vector<std::string> out;
  for (const auto& line : lines_of(lint_output)) {
    std::smatch m;
    if (!std::regex_match(line, m, kError)) continue;
    size_t number = std::stoul(m[1]);
    if (number == 0 || number > file.size() || file[number - 1].find("TODO") == std::string::npos) {
      out.push_back(line);
    }
  }
  return out;
}

// The text with comment lines wrapped by the writer joined again, for phrases in comments.
std::string flat(const std::string& text) {
  return std::regex_replace(text, std::regex("\n *# "), " ");
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void make_items(MigrationFixture& f) {
  f.source.exec(R"(
    CREATE TABLE items (
      id          serial PRIMARY KEY,
      user_id     integer NOT NULL,
      name        varchar(50) NOT NULL,
      status      char(1) NOT NULL,
      price       numeric(10,2),
      is_active   char(1),
      created_at  timestamp NOT NULL,
      deleted_at  timestamp);
    INSERT INTO items (user_id, name, status, price, is_active, created_at, deleted_at) VALUES
      (1, 'Bolt', 'A', 1.25, 'Y', '2021-03-04 05:06:07', NULL),
      (2, 'Nut', 'I', 0.10, 'N', '2021-03-05 00:00:00', NULL),
      (1, 'Gone', 'A', 9.99, 'Y', '2021-03-06 00:00:00', '2022-01-01 00:00:00'),
      (3, 'Washer', 'A', NULL, NULL, '2021-03-07 12:00:00', NULL);)");
  f.target.exec(R"(
    CREATE TABLE profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                           legacy_user_id integer UNIQUE);
    INSERT INTO profiles (legacy_user_id) SELECT g FROM generate_series(1, 3) g;
    CREATE TABLE items (
      id              uuid PRIMARY KEY,
      legacy_item_id  integer UNIQUE,
      profile_id      uuid NOT NULL REFERENCES profiles (id),
      name            text NOT NULL,
      status          text NOT NULL CHECK (status IN ('active', 'inactive')),
      price_cents     integer,
      is_active       boolean NOT NULL DEFAULT true,
      created_at      timestamptz NOT NULL);)");
  f.write_file("_migrated.yaml",
               "version: 1\nkind: migrated\ntables:\n"
               "  - { table: public.profiles, legacy_key: legacy_user_id }\n");
}

}  // namespace

TEST_CASE("a scaffolded simple table applies once its TODOs are settled", "[scaffold]") {
  MigrationFixture f;
  make_items(f);
  CommandResult r = f.run("scaffold --source-table items --table public.items -o items.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("wrote items.yaml: 3 open decisions marked TODO") != std::string::npos);
  std::string text = read(f.dir + "/items.yaml");
  INFO(text);
  CHECK(text.rfind("# yaml-language-server: $schema=../schemas/mapping.schema.json\n", 0) == 0);
  CHECK(text.find("\nversion: 1\ntable: public.items\n") != std::string::npos);
  CHECK(text.find("    SELECT id, user_id, name, status, price, is_active, created_at, "
                  "deleted_at\n    FROM items\n  key: id  # the legacy table's primary key\n") !=
        std::string::npos);
  CHECK(text.find("  legacy_key: legacy_item_id\n") != std::string::npos);
  CHECK(text.find("  id: { generate: uuid_v5 }\n") != std::string::npos);
  CHECK(text.find("  profile_id: { from: user_id, lookup: { table: profiles, on_missing: reject "
                  "} }\n") != std::string::npos);
  CHECK(text.find("  status: { from: status, transform: [{ map: { \"A\": TODO, \"I\": TODO }, "
                  "on_unmapped: reject }] }\n") != std::string::npos);
  CHECK(text.find("  price_cents: { from: price, transform: [{ scale: 100 }] }\n") !=
        std::string::npos);
  CHECK(text.find("  is_active: { from: is_active, transform: [boolean, { default: \"true\" }] "
                  "}\n") != std::string::npos);
  CHECK(text.find("  created_at: { from: created_at, transform: [{ assume_timezone: TODO_ZONE }] "
                  "}\n") != std::string::npos);

  // Before the TODOs are settled, lint fails only where a TODO says so (the zone).
  CommandResult lint = f.run("lint items.yaml");
  CHECK(lint.exit_code == 1);
  CHECK(lint.out.find("unknown-timezone") != std::string::npos);
  CHECK(errors_off_todo_lines(text, lint.out).empty());

  replace_all(text, "\"A\": TODO", "\"A\": active");
  replace_all(text, "\"I\": TODO", "\"I\": inactive");
  replace_all(text, "TODO_ZONE", "UTC");
  replace_all(text, "    FROM items\n", "    FROM items\n    WHERE deleted_at IS NULL\n");
  f.write_file("items.yaml", text);
  CommandResult clean = f.run("lint items.yaml");
  INFO(clean.out);
  CHECK(clean.exit_code == 0);

  CommandResult applied = f.run("apply --no-progress items.yaml");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);
  CHECK(f.target_rows("SELECT i.legacy_item_id, p.legacy_user_id, i.name, i.status, "
                      "i.price_cents, i.is_active, i.created_at AT TIME ZONE 'UTC' "
                      "FROM items i JOIN profiles p ON p.id = i.profile_id ORDER BY 1") ==
        "1|1|Bolt|active|125|t|2021-03-04 05:06:07\n"
        "2|2|Nut|inactive|10|f|2021-03-05 00:00:00\n"
        "4|3|Washer|active|NULL|t|2021-03-07 12:00:00\n");
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "0");
}

TEST_CASE("scaffolding a legacy table with a composite key keeps every key column", "[scaffold]") {
  MigrationFixture f;
  f.source.exec(R"(
    CREATE TABLE techs (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE tech_roles (
      technician_id  integer NOT NULL REFERENCES techs (id),
      role_code      varchar(4) NOT NULL,
      granted_at     timestamp NOT NULL,
      PRIMARY KEY (technician_id, role_code));
    INSERT INTO techs (name) VALUES ('a'), ('b');
    INSERT INTO tech_roles VALUES (1, 'L', now()), (1, 'S', now()), (2, 'S', now());)");
  f.target.exec(R"(
    CREATE TABLE technicians (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                              legacy_technician_id integer UNIQUE, name text NOT NULL);
    CREATE TABLE technician_roles (
      id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      technician_id         uuid NOT NULL REFERENCES technicians (id),
      role                  text NOT NULL CHECK (role IN ('lead', 'scanning')),
      granted_at            timestamptz NOT NULL,
      legacy_technician_id  integer,
      legacy_role_code      text,
      UNIQUE (legacy_technician_id, legacy_role_code));)");
  f.write_file("technicians.yaml", R"(version: 1
table: public.technicians
source: { query: "SELECT id, name FROM techs", key: id }
target: { legacy_key: legacy_technician_id }
columns:
  id: { generate: uuid_v5 }
  legacy_technician_id: { from: id }
  name: name
)");
  CommandResult r = f.run(
      "scaffold --source-table public.tech_roles --table technician_roles -o "
      "technician_roles.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::string text = read(f.dir + "/technician_roles.yaml");
  INFO(text);
  CHECK(text.find("  key: [technician_id, role_code]  # the legacy table's composite primary "
                  "key\n") != std::string::npos);
  CHECK(text.find("  legacy_key: [legacy_technician_id, legacy_role_code]\n") != std::string::npos);
  CHECK(text.find("  legacy_technician_id: { from: technician_id }\n") != std::string::npos);
  CHECK(text.find("  legacy_role_code: { from: role_code }\n") != std::string::npos);
  CHECK(text.find("  technician_id: { from: technician_id, lookup: { table: technicians, "
                  "on_missing: reject } }\n") != std::string::npos);
  // role <- role_code: the codes found, to be named (the target's CHECK lists the choices).
  CHECK(text.find("  role: { from: role_code, transform: [{ map: { \"L\": TODO, \"S\": TODO }, "
                  "on_unmapped: reject }] }\n") != std::string::npos);
  CHECK(flat(text).find("the target accepts \"lead\", \"scanning\"") != std::string::npos);
  CommandResult lint = f.run("lint technician_roles.yaml");
  INFO(lint.out);
  CHECK(errors_off_todo_lines(text, lint.out).empty());
}

TEST_CASE("scaffolding a self-referencing table proposes a self lookup that applies",
          "[scaffold]") {
  MigrationFixture f;
  f.source.exec(R"(
    CREATE TABLE groups (id serial PRIMARY KEY, parent_group_id integer REFERENCES groups (id),
                         name text NOT NULL);
    -- 3 points forward at 4: resolved at the end of the table.
    INSERT INTO groups (id, parent_group_id, name) VALUES
      (1, NULL, 'root'), (2, 1, 'child'), (3, 4, 'forward'), (4, NULL, 'late');)");
  f.target.exec(R"(
    CREATE TABLE groups (id uuid PRIMARY KEY, legacy_group_id integer UNIQUE,
                         parent_id uuid REFERENCES groups (id), name text NOT NULL);)");
  CommandResult r = f.run("scaffold --source-table groups --table groups -o groups.yaml");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::string text = read(f.dir + "/groups.yaml");
  INFO(text);
  CHECK(text.find("  parent_id: { from: parent_group_id, lookup: { table: groups, on_missing: "
                  "\"null\" } }\n") != std::string::npos);
  CHECK(flat(text).find("A self-reference: resolved through legacy_group_id") != std::string::npos);
  CHECK(text.find("TODO") == std::string::npos);
  CommandResult lint = f.run("lint groups.yaml");
  INFO(lint.out);
  CHECK(lint.exit_code == 0);
  CommandResult applied = f.run("apply --no-progress groups.yaml");
  INFO(applied.out);
  REQUIRE(applied.exit_code == 0);
  CHECK(f.target_rows("SELECT g.legacy_group_id, p.legacy_group_id FROM groups g "
                      "LEFT JOIN groups p ON p.id = g.parent_id ORDER BY 1") ==
        "1|NULL\n2|1\n3|4\n4|NULL\n");
}

TEST_CASE("scaffolding a table no target column matches leaves TODOs, not guesses", "[scaffold]") {
  MigrationFixture f;
  f.source.exec(R"(
    CREATE TABLE widgets (code varchar(10) PRIMARY KEY, colour text);
    INSERT INTO widgets VALUES ('w1', 'red');)");
  f.target.exec(R"(
    CREATE TABLE gadgets (id uuid PRIMARY KEY, title text NOT NULL, weight integer,
                          added_at timestamptz NOT NULL DEFAULT now());)");
  CommandResult r = f.run("scaffold --source-table widgets --table gadgets");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string& text = r.out;
  CHECK(text.find("  key: code  # the legacy table's primary key\n") != std::string::npos);
  CHECK(text.find("legacy_key") == std::string::npos);
  CHECK(flat(text).find("mapengine keeps legacy key -> new id in mapengine.id_map") !=
        std::string::npos);
  CHECK(text.find("  id: { generate: uuid_v5 }\n") != std::string::npos);
  CHECK(text.find("  # TODO: title (text, NOT NULL): no legacy column matches") !=
        std::string::npos);
  CHECK(text.find("  # weight (integer, nullable): no legacy column matches; left out, so the "
                  "target writes NULL.\n") != std::string::npos);
  CHECK(flat(text).find("Legacy columns no target column reads: colour (text).") !=
        std::string::npos);
  CHECK(count(text, "TODO") == 2);  // the header's count and the title

  f.write_file("gadgets.yaml", text);
  CommandResult lint = f.run("lint gadgets.yaml");
  INFO(lint.out);
  CHECK(lint.exit_code == 0);  // valid as it stands; the database check names the gap
  CommandResult db = f.run("lint --db gadgets.yaml");
  INFO(db.out);
  CHECK(db.exit_code == 1);
  CHECK(db.out.find("title") != std::string::npos);
}

TEST_CASE("scaffold never overwrites a file without --force", "[scaffold]") {
  MigrationFixture f;
  make_items(f);
  f.write_file("items.yaml", "# mine\n");
  CommandResult r = f.run("scaffold --source-table items --table items -o items.yaml");
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("items.yaml exists; pass --force to overwrite it") != std::string::npos);
  CHECK(read(f.dir + "/items.yaml") == "# mine\n");

  CommandResult forced = f.run("scaffold --source-table items --table items -o items.yaml --force");
  INFO(forced.out);
  CHECK(forced.exit_code == 0);
  CHECK(read(f.dir + "/items.yaml").find("table: public.items") != std::string::npos);
  CHECK_FALSE(fs::exists(f.dir + "/items.yaml.tmp"));
}

TEST_CASE("scaffold names an unknown table and exits 2", "[scaffold]") {
  MigrationFixture f;
  make_items(f);
  CommandResult r = f.run("scaffold --source-table nope --table items");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("--source-table public.nope: no such table in the source database") !=
        std::string::npos);
  CommandResult t = f.run("scaffold --source-table items --table legacy.items");
  CHECK(t.exit_code == 2);
  CHECK(t.out.find("--table legacy.items: no such table in the target database") !=
        std::string::npos);
}

TEST_CASE("scaffolding each of the nine example legacy tables gives a file that lints",
          "[scaffold][examples]") {
  const std::string root = MAPENGINE_SOURCE_DIR;
  REQUIRE(fs::exists(root + "/examples/setup.sh"));
  MigrationFixture f;
  std::string setup =
      "cd " + shell_quote(root) + " && env " + f.env() + " examples/setup.sh 0.2 > /dev/null 2>&1";
  REQUIRE(std::system(setup.c_str()) == 0);
  const std::vector<std::string> tables = {"technicians",
                                           "technician_roles",
                                           "brackets",
                                           "order_cases",
                                           "purchases",
                                           "message_attachments",
                                           "treatment_discussions",
                                           "template_view_groups",
                                           "template_view_roles"};
  for (const auto& table : tables) {
    INFO(table);
    {
      // The real mappings folder without this table's own mapping, as a team scaffolding a new
      // table would have it.
      std::string dir = f.dir + "/" + table;
      fs::create_directories(dir);
      for (const auto& entry : fs::directory_iterator(root + "/mappings")) {
        if (entry.path().filename() != table + ".yaml") {
          fs::copy_file(entry.path(), dir / entry.path().filename());
        }
      }
      CommandResult r =
          f.run(fmt::format("scaffold --source-table {0} --table public.{0} -o "
                            "{0}/{0}.yaml",
                            table));
      INFO(r.out);
      REQUIRE(r.exit_code == 0);
      std::string file = dir + "/" + table + ".yaml";
      std::string text = read(file);
      INFO(text);
      CommandResult lint = f.run(fmt::format("lint {0}/{0}.yaml", table));
      INFO(lint.out);
      CHECK(errors_off_todo_lines(text, lint.out).empty());
      // Settling the zone (the only TODO lint can see) leaves a file that lints clean.
      if (text.find("TODO_ZONE") != std::string::npos) {
        replace_all(text, "TODO_ZONE", "America/Chicago");
      }
      std::ofstream(file) << text;
      CommandResult settled = f.run(fmt::format("lint {0}/{0}.yaml", table));
      INFO(settled.out);
      CHECK(settled.exit_code == 0);
    }
  }
}
